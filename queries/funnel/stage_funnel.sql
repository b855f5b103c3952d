-- The stage funnel: one row per canonical stage, in funnel order.
-- A candidate "reaches" a stage when its first time at that stage falls within the stage's window
-- after registration (and before as_of). Each stage counts only cohorts mature for its own window
-- (cohort week start + 7 days + window <= as_of), so a long window (placement) does not hide the
-- short ones, and no stage mixes in cohorts that have not had their chance yet.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $contact_window_days     window of first_contact
--   $meeting_window_days     window of meeting_booked and meeting_held
--   $placement_window_days   window of recommended, interview, offer, placed
-- Columns: registrations = candidates in cohorts mature for the stage; candidates = of those, reached
-- the stage; previous_candidates = reached the previous stage (same cohorts);
-- candidates_from_previous = reached both (the numerator of share of previous);
-- excluded_registrations / excluded_cohorts = left out as immature; has_data = the store holds any
-- event of this stage (an export may carry only some stages).
with present_stages as (
    select distinct stage from events
),

in_scope as (
    --@include staging/scoped_funnel
),

all_stages as (
    select stage, stage_order, window_days
    from (
        values
            ('registered', 0, 0.0),
            ('first_contact', 1, cast($contact_window_days as double)),
            ('meeting_booked', 2, cast($meeting_window_days as double)),
            ('meeting_held', 3, cast($meeting_window_days as double)),
            ('recommended', 4, cast($placement_window_days as double)),
            ('interview', 5, cast($placement_window_days as double)),
            ('offer', 6, cast($placement_window_days as double)),
            ('placed', 7, cast($placement_window_days as double))
    ) as s (stage, stage_order, window_days)
),

stages as (
    -- Stages the export does not carry are skipped, so "previous" means the previous stage with data.
    select a.stage, a.stage_order, a.window_days
    from all_stages as a
    left join present_stages as p on p.stage = a.stage
    where a.stage = 'registered' or p.stage is not null
),

reached as (
    -- Whether each candidate reached each stage within that stage's window (registered: always).
    select
        f.cohort_week,
        coalesce(f.first_contact_at <= cast($as_of as timestamp)
            and epoch(f.first_contact_at) - epoch(f.registered_at) <= cast($contact_window_days as double) * 86400, false) as first_contact,
        coalesce(f.meeting_booked_at <= cast($as_of as timestamp)
            and epoch(f.meeting_booked_at) - epoch(f.registered_at) <= cast($meeting_window_days as double) * 86400, false) as meeting_booked,
        coalesce(f.meeting_held_at <= cast($as_of as timestamp)
            and epoch(f.meeting_held_at) - epoch(f.registered_at) <= cast($meeting_window_days as double) * 86400, false) as meeting_held,
        coalesce(f.recommended_at <= cast($as_of as timestamp)
            and epoch(f.recommended_at) - epoch(f.registered_at) <= cast($placement_window_days as double) * 86400, false) as recommended,
        coalesce(f.interview_at <= cast($as_of as timestamp)
            and epoch(f.interview_at) - epoch(f.registered_at) <= cast($placement_window_days as double) * 86400, false) as interview,
        coalesce(f.offer_at <= cast($as_of as timestamp)
            and epoch(f.offer_at) - epoch(f.registered_at) <= cast($placement_window_days as double) * 86400, false) as offer,
        coalesce(f.placed_at <= cast($as_of as timestamp)
            and epoch(f.placed_at) - epoch(f.registered_at) <= cast($placement_window_days as double) * 86400, false) as placed
    from in_scope as f
),

candidate_groups as (
    -- Candidates of one cohort who reached the same stages count alike, so the per-stage steps
    -- below run on these few groups (weighted by members), not on eight rows per candidate.
    select
        row_number() over (order by cohort_week, first_contact, meeting_booked, meeting_held, recommended, interview, offer, placed) as group_id,
        *
    from (
        select
            cohort_week, first_contact, meeting_booked, meeting_held, recommended, interview, offer, placed,
            count(*) as members
        from reached
        group by 1, 2, 3, 4, 5, 6, 7, 8
    ) as g
),

group_stages as (
    select
        g.group_id,
        g.cohort_week,
        g.members,
        s.stage,
        s.stage_order,
        s.window_days,
        case s.stage
            when 'registered' then true
            when 'first_contact' then g.first_contact
            when 'meeting_booked' then g.meeting_booked
            when 'meeting_held' then g.meeting_held
            when 'recommended' then g.recommended
            when 'interview' then g.interview
            when 'offer' then g.offer
            when 'placed' then g.placed
        end as has_reached,
        epoch(cast(g.cohort_week as timestamp)) + (7 + s.window_days) * 86400
            <= epoch(cast($as_of as timestamp)) as is_mature
    from candidate_groups as g
    cross join stages as s
),

with_previous as (
    select
        *,
        -- Reached the previous stage within that stage's own (shorter or equal) window.
        lag(has_reached) over (partition by group_id order by stage_order) as has_reached_previous
    from group_stages
),

by_stage as (
    select
        stage,
        stage_order,
        window_days,
        cast(sum(case when is_mature then members else 0 end) as bigint) as registrations,
        cast(sum(case when is_mature and has_reached then members else 0 end) as bigint) as candidates,
        cast(sum(case when is_mature and has_reached_previous then members else 0 end) as bigint) as previous_candidates,
        cast(sum(case when is_mature and has_reached_previous and has_reached then members else 0 end) as bigint)
            as candidates_from_previous,
        cast(sum(case when not is_mature then members else 0 end) as bigint) as excluded_registrations,
        count(distinct case when not is_mature then cohort_week end) as excluded_cohorts
    from with_previous
    group by 1, 2, 3
)

select
    s.stage,
    s.stage_order,
    s.window_days,
    coalesce(b.registrations, 0) as registrations,
    coalesce(b.candidates, 0) as candidates,
    coalesce(b.previous_candidates, 0) as previous_candidates,
    coalesce(b.candidates_from_previous, 0) as candidates_from_previous,
    coalesce(b.excluded_registrations, 0) as excluded_registrations,
    coalesce(b.excluded_cohorts, 0) as excluded_cohorts,
    p.stage is not null as has_data
from all_stages as s
left join by_stage as b on b.stage = s.stage
left join stages as p on p.stage = s.stage
order by s.stage_order
