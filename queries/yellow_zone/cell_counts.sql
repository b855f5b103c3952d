-- Placement counts per cell: one row per (advisor, segment) with at least one mature meeting held.
-- A meeting is mature once its whole placement window lies before $as_of (meeting_held_at +
-- $window_days <= $as_of); it counts as placed when placed_at falls within $window_days of it.
-- Counting immature meetings would understate every recent advisor's rate.
-- Parameters:
--   $segmentation  key of the segmentation in candidate_segments (dashboard.segments.ensure)
--   $window_days   placement window in days (settings.placement_window_days)
--   $as_of         the moment the data describes
--   $start, $end   registration dates, inclusive (null: open)
--   $team, $channel, $handler, $advisor   scope (null: all); advisor = the meeting advisor
-- The rows in scope, with their segment, are the shared fragment staging/scoped_segments (the
-- segmentation's rows carry the funnel columns: no join with candidate_funnel).
-- It leaves out registrations after $as_of, which changes nothing here: only meetings held by
-- $as_of count, and the importer rejects steps dated before their registration.
with advisors as (
    select staff_id, name, team from staff
),

scoped as (
    --@include staging/scoped_segments
),

mature_meetings as (
    select
        f.candidate_id,
        f.meeting_advisor_id,
        f.segment,
        coalesce(f.is_target, false) as is_target,
        f.placed_at is not null
            and epoch(f.placed_at) - epoch(f.meeting_held_at)
                <= cast($window_days as double) * 86400 as is_placed
    from scoped as f
    where f.meeting_held_at is not null
        and f.meeting_advisor_id is not null
        and f.meeting_held_at <= cast($as_of as timestamp)
        and epoch(cast($as_of as timestamp)) - epoch(f.meeting_held_at)
            >= cast($window_days as double) * 86400
),

cells as (
    select
        meeting_advisor_id as advisor,
        segment,
        bool_or(is_target) as is_target,
        count(*) as meetings,
        sum(case when is_placed then 1 else 0 end) as placements
    from mature_meetings
    group by 1, 2
)

select
    c.advisor,
    coalesce(a.name, c.advisor) as advisor_name,
    a.team as advisor_team,
    c.segment,
    c.is_target,
    c.meetings,
    c.placements
from cells as c
left join advisors as a on a.staff_id = c.advisor
order by 1, 4
