-- Time to meeting, as the counts a Kaplan-Meier curve needs: one row per (group value, day since
-- registration) with the candidates still at risk that day, the meetings held that day and the
-- candidates censored that day. Candidates still waiting are censored at as_of (their days so far),
-- not counted as failures, so a cohort half-way through its window does not drag the curve down.
-- Python multiplies out the product-limit estimate on this small frame.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $max_days    the curve's span: meetings later than this are censored at $max_days
--   $group_by    optional breakdown: 'team' | 'channel' | 'handler' | 'advisor' | null
-- day = whole days from registration (0 = within the first 24 hours).
with in_scope as (
    --@include staging/scoped_funnel
),

durations as (
    select
        case cast($group_by as varchar)
            when 'team' then team
            when 'channel' then channel
            when 'handler' then first_contact_by
            when 'advisor' then meeting_advisor_id
        end as group_value,
        case
            when meeting_held_at <= cast($as_of as timestamp)
                then floor((epoch(meeting_held_at) - epoch(registered_at)) / 86400)
        end as meeting_day,
        floor((epoch(cast($as_of as timestamp)) - epoch(registered_at)) / 86400) as observed_days
    from in_scope
),

outcomes as (
    select
        group_value,
        cast(least(coalesce(meeting_day, observed_days), cast($max_days as double)) as integer) as day,
        coalesce(meeting_day <= cast($max_days as double), false) as is_meeting
    from durations
),

by_day as (
    select
        group_value,
        day,
        count(case when is_meeting then 1 end) as meetings,
        count(case when not is_meeting then 1 end) as censored
    from outcomes
    group by 1, 2
)

select
    group_value,
    day,
    -- At risk on a day: everyone whose meeting or censoring comes on that day or later.
    sum(meetings + censored) over (
        partition by group_value order by day desc rows between unbounded preceding and current row
    ) as at_risk,
    meetings,
    censored
from by_day
order by 1, 2
