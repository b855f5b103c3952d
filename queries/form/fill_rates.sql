-- Fill rate of the registration-form fields: one row per (scope, group_value, field).
-- scope is overall | channel | form_version | segment; group_value is the channel, form version or
-- segment (null for overall). A field is filled when its value is neither null nor blank.
-- The fields are the attribute columns of candidates. Their set differs per store, so
-- dashboard.metrics.form splices the validated, quoted column names in at the two /* @... */
-- markers; that is the only text not bound, and every value below is a parameter.
-- Parameters: $start, $end (registration dates, inclusive; null = open), $as_of (registrations
-- after it are left out), $team, $channel, $handler, $advisor (null = all), $segmentation (the
-- candidate_segments key for the segment scope; null = no segment rows).
with scoped as (
    select
        f.candidate_id,
        f.channel,
        f.form_version
    from candidate_funnel as f
    where (cast($start as date) is null or cast(f.registered_at as date) >= cast($start as date))
        and (cast($end as date) is null or cast(f.registered_at as date) <= cast($end as date))
        and (cast($as_of as timestamp) is null or f.registered_at <= cast($as_of as timestamp))
        and (cast($team as varchar) is null or f.team = cast($team as varchar))
        and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
        and (cast($advisor as varchar) is null or f.meeting_advisor_id = cast($advisor as varchar))
),

field_values as (
    select candidate_id, field, value
    from (
        select c.candidate_id, /* @cast_fields */
        from candidates as c
        inner join scoped as s on s.candidate_id = c.candidate_id
    ) unpivot include nulls (value for field in (/* @fields */))
),

filled as (
    select
        v.candidate_id,
        v.field,
        s.channel,
        s.form_version,
        g.segment,
        case when v.value is not null and trim(v.value) <> '' then 1 else 0 end as is_filled
    from field_values as v
    inner join scoped as s on s.candidate_id = v.candidate_id
    left join candidate_segments as g
        on g.candidate_id = v.candidate_id
        and g.segmentation = cast($segmentation as varchar)
),

overall as (
    select 'overall' as scope, cast(null as varchar) as group_value, field, count(*) as candidates, cast(sum(is_filled) as bigint) as filled
    from filled
    group by 1, 2, 3
),

by_channel as (
    select 'channel' as scope, channel as group_value, field, count(*) as candidates, cast(sum(is_filled) as bigint) as filled
    from filled
    where channel is not null
    group by 1, 2, 3
),

by_form_version as (
    select 'form_version' as scope, form_version as group_value, field, count(*) as candidates, cast(sum(is_filled) as bigint) as filled
    from filled
    where form_version is not null
    group by 1, 2, 3
),

by_segment as (
    select 'segment' as scope, segment as group_value, field, count(*) as candidates, cast(sum(is_filled) as bigint) as filled
    from filled
    where segment is not null
    group by 1, 2, 3
)

select scope, group_value, field, candidates, filled from overall
union all select scope, group_value, field, candidates, filled from by_channel
union all select scope, group_value, field, candidates, filled from by_form_version
union all select scope, group_value, field, candidates, filled from by_segment
order by 1, 2, 3
