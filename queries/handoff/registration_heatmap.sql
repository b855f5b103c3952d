-- Registrations by weekday x hour against response time: one row per (ISO weekday 1 = Monday ..
-- 7 = Sunday, hour 0..23) with registrations, and the median response time (wall clock and
-- business minutes) of the registrations contacted within the response window in cohorts mature
-- for that window. Shows what night and weekend registrations wait.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $window_days   the response window
--   $calendar      business-hours calendar key in business_days
with calendar as (
    --@include staging/business_calendar
),

in_scope as (
    --@include staging/scoped_funnel
),

contacts as (
    --@include staging/window_contacts
),

responses as (
    select
        registered_at,
        extract(isodow from registered_at) as weekday,
        extract(hour from registered_at) as hour,
        epoch(cast(cohort_week as timestamp)) + (7 + cast($window_days as double)) * 86400
            <= epoch(cast($as_of as timestamp)) as is_mature,
        contact_at
    from contacts
),

clocked as (
    --@include staging/clocked_responses
)

select
    cast(weekday as integer) as weekday,
    cast(hour as integer) as hour,
    count(*) as registrations,
    count(case when is_mature and contact_at is not null then 1 end) as contacted,
    quantile_cont(case when is_mature then response_minutes end, 0.5) as median_minutes,
    quantile_cont(case when is_mature then response_business_minutes end, 0.5) as median_business_minutes
from clocked
group by 1, 2
order by 1, 2
