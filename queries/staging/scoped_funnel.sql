-- Staging fragment, not run alone: the candidate_funnel rows in scope of the shared filters, one row
-- per candidate (all columns). A query takes it as the body of a CTE with the line
-- `--@include staging/scoped_funnel`; its parameters then belong to that query.
-- Parameters: those of staging/scope_filter ($start, $end, $as_of, $team, $channel, $handler,
-- $advisor).
select f.*
from candidate_funnel as f
where
    --@include staging/scope_filter
