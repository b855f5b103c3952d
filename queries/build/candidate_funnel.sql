-- candidate_funnel: one row per candidate, the first time each stage was reached and who did it.
-- Rebuilt after every import and undo (dashboard.store.refresh_derived); nearly every metric reads
-- this table instead of re-aggregating events, which keeps pages fast at a million registrations.
-- Parameters: none.
-- Stored in cand_key order (registration order), so a period filter skips row groups.
create or replace table candidate_funnel as
-- One pass over events (first time, and who, of each stage per candidate): a group by (candidate,
-- stage) and then a pivot cost 0.8 s more CPU at 1M registrations.
with pivoted as (
    select
        candidate_id,
        min(occurred_at) filter (where stage = 'first_contact') as first_contact_at,
        arg_min(staff_id, occurred_at) filter (where stage = 'first_contact') as first_contact_by,
        min(occurred_at) filter (where stage = 'meeting_booked') as meeting_booked_at,
        arg_min(staff_id, occurred_at) filter (where stage = 'meeting_booked') as booked_by,
        arg_min(scheduled_for, occurred_at) filter (where stage = 'meeting_booked') as scheduled_for,
        min(occurred_at) filter (where stage = 'meeting_held') as meeting_held_at,
        arg_min(staff_id, occurred_at) filter (where stage = 'meeting_held') as meeting_advisor_id,
        min(occurred_at) filter (where stage = 'recommended') as recommended_at,
        min(occurred_at) filter (where stage = 'interview') as interview_at,
        min(occurred_at) filter (where stage = 'offer') as offer_at,
        min(occurred_at) filter (where stage = 'placed') as placed_at
    from events
    group by 1
),

-- A dense integer key (1..n in registration order), valid for this build: candidate_segments
-- carries it too, so the joins every segment query makes are on integers, not on id strings.
-- Numbered on the narrow candidates table (a window over the joined wide rows cost 1.9 s at 1M).
keyed as (
    select
        cast(row_number() over (order by registered_at, candidate_id) as integer) as cand_key,
        candidate_id, registered_at, channel, form_version
    from candidates
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
    c.cand_key,
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
from keyed as c
left join pivoted as p on p.candidate_id = c.candidate_id
left join staff as fc on fc.staff_id = p.first_contact_by
left join staff as bk on bk.staff_id = p.booked_by
left join staff as adv on adv.staff_id = p.meeting_advisor_id
left join first_callers as fcl on fcl.candidate_id = c.candidate_id
left join staff as caller on caller.staff_id = fcl.first_caller_id
order by cand_key
