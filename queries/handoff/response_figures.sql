-- The response-time figures a handoff page load (and the report) needs, from one pass over the
-- clocked responses instead of one per figure: the clocked rows (the scope, the window contacts and
-- the two calendar lookups) are made once and read by four small aggregates. One row per
-- (part, key), the parts stacked; dashboard.metrics.handoff splits them:
--   part 'headline'  one row per is_mature: registrations, contacted (within the window), median
--                    and p90 on the wall clock and in business minutes over the contacted, and
--                    cohorts (the cohort weeks of that maturity). The same figures as
--                    handoff/response_time with $by_week false and no breakdown.
--   part 'heatmap'   one row per (ISO weekday 1..7, hour 0..23) of registration: registrations,
--                    contacted (within the window, mature cohorts only), the median response
--                    minutes (wall clock and business) of those.
--   part 'wall', 'business'   one row per (cohort week, response bucket on that basis):
--                    registrations, meetings (held within the meeting window), is_mature_response,
--                    is_mature_meeting.
-- Buckets (metrics.md): 0 <= $bound_1, 1 <= $bound_2, 2 <= $bound_3, 3 <= $bound_4 minutes,
-- 4 later but within the response window, 5 not contacted within the window. Python names them.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scope_filter)
--   $window_days                      the response window (later contacts count as not contacted)
--   $meeting_window_days              meetings counted when held within this many days of registration
--   $bound_1, $bound_2, $bound_3, $bound_4   bucket upper bounds in minutes (Settings.response_bucket_minutes)
--   $calendar                         business-hours calendar key (staging/scoped_clocks)
-- is_mature (and is_mature_response): cohort week start + 7 days + response window <= as_of;
-- is_mature_meeting: the same with the longer of the two windows (the bucket and the outcome must
-- both be final: the meeting rate).
with in_scope as (
    --@include staging/scoped_clocks
),

contacts as (
    --@include staging/window_contacts
),

responses as (
    select
        cohort_week,
        registered_at,
        contact_at,
        first_contact_business_minutes,
        epoch(cast(cohort_week as timestamp)) + (7 + cast($window_days as double)) * 86400
            <= epoch(cast($as_of as timestamp)) as is_mature,
        coalesce(
            meeting_held_at <= cast($as_of as timestamp)
            and epoch(meeting_held_at) - epoch(registered_at) <= cast($meeting_window_days as double) * 86400,
            false
        ) as has_meeting
    from contacts
),

clocked as materialized (
    --@include staging/clocked_responses
),

headline as (
    -- Both quantiles of a column from one aggregate (one copy of the values, not two).
    select
        is_mature,
        count(*) as registrations,
        count(contact_at) as contacted,
        quantile_cont(response_minutes, [0.5, 0.9]) as minutes_q,
        quantile_cont(response_business_minutes, [0.5, 0.9]) as business_minutes_q
    from clocked
    group by is_mature
),

heatmap as (
    select
        cast(extract(isodow from registered_at) as integer) as weekday,
        cast(extract(hour from registered_at) as integer) as hour,
        count(*) as registrations,
        count(case when is_mature and contact_at is not null then 1 end) as contacted,
        quantile_cont(case when is_mature then response_minutes end, 0.5) as median_minutes,
        quantile_cont(case when is_mature then response_business_minutes end, 0.5) as median_business_minutes
    from clocked
    group by 1, 2
),

bucketed as (
    select
        cohort_week,
        is_mature,
        has_meeting,
        case
            when contact_at is null then 5
            when response_minutes <= cast($bound_1 as double) then 0
            when response_minutes <= cast($bound_2 as double) then 1
            when response_minutes <= cast($bound_3 as double) then 2
            when response_minutes <= cast($bound_4 as double) then 3
            else 4
        end as wall_bucket,
        case
            when contact_at is null then 5
            when response_business_minutes <= cast($bound_1 as double) then 0
            when response_business_minutes <= cast($bound_2 as double) then 1
            when response_business_minutes <= cast($bound_3 as double) then 2
            when response_business_minutes <= cast($bound_4 as double) then 3
            else 4
        end as business_bucket
    from clocked
),

bucket_weeks as (
    -- Both bases in one aggregate: the pair of buckets has a few dozen values per week.
    select
        cohort_week,
        is_mature,
        wall_bucket,
        business_bucket,
        count(*) as registrations,
        count(case when has_meeting then 1 end) as meetings
    from bucketed
    group by 1, 2, 3, 4
),

bases as (
    select 'wall' as part, cohort_week, wall_bucket as bucket, registrations, meetings from bucket_weeks
    union all
    select 'business' as part, cohort_week, business_bucket as bucket, registrations, meetings from bucket_weeks
),

bucket_figures as (
    select
        part,
        cohort_week,
        bucket,
        cast(sum(registrations) as bigint) as registrations,
        cast(sum(meetings) as bigint) as meetings,
        epoch(cast(cohort_week as timestamp)) + (7 + cast($window_days as double)) * 86400
            <= epoch(cast($as_of as timestamp)) as is_mature_response,
        epoch(cast(cohort_week as timestamp))
            + (7 + greatest(cast($window_days as double), cast($meeting_window_days as double))) * 86400
            <= epoch(cast($as_of as timestamp)) as is_mature_meeting
    from bases
    group by 1, 2, 3
),

cohorts as (
    -- The cohort weeks of each maturity (is_mature is a function of the week).
    select is_mature, count(distinct cohort_week) as cohorts
    from bucket_weeks
    group by 1
)

select
    'headline' as part,
    h.is_mature,
    cast(null as integer) as weekday,
    cast(null as integer) as hour,
    cast(null as date) as cohort_week,
    cast(null as integer) as bucket,
    c.cohorts,
    h.registrations,
    h.contacted,
    cast(null as bigint) as meetings,
    h.minutes_q[1] as median_minutes,
    h.minutes_q[2] as p90_minutes,
    h.business_minutes_q[1] as median_business_minutes,
    h.business_minutes_q[2] as p90_business_minutes,
    cast(null as boolean) as is_mature_response,
    cast(null as boolean) as is_mature_meeting
from headline as h
left join cohorts as c on c.is_mature = h.is_mature
union all
select
    'heatmap', null, weekday, hour, null, null, null, registrations, contacted, null,
    median_minutes, null, median_business_minutes, null, null, null
from heatmap
union all
select
    part, null, null, null, cohort_week, bucket, null, registrations, null, meetings,
    null, null, null, null, is_mature_response, is_mature_meeting
from bucket_figures
order by 1, 2, 3, 4, 5, 6
