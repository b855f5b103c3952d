-- Operating-model figures by team: one row per team (the candidate's team: the meeting advisor's,
-- else the team of whoever booked or called; candidates nobody reached have none and are left
-- out). Registrations and meetings within $meeting_window_days over mature cohorts (registration
-- week plus the window before $as_of); live transfers as on the handoff page
-- (queries/handoff/handoff_lag.sql): over the same mature cohorts, candidates whose meeting was held
-- after the first contact and within the meeting window, and among them those whose meeting came
-- within $live_transfer_minutes of the first contact.
-- Parameters: $start, $end (registration dates, inclusive; null = open), $as_of, $team, $channel,
-- $handler, $advisor (null = all), $meeting_window_days, $live_transfer_minutes.
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope).
with in_scope as (
    --@include staging/scoped_funnel
),

scoped as (
    select
        f.team,
        f.registered_at,
        f.cohort_week,
        case when f.first_contact_at <= cast($as_of as timestamp) then f.first_contact_at end as first_contact_at,
        case when f.meeting_held_at <= cast($as_of as timestamp) then f.meeting_held_at end as meeting_held_at
    from in_scope as f
    where f.team is not null
),

flagged as (
    select
        team,
        epoch(cast($as_of as timestamp)) - epoch(cast(cohort_week as timestamp))
            >= (7 + cast($meeting_window_days as double)) * 86400 as is_mature,
        meeting_held_at is not null
            and epoch(meeting_held_at) - epoch(registered_at) <= cast($meeting_window_days as double) * 86400
            as has_meeting,
        first_contact_at is not null and meeting_held_at >= first_contact_at as has_handoff,
        epoch(meeting_held_at) - epoch(first_contact_at) <= cast($live_transfer_minutes as double) * 60
            as is_quick
    from scoped
)

select
    team,
    cast(sum(case when is_mature then 1 else 0 end) as bigint) as mature_registrations,
    cast(sum(case when is_mature and has_meeting then 1 else 0 end) as bigint) as meetings_within_window,
    cast(sum(case when is_mature and has_meeting and has_handoff then 1 else 0 end) as bigint) as handoffs,
    cast(sum(case when is_mature and has_meeting and has_handoff and is_quick then 1 else 0 end) as bigint)
        as live_transfers
from flagged
group by 1
order by 1
