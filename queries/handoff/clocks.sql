-- Response clocks, materialised lazily once per data version and calendar by
-- dashboard.metrics.handoff.ensure_clocks (like labour_facts; not part of the import, but built by
-- dashboard.warmup.prepare right after one for the default hours): one row per candidate of
-- candidate_funnel with the columns the response-time queries and the shared filters read, and
-- the business minutes from registration to first contact on this calendar. The clocked queries
-- (staging/scoped_clocks) then scan this table instead of looking up two calendar days for each
-- of a million registrations on every page load (0.06 s of the response figures' 0.16 s at 1M).
-- Business clock = business minutes before the day + the open minutes elapsed that day, so a
-- registration at 23:00 answered at 9:05 the next business day counts 5 minutes.
-- Grain: one row per (calendar, candidate). Which data version (and which text of this file)
-- built a calendar's rows is kept in store_meta, written in the same transaction.
-- Parameters:
--   $calendar   business-hours calendar key in business_days (dashboard/business_hours.py)
insert into response_clocks by name
with calendar as (
    --@include staging/business_calendar
)

select
    cast($calendar as varchar) as calendar,
    f.cand_key,
    f.registered_at,
    f.cohort_week,
    f.channel,
    f.team,
    f.first_contact_at,
    f.first_contact_by,
    f.meeting_held_at,
    f.meeting_advisor_id,
    (ca.cum_minutes_before + case when ca.is_open then least(greatest(
        (epoch(f.first_contact_at) - epoch(cast(cast(f.first_contact_at as date) as timestamp))) / 60.0 - ca.open_minute, 0),
        ca.close_minute - ca.open_minute) else 0 end)
    - (ra.cum_minutes_before + case when ra.is_open then least(greatest(
        (epoch(f.registered_at) - epoch(cast(cast(f.registered_at as date) as timestamp))) / 60.0 - ra.open_minute, 0),
        ra.close_minute - ra.open_minute) else 0 end)
        as first_contact_business_minutes
from candidate_funnel as f
left join calendar as ra on ra.day = cast(f.registered_at as date)
left join calendar as ca on ca.day = cast(f.first_contact_at as date)
order by f.cand_key
