-- Values offered by the shared filters: one row per (kind, value), kind in team | channel | handler | advisor.
-- Parameters: none.
with teams as (
    select distinct 'team' as kind, team as value from staff where team is not null
),

channels as (
    select distinct 'channel' as kind, channel as value from candidates where channel is not null
),

handlers as (
    select distinct 'handler' as kind, staff_id as value from staff where role in ('handler', 'both')
),

advisors as (
    select distinct 'advisor' as kind, staff_id as value from staff where role in ('advisor', 'both')
)

select kind, value from teams
union all select kind, value from channels
union all select kind, value from handlers
union all select kind, value from advisors
order by 1, 2
