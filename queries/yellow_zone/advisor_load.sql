-- Recent load per advisor: one row per advisor who held a meeting in the $active_days before
-- $as_of, with the meetings they held in the last 7 days (this week's load, against which the
-- weekly capacity leaves room for new registrants).
-- Parameters:
--   $as_of         the moment the data describes
--   $active_days   an advisor counts as active with a meeting in this many days (settings.active_advisor_days)
--   $team          the advisor's team (null: all)
--   $advisor       one advisor (null: all)
with funnel as (
    select * from candidate_funnel
),

recent as (
    select
        meeting_advisor_id as advisor,
        advisor_team,
        epoch(cast($as_of as timestamp)) - epoch(meeting_held_at) as seconds_ago
    from funnel
    where meeting_advisor_id is not null
        and meeting_held_at <= cast($as_of as timestamp)
        and epoch(cast($as_of as timestamp)) - epoch(meeting_held_at) < cast($active_days as double) * 86400
        and (cast($team as varchar) is null or advisor_team = cast($team as varchar))
        and (cast($advisor as varchar) is null or meeting_advisor_id = cast($advisor as varchar))
)

select
    advisor,
    sum(case when seconds_ago < 7 * 86400 then 1 else 0 end) as meetings_last_7_days,
    count(*) as meetings_recent
from recent
group by 1
order by 1
