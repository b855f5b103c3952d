-- Registrations by target segment, to measure segment identifiability: one row per segment
-- (including 'unknown': a rule needed an attribute the candidate did not give, and 'other').
-- Parameters: $segmentation (candidate_segments key of the target list), $start, $end
-- (registration dates, inclusive; null = open), $as_of (registrations after it are left out),
-- $team, $channel, $handler, $advisor (null = all).
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope). Segments join on the integer
-- cand_key (the same candidate in the same data version).
with scoped as (
    --@include staging/scoped_funnel
),

segmented as (
    select g.segment, g.is_target
    from scoped as s
    inner join candidate_segments as g
        on g.cand_key = s.cand_key
        and g.segmentation = cast($segmentation as varchar)
)

select segment, max(cast(is_target as integer)) = 1 as is_target, count(*) as candidates
from segmented
group by 1
order by 3 desc, 1
