-- Handoff lag (連携スピード) and live transfers: meeting_held - first_contact for candidates with
-- both, the meeting held within the meeting window of registration. A lag up to
-- $live_transfer_minutes is a live transfer (the handler passes the call to the advisor).
-- One row per (cohort week, group value, maturity); with $by_week false the weeks fold into one row
-- per (group value, maturity) so the headline median runs over mature cohorts only.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $meeting_window_days     meetings counted when held within this many days of registration
--   $live_transfer_minutes   live-transfer threshold
--   $by_week                 true: one row per cohort week; false: weeks folded (cohort_week is null)
--   $group_by                optional breakdown: 'team' | 'channel' | 'handler' | 'advisor' | null
-- is_mature: cohort week start + 7 days + meeting window <= as_of. The handoffs themselves are the
-- fragment staging/handoffs.
with in_scope as (
    --@include staging/scoped_funnel
),

handoffs as (
    --@include staging/handoffs
),

grouped as (
    select
        case when cast($by_week as boolean) then cohort_week end as cohort_week,
        case cast($group_by as varchar)
            when 'team' then team
            when 'channel' then channel
            when 'handler' then first_contact_by
            when 'advisor' then meeting_advisor_id
        end as group_value,
        is_mature,
        cohort_week as member_week,
        lag_minutes
    from handoffs
),

figures as (
    -- Both quantiles from one aggregate (one copy of the values, not two).
    select
        cohort_week,
        group_value,
        is_mature,
        count(distinct member_week) as cohorts,
        count(*) as handoffs,
        count(case when lag_minutes <= cast($live_transfer_minutes as double) then 1 end) as live_transfers,
        quantile_cont(lag_minutes, [0.5, 0.9]) as lag_q
    from grouped
    group by 1, 2, 3
)

select
    cohort_week,
    group_value,
    is_mature,
    cohorts,
    handoffs,
    live_transfers,
    lag_q[1] as median_lag_minutes,
    lag_q[2] as p90_lag_minutes
from figures
order by 1, 2, 3
