-- The form's pre-aggregate, built lazily by dashboard.metrics.form (once per data version, as-of
-- moment, outcome windows, fields and $kind): registrations per (field, trimmed value, outcome
-- flags) at several grains, so that form/field_outcomes adds up a few thousand rows instead of
-- unpivoting a row per candidate and field (13 million at a million registrations) per page load.
-- Grains (column grain; the scope columns a grain does not keep are null):
--   $kind 'weeks' (what the page without filters, or with a period only, reads):
--     all     no scope column
--     week    per cohort week
--   $kind 'cells' (built when a team, channel or handler filter is first used):
--     team, channel, handler   per that one column: a page with that one filter
--     cell    per cohort week, team, channel and handler (first contact by): any mix of filters
-- The flags are staging/form_outcomes' (the same expressions the page query uses for the weeks a
-- build does not cover). An empty value is null (trimmed, as form/field_outcomes bins it).
-- The validated, quoted field columns are spliced in at the /* @... */ markers; all else is bound.
-- Parameters: $build (the build key written in every row), $kind (weeks | cells), $as_of,
-- $meeting_window_days, $placement_window_days (see staging/form_outcomes); $start, $end, $team,
-- $channel, $handler, $advisor are bound null (every registration up to $as_of).
insert into form_value_counts
with outcomes as (
    --@include staging/form_outcomes
),

scoped as (
    -- The scope columns the build keeps (none but the week for 'weeks').
    select
        candidate_id,
        cohort_week,
        case when cast($kind as varchar) = 'cells' then team end as team,
        case when cast($kind as varchar) = 'cells' then channel end as channel,
        case when cast($kind as varchar) = 'cells' then first_contact_by end as handler,
        is_meeting_mature,
        has_meeting,
        is_placement_mature,
        has_placement
    from outcomes
),

scope_cells as (
    -- Candidates share few combinations of the scope columns and flags: a small integer per
    -- combination keeps the pass over a row per candidate and field narrow.
    select
        dense_rank() over (
            order by cohort_week, team, channel, handler, is_meeting_mature, has_meeting,
                is_placement_mature, has_placement
        ) as cell,
        *
    from scoped
),

field_values as (
    select cell, field, value
    from (
        select o.cell, /* @cast_fields */
        from candidates as c
        inner join scope_cells as o on o.candidate_id = c.candidate_id
    ) unpivot include nulls (value for field in (/* @fields */))
),

cell_values as (
    -- The one pass over a row per candidate and field.
    select field, nullif(trim(value), '') as value, cell, count(*) as candidates
    from field_values
    group by 1, 2, 3
),

cell_keys as (
    select distinct cell, cohort_week, team, channel, handler, is_meeting_mature, has_meeting,
        is_placement_mature, has_placement
    from scope_cells
),

cells as materialized (
    select
        v.field,
        v.value,
        k.cohort_week,
        k.team,
        k.channel,
        k.handler,
        k.is_meeting_mature,
        k.has_meeting,
        k.is_placement_mature,
        k.has_placement,
        v.candidates
    from cell_values as v
    inner join cell_keys as k on k.cell = v.cell
),

overall as (
    select field, value, is_meeting_mature, has_meeting, is_placement_mature, has_placement,
        sum(candidates) as candidates
    from cells
    where cast($kind as varchar) = 'weeks'
    group by 1, 2, 3, 4, 5, 6
),

by_team as (
    select field, value, team, is_meeting_mature, has_meeting, is_placement_mature, has_placement,
        sum(candidates) as candidates
    from cells
    where cast($kind as varchar) = 'cells'
    group by 1, 2, 3, 4, 5, 6, 7
),

by_channel as (
    select field, value, channel, is_meeting_mature, has_meeting, is_placement_mature, has_placement,
        sum(candidates) as candidates
    from cells
    where cast($kind as varchar) = 'cells'
    group by 1, 2, 3, 4, 5, 6, 7
),

by_handler as (
    select field, value, handler, is_meeting_mature, has_meeting, is_placement_mature, has_placement,
        sum(candidates) as candidates
    from cells
    where cast($kind as varchar) = 'cells'
    group by 1, 2, 3, 4, 5, 6, 7
),

grains as (
    select 'all' as grain, field, value, cast(null as date) as cohort_week, cast(null as varchar) as team,
        cast(null as varchar) as channel, cast(null as varchar) as handler, is_meeting_mature, has_meeting,
        is_placement_mature, has_placement, candidates
    from overall
    union all
    select case when cast($kind as varchar) = 'weeks' then 'week' else 'cell' end, field, value, cohort_week,
        team, channel, handler, is_meeting_mature, has_meeting, is_placement_mature, has_placement, candidates
    from cells
    union all
    select 'team', field, value, null, team, null, null, is_meeting_mature, has_meeting,
        is_placement_mature, has_placement, candidates
    from by_team
    union all
    select 'channel', field, value, null, null, channel, null, is_meeting_mature, has_meeting,
        is_placement_mature, has_placement, candidates
    from by_channel
    union all
    select 'handler', field, value, null, null, null, handler, is_meeting_mature, has_meeting,
        is_placement_mature, has_placement, candidates
    from by_handler
)

select
    cast($build as varchar) as build,
    grain,
    field,
    value,
    cohort_week,
    team,
    channel,
    handler,
    is_meeting_mature,
    has_meeting,
    is_placement_mature,
    has_placement,
    cast(candidates as bigint) as candidates
from grains
