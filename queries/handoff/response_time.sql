-- Response time (first contact - registration): median and p90, on the wall clock and in business
-- minutes (the agency's open hours, Japanese public holidays excluded; dashboard/business_hours.py).
-- One row per (cohort week, group value, maturity); with $by_week false every week folds into one
-- row per (group value, maturity), which is how the headline gets an exact median over the mature
-- cohorts only (quantiles cannot be added up afterwards).
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scope_filter)
--   $window_days   first contacts later than this are "not contacted" and left out of the quantiles
--   $calendar      business-hours calendar key (staging/scoped_clocks)
--   $by_week       true: one row per cohort week; false: weeks folded (cohort_week is null)
--   $group_by      optional breakdown: 'team' | 'channel' | 'handler' | 'advisor' | null
-- registrations counts everyone; contacted those with a first contact within the window, over whom
-- the quantiles run. is_mature: cohort week start + 7 days + window <= as_of.
with in_scope as (
    --@include staging/scoped_clocks
),

contacts as (
    --@include staging/window_contacts
),

responses as (
    select
        cohort_week,
        case cast($group_by as varchar)
            when 'team' then team
            when 'channel' then channel
            when 'handler' then first_contact_by
            when 'advisor' then meeting_advisor_id
        end as group_value,
        registered_at,
        contact_at,
        first_contact_business_minutes,
        epoch(cast(cohort_week as timestamp)) + (7 + cast($window_days as double)) * 86400
            <= epoch(cast($as_of as timestamp)) as is_mature
    from contacts
),

clocked as (
    --@include staging/clocked_responses
),

grouped as (
    select
        case when cast($by_week as boolean) then cohort_week end as cohort_week,
        group_value,
        is_mature,
        cohort_week as member_week,
        contact_at,
        response_minutes,
        response_business_minutes
    from clocked
),

figures as (
    -- Both quantiles of a column from one aggregate (one copy of the values, not two).
    select
        cohort_week,
        group_value,
        is_mature,
        count(distinct member_week) as cohorts,
        count(*) as registrations,
        count(contact_at) as contacted,
        quantile_cont(response_minutes, [0.5, 0.9]) as minutes_q,
        quantile_cont(response_business_minutes, [0.5, 0.9]) as business_minutes_q
    from grouped
    group by 1, 2, 3
)

select
    cohort_week,
    group_value,
    is_mature,
    cohorts,
    registrations,
    contacted,
    minutes_q[1] as median_minutes,
    minutes_q[2] as p90_minutes,
    business_minutes_q[1] as median_business_minutes,
    business_minutes_q[2] as p90_business_minutes
from figures
order by 1, 2, 3
