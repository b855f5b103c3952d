-- Staging fragment, not run alone: the candidates in scope of the shared filters (staging/
-- scoped_funnel), one row per candidate with its cohort, the scope columns and the four outcome
-- flags the form's contingency table counts. form/field_outcomes (a page load) and
-- form/value_counts_build (the pre-aggregate) both take their flags from here, so the two agree.
-- Parameters (they belong to the including query):
--   $start, $end, $as_of, $team, $channel, $handler, $advisor   the scope (staging/scoped_funnel);
--                  events after $as_of are not yet known
--   $meeting_window_days     a meeting held within this many days of registration; its cohort is
--                  mature when registration week plus the window lies before $as_of
--   $placement_window_days   a placement within this many days of the first meeting held; mature
--                  when the meeting's week plus the window lies before $as_of
select
    s.candidate_id,
    s.cohort_week,
    s.team,
    s.channel,
    s.first_contact_by,
    epoch(cast($as_of as timestamp)) - epoch(cast(s.cohort_week as timestamp))
        >= (7 + cast($meeting_window_days as double)) * 86400 as is_meeting_mature,
    s.meeting_held_at is not null
        and epoch(s.meeting_held_at) - epoch(s.registered_at) <= cast($meeting_window_days as double) * 86400
        as has_meeting,
    s.meeting_held_at is not null
        and epoch(cast($as_of as timestamp)) - epoch(cast(date_trunc('week', s.meeting_held_at) as timestamp))
        >= (7 + cast($placement_window_days as double)) * 86400 as is_placement_mature,
    s.placed_at is not null and s.meeting_held_at is not null
        and epoch(s.placed_at) - epoch(s.meeting_held_at) <= cast($placement_window_days as double) * 86400
        as has_placement
from (
    select
        f.candidate_id,
        f.registered_at,
        f.cohort_week,
        f.team,
        f.channel,
        f.first_contact_by,
        case when f.meeting_held_at <= cast($as_of as timestamp) then f.meeting_held_at end as meeting_held_at,
        case when f.placed_at <= cast($as_of as timestamp) then f.placed_at end as placed_at
    from (
        --@include staging/scoped_funnel
    ) as f
) as s
