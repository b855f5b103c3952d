-- Staging fragment, not run alone: the shared filters as one condition on the alias `f` (a row of
-- candidate_funnel, or of candidate_segments, which carries the same columns). A fragment takes it
-- as its where clause with the line `--@include staging/scope_filter` (staging/scoped_funnel,
-- staging/scoped_segments); its parameters then belong to the query.
-- Parameters:
--   $start, $end   registration dates, inclusive (null: open). Written as a timestamp range, not a
--                  cast of registered_at, so DuckDB can skip row groups (both tables are stored in
--                  registration order): the same rows as date >= $start and date <= $end.
--   $as_of         registrations after it are left out (not yet known at that moment)
--   $team, $channel, $handler, $advisor   scope (null: all); handler = who made the first contact,
--                  advisor = the meeting advisor
f.registered_at <= cast($as_of as timestamp)
and (cast($start as date) is null or f.registered_at >= cast(cast($start as date) as timestamp))
and (cast($end as date) is null or f.registered_at < cast(cast($end as date) as timestamp) + interval 1 day)
and (cast($team as varchar) is null or f.team = cast($team as varchar))
and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
and (cast($advisor as varchar) is null or f.meeting_advisor_id = cast($advisor as varchar))
