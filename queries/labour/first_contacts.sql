-- Who made the first contact: one row per (team, week, role), week being the Monday of the week
-- the first contact happened and role the first contact's staff role (handler | advisor | both |
-- unknown when the person is not in the staff list). Also, over mature registration cohorts
-- (registration week plus $meeting_window_days before $as_of), how many of those first contacts
-- were followed by a meeting held within the window of registration: the meeting rate after a
-- handler's against an advisor's first contact.
-- Parameters: $start, $end (registration dates, inclusive; null = open), $as_of (later contacts
-- and meetings are ignored), $team, $channel, $handler, $advisor (null = all),
-- $meeting_window_days.
with scoped as (
    select
        f.candidate_id,
        f.registered_at,
        f.cohort_week,
        f.team,
        f.first_contact_at,
        coalesce(f.first_contact_role, 'unknown') as role,
        case when f.meeting_held_at <= cast($as_of as timestamp) then f.meeting_held_at end as meeting_held_at
    from candidate_funnel as f
    where (cast($start as date) is null or cast(f.registered_at as date) >= cast($start as date))
        and (cast($end as date) is null or cast(f.registered_at as date) <= cast($end as date))
        and f.first_contact_at <= cast($as_of as timestamp)
        and (cast($team as varchar) is null or f.team = cast($team as varchar))
        and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
        and (cast($advisor as varchar) is null or f.meeting_advisor_id = cast($advisor as varchar))
),

flagged as (
    select
        team,
        cast(date_trunc('week', first_contact_at) as date) as week,
        role,
        epoch(cast($as_of as timestamp)) - epoch(cast(cohort_week as timestamp))
            >= (7 + cast($meeting_window_days as double)) * 86400 as is_mature,
        meeting_held_at is not null
            and epoch(meeting_held_at) - epoch(registered_at) <= cast($meeting_window_days as double) * 86400
            as has_meeting
    from scoped
)

select
    team,
    week,
    role,
    count(*) as first_contacts,
    cast(sum(case when is_mature then 1 else 0 end) as bigint) as mature_first_contacts,
    cast(sum(case when is_mature and has_meeting then 1 else 0 end) as bigint) as meetings_after
from flagged
group by 1, 2, 3
order by 1, 2, 3
