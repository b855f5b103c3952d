-- Staging fragment, not run alone: the candidate_segments rows of one segmentation in scope of the
-- shared filters, one row per candidate: its segment and is_target, and the candidate_funnel
-- columns copied when the segmentation was materialised (dashboard.segments.ensure: candidate_id,
-- registered_at, team, channel, first_contact_by, first_contact_at, meeting_booked_at,
-- meeting_advisor_id, meeting_held_at, placed_at). A segment query reads it instead of joining
-- the memberships to candidate_funnel: that hash join of a million rows was most of each query's
-- time at a million registrations. A query takes it as the body of a CTE with the line
-- `--@include staging/scoped_segments`.
-- Parameters:
--   $segmentation  key of the segmentation in candidate_segments
--   and those of staging/scope_filter ($start, $end, $as_of, $team, $channel, $handler, $advisor)
select f.*
from candidate_segments as f
where f.segmentation = cast($segmentation as varchar)
    and
    --@include staging/scope_filter
