-- Advisor time by the candidate's target status: one row per (advisor, week) from the activity
-- log, with the minutes spent on target candidates, on out-of-target ones (is_target false: a
-- non-target rule or no rule matched), and on candidates whose segment is unknown.
-- Advisors: staff with role advisor or both. Team and advisor filters apply to the advisor; the
-- others to the candidate.
-- Reads labour_facts (queries/labour/facts.sql: the advisor activities with the candidate's
-- integer key and filter attributes, current for the data version) and candidate_segments on
-- cand_key; the caller makes both current first (segments.ensure, labour.ensure_facts).
-- Parameters: $segmentation (candidate_segments key of the target list), $start, $end
-- (registration dates, inclusive; null = open), $as_of (later activities are ignored), $team,
-- $channel, $handler, $advisor (null = all).
with advisors as (
    select staff_id, team
    from staff
    where role in ('advisor', 'both')
        and (cast($team as varchar) is null or team = cast($team as varchar))
        and (cast($advisor as varchar) is null or staff_id = cast($advisor as varchar))
),

scoped_activities as (
    select x.staff_id, x.cand_key, x.week, coalesce(x.minutes, 0) as minutes
    from labour_facts as x
    where x.fact = 'activity'
        and x.occurred_at <= cast($as_of as timestamp)
        and (cast($start as date) is null or x.registered_on >= cast($start as date))
        and (cast($end as date) is null or x.registered_on <= cast($end as date))
        and (cast($channel as varchar) is null or x.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or x.first_contact_by = cast($handler as varchar))
),

advisor_activities as (
    select
        a.staff_id,
        v.team,
        a.week,
        a.minutes,
        g.is_target
    from scoped_activities as a
    inner join advisors as v on v.staff_id = a.staff_id
    -- Inner: a current segmentation has a row for every candidate (is_target null when unknown).
    inner join candidate_segments as g
        on g.cand_key = a.cand_key
        and g.segmentation = cast($segmentation as varchar)
)

select
    staff_id as advisor,
    team,
    week,
    count(*) as activities,
    sum(minutes) as minutes_total,
    sum(case when is_target then minutes else 0 end) as minutes_target,
    sum(case when not is_target then minutes else 0 end) as minutes_out_of_target,
    sum(case when is_target is null then minutes else 0 end) as minutes_unknown
from advisor_activities
group by 1, 2, 3
order by 2, 1, 3
