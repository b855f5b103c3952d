-- Staging fragment, not run alone: the missed matches, one row per candidate in a high-yield
-- segment who either had their meeting with an advisor outside the high-converting tier (kind
-- 'other_advisor') or had no meeting at all although the meeting window has passed (kind
-- 'no_meeting'; younger registrants are still open and belong to the routing recommendation).
-- days_from_registration: registration to meeting, or to $as_of for those without one.
-- yellow_zone/missed_matches lists them (newest first, limited), yellow_zone/missed_counts counts
-- them; a query takes it as the body of a CTE with `--@include staging/missed_matches`.
-- Parameters:
--   $segmentation          key of the segmentation in candidate_segments
--   $high_yield_segments   list of segment names (the high-yield tier)
--   $high_advisors         list of advisor ids (the high-converting tier)
--   $meeting_window_days   days a registrant has to get a meeting (settings.meeting_window_days)
--   $start, $end, $as_of, $team, $channel, $handler, $advisor   the shared filters
--                          (staging/scoped_funnel); advisor = the meeting advisor
with memberships as (
    select candidate_id, segment
    from candidate_segments
    where segmentation = cast($segmentation as varchar)
),

scoped as (
    --@include staging/scoped_funnel
),

high_yield as (
    select f.*, m.segment
    from scoped as f
    inner join memberships as m on m.candidate_id = f.candidate_id
    where list_contains(cast($high_yield_segments as varchar[]), m.segment)
),

classified as (
    select
        *,
        case
            when meeting_held_at is not null and meeting_held_at <= cast($as_of as timestamp)
                then case
                    when list_contains(cast($high_advisors as varchar[]), meeting_advisor_id) then null
                    else 'other_advisor'
                end
            when epoch(cast($as_of as timestamp)) - epoch(registered_at)
                >= cast($meeting_window_days as double) * 86400
                then 'no_meeting'
        end as kind
    from high_yield
)

select
    candidate_id,
    segment,
    kind,
    case when kind = 'other_advisor' then meeting_advisor_id end as advisor,
    team,
    channel,
    registered_at,
    first_contact_at,
    first_contact_by,
    case when kind = 'other_advisor' then meeting_held_at end as meeting_held_at,
    (
        epoch(case when kind = 'other_advisor' then meeting_held_at else cast($as_of as timestamp) end)
        - epoch(registered_at)
    ) / 86400.0 as days_from_registration
from classified
where kind is not null
