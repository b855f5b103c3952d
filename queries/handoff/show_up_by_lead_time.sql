-- Show-up rate by booking lead time: one row per lead-time bucket, meetings booked and held.
-- Lead time = scheduled_for - meeting_booked.occurred_at (the first booking). Buckets (metrics.md):
-- 0 same call (lead <= $same_call_minutes), 1 same day, 2 next day, 3 two or three days,
-- 4 four days or more (calendar days between booking and meeting). Python names them.
-- Only bookings whose meeting date has passed by as_of are counted (the rest cannot have shown up yet).
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $same_call_minutes   a meeting scheduled this soon after booking was booked on the same call
with in_scope as (
    --@include staging/scoped_funnel
),

bookings as (
    select
        (epoch(scheduled_for) - epoch(meeting_booked_at)) / 60.0 as lead_minutes,
        -- Whole calendar days between the booking date and the meeting date.
        (epoch(cast(cast(scheduled_for as date) as timestamp))
            - epoch(cast(cast(meeting_booked_at as date) as timestamp))) / 86400 as lead_days,
        coalesce(meeting_held_at <= cast($as_of as timestamp), false) as is_held
    from in_scope
    where meeting_booked_at <= cast($as_of as timestamp)
      and scheduled_for <= cast($as_of as timestamp)
),

bucketed as (
    select
        is_held,
        case
            when lead_minutes <= cast($same_call_minutes as double) then 0
            when lead_days <= 0 then 1
            when lead_days <= 1 then 2
            when lead_days <= 3 then 3
            else 4
        end as bucket
    from bookings
)

select
    bucket,
    count(*) as booked,
    count(case when is_held then 1 end) as held
from bucketed
group by 1
order by 1
