-- Registrations by target segment, to measure segment identifiability: one row per segment
-- (including 'unknown': a rule needed an attribute the candidate did not give, and 'other').
-- Parameters: $segmentation (candidate_segments key of the target list), $start, $end
-- (registration dates, inclusive; null = open), $as_of (registrations after it are left out),
-- $team, $channel, $handler, $advisor (null = all).
-- The registrations come from two places, added up: the pre-aggregate form_fill_counts
-- (form/fill_counts_build, for this $segmentation) for the cohort weeks it covers, and a row per
-- candidate in scope outside them (a period's partial weeks, or all of them without a usable
-- build). $build (the build for this data version, $as_of and $segmentation; null = none, every
-- candidate counted here), $build_from, $build_to (the first and last cohort week, Mondays, read
-- from the build, inclusive; null = open).
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope). Segments join on the integer
-- cand_key (the same candidate in the same data version).
with scoped as (
    --@include staging/scoped_funnel
),

built as (
    -- The weeks the pre-aggregate covers (a candidate without a membership has no segment there).
    select segment, is_target, candidates
    from form_fill_counts
    where build = cast($build as varchar)
        and segment is not null
        and (cast($build_from as date) is null or cohort_week >= cast($build_from as date))
        and (cast($build_to as date) is null or cohort_week <= cast($build_to as date))
        and (cast($team as varchar) is null or team = cast($team as varchar))
        and (cast($channel as varchar) is null or channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or handler = cast($handler as varchar))
),

unbuilt as (
    -- Candidates in scope the pre-aggregate does not count.
    select cand_key
    from scoped
    where cast($build as varchar) is null
        or cohort_week < cast($build_from as date)
        or cohort_week > cast($build_to as date)
),

segmented as (
    select g.segment, g.is_target, 1 as candidates
    from unbuilt as s
    inner join candidate_segments as g
        on g.cand_key = s.cand_key
        and g.segmentation = cast($segmentation as varchar)
    union all
    select segment, is_target, candidates
    from built
)

select segment, max(cast(is_target as integer)) = 1 as is_target, cast(sum(candidates) as bigint) as candidates
from segmented
group by 1
order by 3 desc, 1
