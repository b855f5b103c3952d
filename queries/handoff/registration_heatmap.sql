-- Registrations by weekday x hour against response time: one row per (ISO weekday 1 = Monday ..
-- 7 = Sunday, hour 0..23) with registrations, and the median response time (wall clock and
-- business minutes) of the registrations contacted within the response window in cohorts mature
-- for that window. Shows what night and weekend registrations wait.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $window_days   the response window
--   $calendar      business-hours calendar key in business_days
with calendar as (
    select day, is_open, open_minute, close_minute, cum_minutes_before
    from business_days
    where calendar = cast($calendar as varchar)
),

in_scope as (
    --@include staging/scoped_funnel
),

responses as (
    select
        registered_at,
        extract(isodow from registered_at) as weekday,
        extract(hour from registered_at) as hour,
        epoch(cast(cohort_week as timestamp)) + (7 + cast($window_days as double)) * 86400
            <= epoch(cast($as_of as timestamp)) as is_mature,
        case
            when first_contact_at <= cast($as_of as timestamp)
             and epoch(first_contact_at) - epoch(registered_at) <= cast($window_days as double) * 86400
                then first_contact_at
        end as contact_at
    from in_scope
),

clocked as (
    -- Business clock = business minutes before the day + the open minutes elapsed that day.
    select
        r.*,
        (epoch(r.contact_at) - epoch(r.registered_at)) / 60.0 as response_minutes,
        (ca.cum_minutes_before + case when ca.is_open then least(greatest(
            (epoch(r.contact_at) - epoch(cast(cast(r.contact_at as date) as timestamp))) / 60.0 - ca.open_minute, 0),
            ca.close_minute - ca.open_minute) else 0 end)
        - (ra.cum_minutes_before + case when ra.is_open then least(greatest(
            (epoch(r.registered_at) - epoch(cast(cast(r.registered_at as date) as timestamp))) / 60.0 - ra.open_minute, 0),
            ra.close_minute - ra.open_minute) else 0 end)
            as response_business_minutes
    from responses as r
    left join calendar as ra on ra.day = cast(r.registered_at as date)
    left join calendar as ca on ca.day = cast(r.contact_at as date)
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
