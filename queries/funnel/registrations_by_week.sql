-- Registrations by cohort week: one row per cohort week (Monday of the registration week).
-- Parameters:
--   $start, $end   first and last registration date (inclusive; null = open)
--   $team          candidate's team (the meeting advisor's, else the booker's or caller's); null = all
--   $channel       registration channel; null = all
--   $handler       staff id of the first contact; null = all
--   $advisor       staff id of the meeting advisor; null = all
--   $as_of         the data's "now": later registrations are ignored
-- is_complete: the whole week lies before as_of (a week still running is shown as provisional).
with funnel as (
    select * from candidate_funnel
),

in_scope as (
    select f.candidate_id, f.cohort_week
    from funnel as f
    where f.registered_at <= cast($as_of as timestamp)
      and (cast($start as date) is null or cast(f.registered_at as date) >= cast($start as date))
      and (cast($end as date) is null or cast(f.registered_at as date) <= cast($end as date))
      and (cast($team as varchar) is null or f.team = cast($team as varchar))
      and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
      and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
      and (cast($advisor as varchar) is null or f.meeting_advisor_id = cast($advisor as varchar))
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
