-- Staging fragment, not run alone: the missed matches, one row per candidate in a high-yield
-- segment who either had their meeting with an advisor outside the high-converting tier (kind
-- 'other_advisor') or had no meeting at all although the meeting window has passed (kind
-- 'no_meeting'; younger registrants are still open and belong to the routing recommendation).
-- Narrow rows (cand_key, segment, kind, advisor, registered_at, meeting_held_at): counting needs no
-- more, and the list fetches the other columns for its few rows only (late, by cand_key).
-- yellow_zone/missed_matches lists them (newest first, limited), yellow_zone/missed_counts counts
-- them; a query takes it as the body of a CTE with `--@include staging/missed_matches`.
-- Parameters:
--   $segmentation          key of the segmentation in candidate_segments
--   $high_yield_segments   list of segment names (the high-yield tier)
--   $high_advisors         list of advisor ids (the high-converting tier)
--   $meeting_window_days   days a registrant has to get a meeting (settings.meeting_window_days)
--   $start, $end, $as_of, $team, $channel, $handler, $advisor   the shared filters
--                          (staging/scope_filter); advisor = the meeting advisor
-- The rows in scope, with their segment, are staging/scoped_segments (no join with candidate_funnel).
with scoped as (
    --@include staging/scoped_segments
),

classified as (
    select
        f.cand_key,
        f.segment,
        f.registered_at,
        f.meeting_held_at,
        f.meeting_advisor_id,
        case
            when f.meeting_held_at is not null and f.meeting_held_at <= cast($as_of as timestamp)
                then case
                    when list_contains(cast($high_advisors as varchar[]), f.meeting_advisor_id) then null
                    else 'other_advisor'
                end
            when epoch(cast($as_of as timestamp)) - epoch(f.registered_at)
                >= cast($meeting_window_days as double) * 86400
                then 'no_meeting'
        end as kind
    from scoped as f
    where list_contains(cast($high_yield_segments as varchar[]), f.segment)
)

select
    cand_key,
    segment,
    kind,
    case when kind = 'other_advisor' then meeting_advisor_id end as advisor,
    registered_at,
    case when kind = 'other_advisor' then meeting_held_at end as meeting_held_at
from classified
where kind is not null
