-- Staging fragment, not run alone: the response_clocks rows of one calendar in scope of the shared
-- filters, one row per candidate (all columns: candidate_funnel's registered_at, cohort_week,
-- channel, team, first_contact_at, first_contact_by, meeting_held_at, meeting_advisor_id, and
-- first_contact_business_minutes; see handoff/clocks). A query takes it as the body of a CTE with
-- the line `--@include staging/scoped_clocks`; its parameters then belong to that query.
-- Parameters: $calendar (business-hours calendar key), and those of staging/scope_filter ($start,
-- $end, $as_of, $team, $channel, $handler, $advisor).
select f.*
from response_clocks as f
where f.calendar = cast($calendar as varchar)
and
    --@include staging/scope_filter
