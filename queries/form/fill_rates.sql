-- Fill rate of the registration-form fields: one row per (scope, group_value, field).
-- scope is overall | channel | form_version | segment; group_value is the channel, form version or
-- segment (null for overall). A field is filled when its value is neither null nor blank.
-- The fields are the attribute columns of candidates. Their set differs per store, so
-- dashboard.metrics.form splices the validated, quoted column names in at the /* @... */
-- markers; that is the only text not bound, and every value below is a parameter.
-- Parameters: $start, $end (registration dates, inclusive; null = open), $as_of (registrations
-- after it are left out), $team, $channel, $handler, $advisor (null = all), $segmentation (the
-- candidate_segments key for the segment scope; null = no segment rows).
-- The candidates come from two places, added up: the pre-aggregate form_fill_counts
-- (form/fill_counts_build) for the cohort weeks it covers, and a row per candidate in scope outside
-- them (a period's partial weeks, or all of them without a usable build). $build (the build for
-- this data version, $as_of and $segmentation; null = none, every candidate counted here),
-- $build_from, $build_to (the first and last cohort week, Mondays, read from the build,
-- inclusive; null = open).
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope); segments join on cand_key.
with scoped as (
    --@include staging/scoped_funnel
),

built_fields as (
    -- The weeks the pre-aggregate covers: registrations per cell and their filled fields.
    select
        channel as scope_channel,
        form_version as scope_form_version,
        segment as scope_segment,
        candidates,
        /* @filled_columns_read */
    from form_fill_counts
    where build = cast($build as varchar)
        and (cast($build_from as date) is null or cohort_week >= cast($build_from as date))
        and (cast($build_to as date) is null or cohort_week <= cast($build_to as date))
        and (cast($team as varchar) is null or team = cast($team as varchar))
        and (cast($channel as varchar) is null or channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or handler = cast($handler as varchar))
),

unbuilt as (
    -- Candidates in scope the pre-aggregate does not count.
    select *
    from scoped
    where cast($build as varchar) is null
        or cohort_week < cast($build_from as date)
        or cohort_week > cast($build_to as date)
),

unbuilt_fields as (
    -- One row per candidate: where it falls in each scope, and 1 per field it filled.
    select
        s.channel as scope_channel,
        s.form_version as scope_form_version,
        g.segment as scope_segment,
        1 as candidates,
        /* @filled_flags */
    from candidates as c
    inner join unbuilt as s on s.candidate_id = c.candidate_id
    left join candidate_segments as g
        on g.cand_key = s.cand_key
        and g.segmentation = cast($segmentation as varchar)
),

scoped_fields as (
    select * from built_fields
    union all
    select * from unbuilt_fields
),

-- Each scope adds up the filled flags per field column, and only the few count rows are
-- unpivoted to one row per field: unpivoting first would make a row per candidate and field,
-- tens of millions at a million registrations.
overall as (
    select 'overall' as scope, cast(null as varchar) as group_value, cast(sum(candidates) as bigint) as candidates, /* @filled_sums */
    from scoped_fields
    group by 1, 2
),

by_channel as (
    select 'channel' as scope, scope_channel as group_value, cast(sum(candidates) as bigint) as candidates, /* @filled_sums */
    from scoped_fields
    where scope_channel is not null
    group by 1, 2
),

by_form_version as (
    select 'form_version' as scope, scope_form_version as group_value, cast(sum(candidates) as bigint) as candidates, /* @filled_sums */
    from scoped_fields
    where scope_form_version is not null
    group by 1, 2
),

by_segment as (
    select 'segment' as scope, scope_segment as group_value, cast(sum(candidates) as bigint) as candidates, /* @filled_sums */
    from scoped_fields
    where scope_segment is not null
    group by 1, 2
),

counts as (
    select * from overall
    union all select * from by_channel
    union all select * from by_form_version
    union all select * from by_segment
),

per_field as (
    select scope, group_value, field, candidates, filled
    from counts unpivot (filled for field in (/* @fields */))
)

select scope, group_value, field, candidates, filled
from per_field
order by 1, 2, 3
