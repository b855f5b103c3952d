-- The candidates behind a figure (drill-down): one row per candidate in scope, with the
-- timestamps and the flags every registration-handling figure is made of. No personal data: the
-- store holds none, and only ids, segment, channel, team and staff ids are selected.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $segmentation           key in candidate_segments for the segment column (null = no segment)
--   $contact_window_hours   contact-rate window
--   $meeting_window_days    meeting-rate window
--   $uncontacted_hours      alert: no first contact within this many hours
--   $live_transfer_minutes  handoff lag up to this many minutes is a live transfer
-- Stage times after as_of are treated as not (yet) happened. Segments are joined on cand_key (the
-- caller makes the segmentation current first, segments.ensure); cand_key is the registration order
-- (registered_at, candidate_id), so ordering by it is that order.
with scoped as (
    --@include staging/scoped_funnel
),

key_range as (
    -- The keys in scope: a week is a narrow range of cand_key (registration order).
    select min(cand_key) as low, max(cand_key) as high from scoped
),

segments as (
    -- Only the segment rows in that range go into the join's hash table (a week at a million
    -- registrations: ~14k rows instead of 1M).
    select s.cand_key, s.segment, s.is_target
    from candidate_segments as s, key_range as r
    where s.segmentation = cast($segmentation as varchar)
      and s.cand_key between r.low and r.high
),

in_scope as (
    select
        f.cand_key,
        f.candidate_id,
        f.cohort_week,
        f.registered_at,
        f.channel,
        f.team,
        f.first_contact_by as handler,
        f.first_contact_role,
        f.meeting_advisor_id as advisor,
        case when f.first_contact_at <= cast($as_of as timestamp) then f.first_contact_at end as first_contact_at,
        case when f.meeting_booked_at <= cast($as_of as timestamp) then f.meeting_booked_at end as meeting_booked_at,
        case when f.meeting_booked_at <= cast($as_of as timestamp) then f.scheduled_for end as scheduled_for,
        case when f.meeting_held_at <= cast($as_of as timestamp) then f.meeting_held_at end as meeting_held_at,
        case when f.recommended_at <= cast($as_of as timestamp) then f.recommended_at end as recommended_at,
        case when f.interview_at <= cast($as_of as timestamp) then f.interview_at end as interview_at,
        case when f.offer_at <= cast($as_of as timestamp) then f.offer_at end as offer_at,
        case when f.placed_at <= cast($as_of as timestamp) then f.placed_at end as placed_at
    from scoped as f
),

timed as (
    select
        c.*,
        (epoch(c.first_contact_at) - epoch(c.registered_at)) / 60.0 as response_minutes,
        case
            when c.meeting_held_at >= c.first_contact_at
                then (epoch(c.meeting_held_at) - epoch(c.first_contact_at)) / 60.0
        end as handoff_lag_minutes,
        s.segment,
        s.is_target
    from in_scope as c
    left join segments as s on s.cand_key = c.cand_key
)

select
    candidate_id,
    cohort_week,
    segment,
    is_target,
    channel,
    team,
    handler,
    first_contact_role,
    advisor,
    registered_at,
    first_contact_at,
    meeting_booked_at,
    scheduled_for,
    meeting_held_at,
    recommended_at,
    interview_at,
    offer_at,
    placed_at,
    response_minutes,
    handoff_lag_minutes,
    coalesce(response_minutes <= cast($contact_window_hours as double) * 60, false) as is_contacted_in_window,
    coalesce(
        (epoch(meeting_held_at) - epoch(registered_at)) <= cast($meeting_window_days as double) * 86400,
        false
    ) as has_meeting_in_window,
    coalesce(handoff_lag_minutes <= cast($live_transfer_minutes as double), false) as is_live_transfer,
    epoch(registered_at) + cast($uncontacted_hours as double) * 3600 <= epoch(cast($as_of as timestamp))
        and coalesce(response_minutes > cast($uncontacted_hours as double) * 60, true) as is_uncontacted_alert,
    epoch(cast(cohort_week as timestamp)) + 7 * 86400 + cast($contact_window_hours as double) * 3600
        <= epoch(cast($as_of as timestamp)) as is_mature_contact,
    epoch(cast(cohort_week as timestamp)) + (7 + cast($meeting_window_days as double)) * 86400
        <= epoch(cast($as_of as timestamp)) as is_mature_meeting
from timed
order by cand_key
