-- Fill rate of the registration-form fields: one row per (scope, group_value, field).
-- scope is overall | channel | form_version | segment; group_value is the channel, form version or
-- segment (null for overall). A field is filled when its value is neither null nor blank.
-- The fields are the attribute columns of candidates. Their set differs per store, so
-- dashboard.metrics.form splices the validated, quoted column names in at the /* @... */
-- markers; that is the only text not bound, and every value below is a parameter.
-- Parameters: $start, $end (registration dates, inclusive; null = open), $as_of (registrations
-- after it are left out), $team, $channel, $handler, $advisor (null = all), $segmentation (the
-- candidate_segments key for the segment scope; null = no segment rows).
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope).
with scoped as (
    --@include staging/scoped_funnel
),

scoped_fields as (
    -- One row per candidate in scope: where it falls in each scope, and 1 per field it filled.
    select
        s.channel as scope_channel,
        s.form_version as scope_form_version,
        g.segment as scope_segment,
        /* @filled_flags */
    from candidates as c
    inner join scoped as s on s.candidate_id = c.candidate_id
    left join candidate_segments as g
        on g.candidate_id = c.candidate_id
        and g.segmentation = cast($segmentation as varchar)
),

-- Each scope adds up the filled flags per field column, and only the few count rows are
-- unpivoted to one row per field: unpivoting first would make a row per candidate and field,
-- tens of millions at a million registrations.
overall as (
    select 'overall' as scope, cast(null as varchar) as group_value, count(*) as candidates, /* @filled_sums */
    from scoped_fields
    group by 1, 2
),

by_channel as (
    select 'channel' as scope, scope_channel as group_value, count(*) as candidates, /* @filled_sums */
    from scoped_fields
    where scope_channel is not null
    group by 1, 2
),

by_form_version as (
    select 'form_version' as scope, scope_form_version as group_value, count(*) as candidates, /* @filled_sums */
    from scoped_fields
    where scope_form_version is not null
    group by 1, 2
),

by_segment as (
    select 'segment' as scope, scope_segment as group_value, count(*) as candidates, /* @filled_sums */
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
