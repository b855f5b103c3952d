-- Open registrants: one row per candidate registered within $open_days before $as_of who has no
-- meeting held yet, i.e. who can still be routed to an advisor.
-- Parameters:
--   $segmentation  key of the segmentation in candidate_segments
--   $open_days     how old a registration may be and still count as open (settings.open_registrant_days)
--   $as_of         the moment the data describes
--   $start, $end   registration dates, inclusive (null: open)
--   $team, $channel, $handler, $advisor   scope (null: all); with an advisor scope nobody is open,
--                  since an open registrant has no advisor yet
-- The rows in scope, with their segment, are the shared fragment staging/scoped_segments (the
-- segmentation's rows carry the funnel columns: no join with candidate_funnel).
with scoped as (
    --@include staging/scoped_segments
)

select
    f.candidate_id,
    f.registered_at,
    f.channel,
    f.segment,
    coalesce(f.is_target, false) as is_target,
    f.first_contact_at,
    f.first_contact_by,
    f.meeting_booked_at
from scoped as f
where f.registered_at <= cast($as_of as timestamp)
    -- A day wider than the exact test below, and a plain range on registered_at: DuckDB skips the
    -- row groups of older registrations (candidate_funnel is in registration order).
    and f.registered_at >= cast($as_of as timestamp) - to_seconds(cast($open_days as double) * 86400) - interval 1 day
    and epoch(cast($as_of as timestamp)) - epoch(f.registered_at) < cast($open_days as double) * 86400
    and (f.meeting_held_at is null or f.meeting_held_at > cast($as_of as timestamp))
order by f.registered_at, f.candidate_id
