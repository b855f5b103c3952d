-- Response-time buckets with the meetings that followed (lead decay): one row per (cohort week,
-- bucket) with the registrations in the bucket and how many of them had a meeting held within the
-- meeting window. One pass serves both the response-time distribution and the meeting rate by
-- response bucket (dashboard.metrics.handoff reads each from it).
-- Buckets (metrics.md): 0 <= $bound_1, 1 <= $bound_2, 2 <= $bound_3, 3 <= $bound_4 minutes,
-- 4 later but within the response window, 5 not contacted within the window. Python names them.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $window_days                      the response window (later contacts count as not contacted)
--   $meeting_window_days              meetings counted when held within this many days of registration
--   $bound_1, $bound_2, $bound_3, $bound_4   bucket upper bounds in minutes (Settings.response_bucket_minutes)
--   $basis                            'wall' (clock minutes) | 'business' (business minutes)
--   $calendar                         business-hours calendar key in business_days
-- is_mature_response: cohort week start + 7 days + response window <= as_of (the distribution);
-- is_mature_meeting: the same with the longer of the two windows (the bucket and the outcome must
-- both be final: the meeting rate).
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
        cohort_week,
        registered_at,
        contact_at,
        coalesce(
            meeting_held_at <= cast($as_of as timestamp)
            and epoch(meeting_held_at) - epoch(registered_at) <= cast($meeting_window_days as double) * 86400,
            false
        ) as has_meeting
    from contacts
),

clocked as (
    --@include staging/clocked_responses
),

on_basis as (
    select
        c.*,
        case when cast($basis as varchar) = 'business' then response_business_minutes else response_minutes end as minutes
    from clocked as c
),

bucketed as (
    select
        cohort_week,
        has_meeting,
        case
            when contact_at is null then 5
            when minutes <= cast($bound_1 as double) then 0
            when minutes <= cast($bound_2 as double) then 1
            when minutes <= cast($bound_3 as double) then 2
            when minutes <= cast($bound_4 as double) then 3
            else 4
        end as bucket
    from on_basis
)

select
    cohort_week,
    bucket,
    count(*) as registrations,
    count(case when has_meeting then 1 end) as meetings,
    epoch(cast(cohort_week as timestamp)) + (7 + cast($window_days as double)) * 86400
        <= epoch(cast($as_of as timestamp)) as is_mature_response,
    epoch(cast(cohort_week as timestamp))
        + (7 + greatest(cast($window_days as double), cast($meeting_window_days as double))) * 86400
        <= epoch(cast($as_of as timestamp)) as is_mature_meeting
from bucketed
group by 1, 2
order by 1, 2
