-- The pre-aggregate of form/unknown_values for a page without filters, built lazily by
-- dashboard.metrics.form once per (data version, as-of moment, segmentation, attributes): one
-- row per distinct combination of the target-list attributes among the registrations whose
-- segment is 'unknown', the values as text (a DuckDB value's text casts back to the same value),
-- with how many registrations have it. Per week or team it would be nearly a row per candidate,
-- so a filtered page counts row by row (form/unknown_values).
-- The validated, quoted attribute columns are spliced in at /* @text_fields */; all else is bound.
-- Parameters: $build (the build key written in every row), $segmentation (candidate_segments key
-- of the target list), $as_of; $start, $end, $team, $channel, $handler, $advisor are bound null
-- (every registration up to $as_of: staging/scoped_funnel).
insert into form_unknown_counts
with scoped as (
    --@include staging/scoped_funnel
),

unknown as (
    select s.candidate_id
    from scoped as s
    inner join candidate_segments as g
        on g.cand_key = s.cand_key
        and g.segmentation = cast($segmentation as varchar)
    where g.segment = 'unknown'
),

combinations as (
    select [/* @text_fields */] as vals
    from candidates as c
    inner join unknown as u on u.candidate_id = c.candidate_id
)

select cast($build as varchar) as build, vals, count(*) as candidates
from combinations
group by 2
