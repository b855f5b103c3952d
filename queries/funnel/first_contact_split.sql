-- First-contact split by role: one row per (cohort week, role of whoever made the first contact).
-- Shows the division of labour (handler vs advisor) and the meeting rate that follows each.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $contact_window_days   first contacts counted when within this many days of registration
--   $meeting_window_days   meetings counted when held within this many days of registration
-- role: the staff list's role (handler | advisor | both), 'unknown' when the contact's author is
-- not in the staff list. is_mature refers to the longer of the two windows.
with in_scope as (
    --@include staging/scoped_funnel
),

contacted as (
    select
        cohort_week,
        coalesce(first_contact_role, 'unknown') as role,
        coalesce(
            meeting_held_at <= cast($as_of as timestamp)
            and epoch(meeting_held_at) - epoch(registered_at) <= cast($meeting_window_days as double) * 86400,
            false
        ) as has_meeting
    from in_scope
    where first_contact_at <= cast($as_of as timestamp)
      and epoch(first_contact_at) - epoch(registered_at) <= cast($contact_window_days as double) * 86400
)

select
    cohort_week,
    role,
    count(*) as first_contacts,
    count(case when has_meeting then 1 end) as meetings,
    epoch(cast(cohort_week as timestamp))
        + (7 + greatest(cast($contact_window_days as double), cast($meeting_window_days as double))) * 86400
        <= epoch(cast($as_of as timestamp)) as is_mature
from contacted
group by 1, 2
order by 1, 2
