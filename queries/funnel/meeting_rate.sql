-- Meeting rate (面談実施率): one row per (cohort week, group value). Python adds up the mature weeks
-- for the headline and keeps the rest as provisional.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $window_days   a registration counts when its first meeting was held within this many days
--   $group_by      optional breakdown: 'team' | 'channel' | 'handler' | 'advisor' | null (no breakdown)
-- is_mature: every member of the cohort had the whole window before as_of.
with in_scope as (
    --@include staging/scoped_funnel
),

flagged as (
    select
        cohort_week,
        case cast($group_by as varchar)
            when 'team' then team
            when 'channel' then channel
            when 'handler' then first_contact_by
            when 'advisor' then meeting_advisor_id
        end as group_value,
        coalesce(
            meeting_held_at <= cast($as_of as timestamp)
            and epoch(meeting_held_at) - epoch(registered_at) <= cast($window_days as double) * 86400,
            false
        ) as has_meeting
    from in_scope
)

select
    cohort_week,
    group_value,
    count(*) as registrations,
    count(case when has_meeting then 1 end) as meetings,
    epoch(cast(cohort_week as timestamp)) + (7 + cast($window_days as double)) * 86400
        <= epoch(cast($as_of as timestamp)) as is_mature
from flagged
group by 1, 2
order by 1, 2
