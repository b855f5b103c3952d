-- The fill-rate pre-aggregate, built lazily by dashboard.metrics.form once per (data version,
-- as-of moment, segmentation, fields): registrations and filled fields per (cohort week, team,
-- channel, handler, form version, segment and its is_target), a few ten thousand rows at a million
-- registrations, so that form/fill_rates and form/segment_counts add those up instead of passing
-- over every candidate per page load.
-- A field is filled as in form/fill_rates (neither null nor blank).
-- The validated, quoted field columns are spliced in at the /* @... */ markers; all else is bound.
-- Parameters: $build (the build key written in every row), $segmentation (candidate_segments
-- key; null = segment left null), $as_of; $start, $end, $team, $channel, $handler, $advisor are
-- bound null (every registration up to $as_of: staging/scoped_funnel).
insert into form_fill_counts
with scoped as (
    --@include staging/scoped_funnel
),

scoped_fields as (
    -- One row per candidate: its cell, and 1 per field it filled.
    select
        s.cohort_week,
        s.team,
        s.channel,
        s.first_contact_by as handler,
        s.form_version,
        g.segment,
        g.is_target,
        /* @filled_flags */
    from candidates as c
    inner join scoped as s on s.candidate_id = c.candidate_id
    left join candidate_segments as g
        on g.cand_key = s.cand_key
        and g.segmentation = cast($segmentation as varchar)
)

select
    cast($build as varchar) as build,
    cohort_week,
    team,
    channel,
    handler,
    form_version,
    segment,
    is_target,
    count(*) as candidates,
    /* @filled_sums */
from scoped_fields
group by 2, 3, 4, 5, 6, 7, 8
