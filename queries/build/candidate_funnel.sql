-- candidate_funnel: one row per candidate, the first time each stage was reached and who did it.
-- Rebuilt after every import and undo (dashboard.store.refresh_derived); nearly every metric reads
-- this table instead of re-aggregating events, which keeps pages fast at a million registrations.
-- Parameters: none.
-- Stored in cand_key order (registration order), so a period filter skips row groups.
create or replace table candidate_funnel as
with first_events as (
    select
        candidate_id,
        stage,
        min(occurred_at) as first_at,
        arg_min(staff_id, occurred_at) as first_staff_id,
        arg_min(scheduled_for, occurred_at) as first_scheduled_for
    from events
    group by 1, 2
),

pivoted as (
    select
        candidate_id,
        max(case when stage = 'first_contact' then first_at end) as first_contact_at,
        max(case when stage = 'first_contact' then first_staff_id end) as first_contact_by,
        max(case when stage = 'meeting_booked' then first_at end) as meeting_booked_at,
        max(case when stage = 'meeting_booked' then first_staff_id end) as booked_by,
        max(case when stage = 'meeting_booked' then first_scheduled_for end) as scheduled_for,
        max(case when stage = 'meeting_held' then first_at end) as meeting_held_at,
        max(case when stage = 'meeting_held' then first_staff_id end) as meeting_advisor_id,
        max(case when stage = 'recommended' then first_at end) as recommended_at,
        max(case when stage = 'interview' then first_at end) as interview_at,
        max(case when stage = 'offer' then first_at end) as offer_at,
        max(case when stage = 'placed' then first_at end) as placed_at
    from first_events
    group by 1
),

-- Who first tried to reach the candidate (activity log): gives registrants nobody reached a team,
-- so per-team rates are per registration, not per contacted registrant.
first_callers as (
    select candidate_id, arg_min(staff_id, started_at) as first_caller_id
    from activities
    where candidate_id is not null and staff_id is not null
    group by 1
)

select
    -- A dense integer key (1..n in registration order), valid for this build: candidate_segments
    -- carries it too, so the joins every segment query makes are on integers, not on id strings.
    cast(row_number() over (order by c.registered_at, c.candidate_id) as integer) as cand_key,
    c.candidate_id,
    c.registered_at,
    -- ISO week start (Monday) of the registration: the candidate's cohort.
    cast(date_trunc('week', c.registered_at) as date) as cohort_week,
    c.channel,
    c.form_version,
    p.first_contact_at,
    p.first_contact_by,
    fc.role as first_contact_role,
    fc.team as first_contact_team,
    p.meeting_booked_at,
    p.booked_by,
    p.scheduled_for,
    p.meeting_held_at,
    p.meeting_advisor_id,
    adv.team as advisor_team,
    -- The candidate's team: the meeting advisor's, else the team of whoever booked, made first
    -- contact or first tried to call.
    coalesce(adv.team, bk.team, fc.team, caller.team) as team,
    p.recommended_at,
    p.interview_at,
    p.offer_at,
    p.placed_at
from candidates as c
left join pivoted as p on p.candidate_id = c.candidate_id
left join staff as fc on fc.staff_id = p.first_contact_by
left join staff as bk on bk.staff_id = p.booked_by
left join staff as adv on adv.staff_id = p.meeting_advisor_id
left join first_callers as fcl on fcl.candidate_id = c.candidate_id
left join staff as caller on caller.staff_id = fcl.first_caller_id
order by cand_key
