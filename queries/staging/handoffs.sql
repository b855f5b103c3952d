-- Fragment: the including query's `in_scope` rows (staging/scoped_funnel) that are handoffs: a
-- first contact, then the meeting held by as_of and within the meeting window of registration. All
-- their columns, plus lag_minutes (meeting held - first contact) and is_mature (cohort week start
-- + 7 days + meeting window <= as_of). Written once for handoff/handoff_lag and
-- handoff/handoff_lag_figures.
-- Parameters:
--   $as_of                   meetings after it have not happened yet
--   $meeting_window_days     meetings counted when held within this many days of registration
select
    s.*,
    (epoch(s.meeting_held_at) - epoch(s.first_contact_at)) / 60.0 as lag_minutes,
    epoch(cast(s.cohort_week as timestamp)) + (7 + cast($meeting_window_days as double)) * 86400
        <= epoch(cast($as_of as timestamp)) as is_mature
from in_scope as s
where s.meeting_held_at <= cast($as_of as timestamp)
  and s.meeting_held_at >= s.first_contact_at
  and epoch(s.meeting_held_at) - epoch(s.registered_at) <= cast($meeting_window_days as double) * 86400
