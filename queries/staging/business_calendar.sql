-- Fragment: the business-hours calendar rows of one calendar (dashboard/business_hours.py builds
-- business_days): one row per day with its open minutes and the business minutes before it.
-- Parameters:
--   $calendar   business-hours calendar key in business_days
select day, is_open, open_minute, close_minute, cum_minutes_before
from business_days
where calendar = cast($calendar as varchar)
