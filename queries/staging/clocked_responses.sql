-- Fragment: the including query's `responses` rows (registered_at, contact_at, ...) with the
-- response time in clock minutes and in business minutes. Reads the CTEs `responses` and
-- `calendar` (staging/business_calendar) of the including query.
-- Business clock = business minutes before the day + the open minutes elapsed that day, so a
-- registration at 23:00 answered at 9:05 the next business day counts 5 minutes.
-- Parameters: none of its own.
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
