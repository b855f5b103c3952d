-- The target-list attributes of candidates whose segment is 'unknown': one row per distinct
-- combination of the typed values of the attributes the target list's rules read, with how many
-- such candidates have it (dashboard.metrics.form then finds, rule by rule, which missing ones left
-- each combination undecided; counted here, a million registrations cost a few thousand rows).
-- Without filters the combinations come from the pre-aggregate form_unknown_counts
-- (form/unknown_counts_build; $build, null = none: counted here row by row), their text cast back
-- to each attribute's type.
-- The validated, quoted attribute columns are spliced in at the /* @select_fields */,
-- /* @typed_fields */ and /* @fields */ markers; the only text not bound.
-- Parameters: $segmentation (candidate_segments key of the target list), $start, $end
-- (registration dates, inclusive; null = open), $as_of (registrations after it are left out),
-- $team, $channel, $handler, $advisor (null = all), $build (see above).
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope). Segments join on the integer
-- cand_key (the same candidate in the same data version).
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
        and cast($build as varchar) is null
),

combinations as (
    -- From the build: each value's text cast back to its attribute's type.
    select /* @typed_fields */, candidates
    from form_unknown_counts
    where build = cast($build as varchar)
    union all
    select /* @select_fields */, 1 as candidates
    from candidates as c
    inner join unknown as u on u.candidate_id = c.candidate_id
)

select /* @fields */, cast(sum(candidates) as bigint) as candidates
from combinations
group by /* @fields */
