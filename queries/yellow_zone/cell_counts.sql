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
with funnel as (
    select * from candidate_funnel
),

memberships as (
    select candidate_id, segment, is_target
    from candidate_segments
    where segmentation = cast($segmentation as varchar)
),

advisors as (
    select staff_id, name, team from staff
),

scoped as (
    select f.*
    from funnel as f
    where (cast($start as date) is null or cast(f.registered_at as date) >= cast($start as date))
        and (cast($end as date) is null or cast(f.registered_at as date) <= cast($end as date))
        and (cast($team as varchar) is null or f.team = cast($team as varchar))
        and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
        and (cast($advisor as varchar) is null or f.meeting_advisor_id = cast($advisor as varchar))
),

mature_meetings as (
    select
        f.candidate_id,
        f.meeting_advisor_id,
        coalesce(m.segment, 'unknown') as segment,
        coalesce(m.is_target, false) as is_target,
        f.placed_at is not null
            and epoch(f.placed_at) - epoch(f.meeting_held_at)
                <= cast($window_days as double) * 86400 as is_placed
    from scoped as f
    left join memberships as m on m.candidate_id = f.candidate_id
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
