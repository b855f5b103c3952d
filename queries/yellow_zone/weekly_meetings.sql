-- Meetings held per week: one row per (week_start, advisor, segment) with at least one meeting
-- held on or before $as_of, whatever its maturity (coverage asks who held the meeting, not how it
-- ended). week_start is the Monday of the meeting's ISO week; labels are made in Python.
-- Parameters:
--   $segmentation  key of the segmentation in candidate_segments
--   $as_of         the moment the data describes
--   $start, $end   registration dates, inclusive (null: open)
--   $team, $channel, $handler, $advisor   scope (null: all); advisor = the meeting advisor
with funnel as (
    select * from candidate_funnel
),

memberships as (
    select candidate_id, segment
    from candidate_segments
    where segmentation = cast($segmentation as varchar)
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

meetings as (
    select
        cast(date_trunc('week', f.meeting_held_at) as date) as week_start,
        f.meeting_advisor_id as advisor,
        coalesce(m.segment, 'unknown') as segment
    from scoped as f
    left join memberships as m on m.candidate_id = f.candidate_id
    where f.meeting_held_at is not null
        and f.meeting_advisor_id is not null
        and f.meeting_held_at <= cast($as_of as timestamp)
)

select
    week_start,
    advisor,
    segment,
    count(*) as meetings
from meetings
group by 1, 2, 3
order by 1, 2, 3
