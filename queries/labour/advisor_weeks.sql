-- Advisor workload by week: one row per (advisor, week) from the advisor's first to last active
-- week (weeks without activity included, as zeros), with the first contacts the advisor still
-- made and the meetings they held (every meeting_held event, second meetings included).
-- Advisors: staff with role advisor or both, and anyone who held a meeting.
-- Team and advisor filters apply to the advisor (staff.team, staff_id); the others to the
-- candidate.
-- Meetings are read from labour_facts (queries/labour/facts.sql: the meeting_held events with the
-- candidate's filter attributes, current for the data version; the caller makes it current).
-- Parameters: $start, $end (registration dates, inclusive; null = open), $as_of (later events are
-- ignored), $team, $channel, $handler, $advisor (null = all).
with first_contacts as (
    select
        f.first_contact_by as staff_id,
        cast(date_trunc('week', f.first_contact_at) as date) as week,
        count(*) as first_contacts
    from candidate_funnel as f
    where (cast($start as date) is null or cast(f.registered_at as date) >= cast($start as date))
        and (cast($end as date) is null or cast(f.registered_at as date) <= cast($end as date))
        and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
        and f.first_contact_at <= cast($as_of as timestamp)
    group by 1, 2
),

meetings as (
    select
        x.staff_id,
        x.week,
        count(*) as meetings_held
    from labour_facts as x
    where x.fact = 'meeting'
        and x.occurred_at <= cast($as_of as timestamp)
        and (cast($start as date) is null or x.registered_on >= cast($start as date))
        and (cast($end as date) is null or x.registered_on <= cast($end as date))
        and (cast($channel as varchar) is null or x.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or x.first_contact_by = cast($handler as varchar))
    group by 1, 2
),

advisors as (
    select
        p.staff_id,
        st.team,
        coalesce(st.role, 'unknown') as role
    from (
        select staff_id from staff where role in ('advisor', 'both')
        union
        select staff_id from meetings
    ) as p
    left join staff as st on st.staff_id = p.staff_id
    where (cast($team as varchar) is null or st.team = cast($team as varchar))
        and (cast($advisor as varchar) is null or p.staff_id = cast($advisor as varchar))
),

activity as (
    select staff_id, week from first_contacts
    union
    select staff_id, week from meetings
),

spans as (
    select a.staff_id, min(a.week) as first_week, max(a.week) as last_week
    from activity as a
    inner join advisors as v on v.staff_id = a.staff_id
    group by 1
),

weeks as (
    select distinct week from activity
),

grid as (
    select s.staff_id, w.week
    from spans as s
    inner join weeks as w on w.week between s.first_week and s.last_week
)

select
    g.staff_id as advisor,
    v.team,
    v.role,
    g.week,
    coalesce(fc.first_contacts, 0) as first_contacts,
    coalesce(m.meetings_held, 0) as meetings_held
from grid as g
inner join advisors as v on v.staff_id = g.staff_id
left join first_contacts as fc on fc.staff_id = g.staff_id and fc.week = g.week
left join meetings as m on m.staff_id = g.staff_id and m.week = g.week
order by 2, 1, 4
