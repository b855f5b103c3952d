-- Outcomes by binned form field: one row per (field, bin), the small contingency table from which
-- dashboard.metrics.form computes each field's normalised mutual information with the outcome and
-- the outcome rate when the field is filled against empty.
-- Bins: numeric fields by quintile of their filled values (q1..q5), other fields by value (the
-- $top_k most frequent values, the rest '(other)'); an empty field is its own bin '(empty)', since
-- who leaves a field empty is itself informative (missing not at random).
-- Outcomes: a meeting held within $meeting_window_days of registration, counted over mature
-- cohorts only (registration week plus the window before $as_of); a placement within
-- $placement_window_days of the first meeting held, over meetings whose week is mature likewise
-- (the flags are staging/form_outcomes').
-- Candidates per (field, value, outcome flags) come from two places, added up: the pre-aggregate
-- form_value_counts (form/value_counts_build) for the cohort weeks it covers, read at the coarsest
-- grain that keeps the active filters; and, for every candidate in scope outside those weeks (the
-- partial weeks at the ends of a period, or all of them without a usable build), a row per
-- candidate and field counted here.
-- As in fill_rates.sql the validated, quoted field columns are spliced in at the /* @... */
-- markers; everything else is bound.
-- Parameters: $start, $end (registration dates, inclusive; null = open), $as_of, $team, $channel,
-- $handler, $advisor (null = all), $meeting_window_days, $placement_window_days, $numeric_fields
-- (varchar list: the fields binned by quantile), $top_k (categories kept per field);
-- $build (the form_value_counts build for this data version, $as_of and windows; null = none,
-- every candidate counted here), $grain (all | week | team | channel | handler | cell: the rows of
-- the build to read), $build_from, $build_to (the first and last cohort week, Mondays, read from
-- the build, inclusive; null = open; the period's partial weeks lie outside them).
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope).
with outcomes as (
    --@include staging/form_outcomes
),

built_counts as (
    -- The weeks the pre-aggregate covers, at the grain chosen for the filters (a filter that is
    -- not set passes the grain's null column).
    select field, value, is_meeting_mature, has_meeting, is_placement_mature, has_placement, candidates
    from form_value_counts
    where build = cast($build as varchar)
        and grain = cast($grain as varchar)
        and (cast($build_from as date) is null or cohort_week >= cast($build_from as date))
        and (cast($build_to as date) is null or cohort_week <= cast($build_to as date))
        and (cast($team as varchar) is null or team = cast($team as varchar))
        and (cast($channel as varchar) is null or channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or handler = cast($handler as varchar))
),

unbuilt as (
    -- Candidates in scope the pre-aggregate does not count.
    select *
    from outcomes
    where cast($build as varchar) is null
        or cohort_week < cast($build_from as date)
        or cohort_week > cast($build_to as date)
),

field_values as (
    -- The outcome flags ride along with every field value, so the contingency table below needs
    -- no join back to the candidates (a join per candidate and field, not per candidate).
    select is_meeting_mature, has_meeting, is_placement_mature, has_placement, field, value
    from (
        select o.is_meeting_mature, o.has_meeting, o.is_placement_mature, o.has_placement, /* @cast_fields */
        from candidates as c
        inner join unbuilt as o on o.candidate_id = c.candidate_id
    ) unpivot include nulls (value for field in (/* @fields */))
),

unbuilt_counts as (
    select field, value, is_meeting_mature, has_meeting, is_placement_mature, has_placement, count(*) as candidates
    from field_values
    group by 1, 2, 3, 4, 5, 6
),

value_counts as (
    -- Candidates per (field, value, outcome flags). Every later step works on these few rows,
    -- weighted by candidates (values are trimmed after counting, so once per distinct value; sums
    -- merge what trimming joins).
    select
        field,
        value,
        is_meeting_mature,
        has_meeting,
        is_placement_mature,
        has_placement,
        cast(sum(candidates) as bigint) as candidates
    from (
        select * from built_counts
        union all
        select * from unbuilt_counts
    ) as counted
    group by 1, 2, 3, 4, 5, 6
),

typed as (
    select
        field,
        nullif(trim(value), '') as value,
        list_contains(cast($numeric_fields as varchar[]), field) as is_numeric,
        case when list_contains(cast($numeric_fields as varchar[]), field) then try_cast(nullif(trim(value), '') as double) end as number,
        is_meeting_mature,
        has_meeting,
        is_placement_mature,
        has_placement,
        candidates
    from value_counts
),

cuts as (
    -- Quintiles over the candidates' numbers: each value repeated once per candidate holding it,
    -- the same multiset the quantiles would see row by row. One quantile_cont over the list of
    -- the four fractions collects the multiset once (four calls would collect it four times).
    select
        field,
        quintiles[1] as q1,
        quintiles[2] as q2,
        quintiles[3] as q3,
        quintiles[4] as q4
    from (
        select field, quantile_cont(number, [0.2, 0.4, 0.6, 0.8]) as quintiles
        from (
            select field, number, unnest(range(candidates)) as copy
            from typed
            where number is not null
        ) as repeated
        group by 1
    ) as fractions
),

category_counts as (
    select field, value, sum(candidates) as candidates
    from typed
    where not is_numeric and value is not null
    group by 1, 2
),

category_ranks as (
    select
        field,
        value,
        row_number() over (partition by field order by candidates desc, value) as value_rank
    from category_counts
),

binned as (
    select
        t.is_meeting_mature,
        t.has_meeting,
        t.is_placement_mature,
        t.has_placement,
        t.candidates,
        t.field,
        t.value is not null as is_filled,
        t.number,
        case
            when t.value is null then '(empty)'
            when t.is_numeric and t.number is null then '(other)'
            when t.is_numeric and t.number <= k.q1 then 'q1'
            when t.is_numeric and t.number <= k.q2 then 'q2'
            when t.is_numeric and t.number <= k.q3 then 'q3'
            when t.is_numeric and t.number <= k.q4 then 'q4'
            when t.is_numeric then 'q5'
            when r.value_rank <= cast($top_k as integer) then t.value
            else '(other)'
        end as bin,
        case
            when t.value is null then 1000000
            when t.is_numeric then 0
            when r.value_rank <= cast($top_k as integer) then r.value_rank
            else 999999
        end as bin_order
    from typed as t
    left join cuts as k on k.field = t.field
    left join category_ranks as r on r.field = t.field and r.value = t.value
)

select
    b.field,
    b.bin,
    min(b.bin_order) as bin_order,
    max(case when b.is_filled then 1 else 0 end) = 1 as is_filled,
    min(b.number) as bin_low,
    max(b.number) as bin_high,
    cast(sum(b.candidates) as bigint) as candidates,
    cast(sum(case when b.is_meeting_mature then b.candidates else 0 end) as bigint) as meeting_candidates,
    cast(sum(case when b.is_meeting_mature and b.has_meeting then b.candidates else 0 end) as bigint) as meetings,
    cast(sum(case when b.is_placement_mature then b.candidates else 0 end) as bigint) as placement_candidates,
    cast(sum(case when b.is_placement_mature and b.has_placement then b.candidates else 0 end) as bigint) as placements
from binned as b
group by 1, 2
order by 1, 3, 2
