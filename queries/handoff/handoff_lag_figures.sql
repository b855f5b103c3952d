-- Handoff lag (連携スピード) and live transfers at the grains a handoff page load and the report
-- ask for, from one pass over the handoffs instead of one per grain (the same figures as
-- handoff/handoff_lag, whose header defines them). One row per (part, key), the parts stacked;
-- dashboard.metrics.handoff splits them:
--   part 'all'      one row per maturity (cohort_week and group_value null): handoff_lag with no breakdown
--   part 'team'     one row per (team, maturity): handoff_lag by team
--   part 'handler'  one row per (first-contact handler, maturity): handoff_lag by handler
--   part 'week'     one row per (cohort week, maturity): handoff_lag by week with no breakdown
-- Counts come from a small per-(week, team, handler) pre-group (cohorts = its distinct weeks, no
-- distinct aggregate over the handoffs); only the quantiles read every handoff.
-- Parameters:
--   $start, $end, $team, $channel, $handler, $advisor, $as_of   the shared filters (staging/scoped_funnel)
--   $meeting_window_days     meetings counted when held within this many days of registration
--   $live_transfer_minutes   live-transfer threshold
-- is_mature: cohort week start + 7 days + meeting window <= as_of. The handoffs themselves are the
-- fragment staging/handoffs.
with in_scope as (
    --@include staging/scoped_funnel
),

all_handoffs as (
    --@include staging/handoffs
),

handoffs as materialized (
    -- Only the columns the grains read are kept (the quantiles read every handoff).
    select cohort_week, team, first_contact_by as handler, lag_minutes, is_mature
    from all_handoffs
),

week_counts as (
    select
        cohort_week,
        team,
        handler,
        is_mature,
        count(*) as handoffs,
        count(case when lag_minutes <= cast($live_transfer_minutes as double) then 1 end) as live_transfers
    from handoffs
    group by 1, 2, 3, 4
),

counts as (
    select
        case
            when grouping(team) = 0 then 'team'
            when grouping(handler) = 0 then 'handler'
            when grouping(cohort_week) = 0 then 'week'
            else 'all'
        end as part,
        cohort_week,
        case when grouping(team) = 0 then team else handler end as group_value,
        is_mature,
        count(distinct cohort_week) as cohorts,
        cast(sum(handoffs) as bigint) as handoffs,
        cast(sum(live_transfers) as bigint) as live_transfers
    from week_counts
    group by grouping sets ((is_mature), (team, is_mature), (handler, is_mature), (cohort_week, is_mature))
),

quantiles as (
    -- Both quantiles from one aggregate per grain (one copy of the values, not two).
    select 'all' as part, cast(null as date) as cohort_week, cast(null as varchar) as group_value, is_mature,
        quantile_cont(lag_minutes, [0.5, 0.9]) as lag_q
    from handoffs
    group by is_mature
    union all
    select 'team', null, team, is_mature, quantile_cont(lag_minutes, [0.5, 0.9])
    from handoffs
    group by team, is_mature
    union all
    select 'handler', null, handler, is_mature, quantile_cont(lag_minutes, [0.5, 0.9])
    from handoffs
    group by handler, is_mature
    union all
    select 'week', cohort_week, null, is_mature, quantile_cont(lag_minutes, [0.5, 0.9])
    from handoffs
    group by cohort_week, is_mature
)

select
    c.part,
    c.cohort_week,
    c.group_value,
    c.is_mature,
    c.cohorts,
    c.handoffs,
    c.live_transfers,
    q.lag_q[1] as median_lag_minutes,
    q.lag_q[2] as p90_lag_minutes
from counts as c
join quantiles as q
    on q.part = c.part
    and q.cohort_week is not distinct from c.cohort_week
    and q.group_value is not distinct from c.group_value
    and q.is_mature is not distinct from c.is_mature
order by 1, 2, 3, 4
