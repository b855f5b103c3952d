-- Registrations by target segment, to measure segment identifiability: one row per segment
-- (including 'unknown': a rule needed an attribute the candidate did not give, and 'other').
-- Parameters: $segmentation (candidate_segments key of the target list), $start, $end
-- (registration dates, inclusive; null = open), $as_of (registrations after it are left out),
-- $team, $channel, $handler, $advisor (null = all).
with scoped as (
    select f.candidate_id
    from candidate_funnel as f
    where (cast($start as date) is null or cast(f.registered_at as date) >= cast($start as date))
        and (cast($end as date) is null or cast(f.registered_at as date) <= cast($end as date))
        and (cast($as_of as timestamp) is null or f.registered_at <= cast($as_of as timestamp))
        and (cast($team as varchar) is null or f.team = cast($team as varchar))
        and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
        and (cast($advisor as varchar) is null or f.meeting_advisor_id = cast($advisor as varchar))
),

segmented as (
    select g.segment, g.is_target
    from scoped as s
    inner join candidate_segments as g
        on g.candidate_id = s.candidate_id
        and g.segmentation = cast($segmentation as varchar)
)

select segment, max(cast(is_target as integer)) = 1 as is_target, count(*) as candidates
from segmented
group by 1
order by 3 desc, 1
