-- Advisor time by the candidate's target status: one row per (advisor, week) from the activity
-- log, with the minutes spent on target candidates, on out-of-target ones (is_target false: a
-- non-target rule or no rule matched), and on candidates whose segment is unknown.
-- Advisors: staff with role advisor or both. Team and advisor filters apply to the advisor; the
-- others to the candidate.
-- Parameters: $segmentation (candidate_segments key of the target list), $start, $end
-- (registration dates, inclusive; null = open), $as_of (later activities are ignored), $team,
-- $channel, $handler, $advisor (null = all).
with scoped as (
    select f.candidate_id
    from candidate_funnel as f
    where (cast($start as date) is null or cast(f.registered_at as date) >= cast($start as date))
        and (cast($end as date) is null or cast(f.registered_at as date) <= cast($end as date))
        and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
),

advisors as (
    select staff_id, team
    from staff
    where role in ('advisor', 'both')
        and (cast($team as varchar) is null or team = cast($team as varchar))
        and (cast($advisor as varchar) is null or staff_id = cast($advisor as varchar))
),

advisor_activities as (
    select
        a.staff_id,
        v.team,
        cast(date_trunc('week', a.started_at) as date) as week,
        coalesce(a.minutes, 0) as minutes,
        g.is_target
    from activities as a
    inner join advisors as v on v.staff_id = a.staff_id
    inner join scoped as s on s.candidate_id = a.candidate_id
    left join candidate_segments as g
        on g.candidate_id = a.candidate_id
        and g.segmentation = cast($segmentation as varchar)
    where a.started_at <= cast($as_of as timestamp)
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
