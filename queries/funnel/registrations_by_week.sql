-- Registrations by cohort week: one row per cohort week (Monday of the registration week).
-- Parameters:
--   $start, $end   first and last registration date (inclusive; null = open)
--   $team          candidate's team (the meeting advisor's, else the booker's or caller's); null = all
--   $channel       registration channel; null = all
--   $handler       staff id of the first contact; null = all
--   $advisor       staff id of the meeting advisor; null = all
--   $as_of         the data's "now": later registrations are ignored
-- is_complete: the whole week lies before as_of (a week still running is shown as provisional).
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope).
with in_scope as (
    --@include staging/scoped_funnel
),

by_week as (
    select
        cohort_week,
        count(*) as registrations
    from in_scope
    group by 1
)

select
    cohort_week,
    registrations,
    epoch(cast(cohort_week as timestamp)) + 7 * 86400 <= epoch(cast($as_of as timestamp)) as is_complete
from by_week
order by 1
