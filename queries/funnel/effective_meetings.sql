-- Effective meetings (有効面談数): one row per week in which meetings were held (Monday of the
-- meeting's week), counting first meetings held with candidates in a target segment.
-- Unlike the cohort metrics, the period here is the date the meeting was held (metrics.md:
-- "meetings held in the period"); a count of past meetings needs no maturity.
-- Parameters:
--   $start, $end     first and last meeting date (inclusive; null = open)
--   $team, $channel, $handler, $advisor, $as_of   the shared filters (see funnel/registrations_by_week.sql)
--   $segmentation    target-list key in candidate_segments (is_target = true marks a target segment),
--                    current for the data version (segments.ensure): joined on cand_key
with funnel as (
    select * from candidate_funnel
),

segments as (
    select cand_key, is_target
    from candidate_segments
    where segmentation = cast($segmentation as varchar)
),

meetings as (
    select
        f.cand_key,
        cast(date_trunc('week', f.meeting_held_at) as date) as meeting_week
    from funnel as f
    where f.meeting_held_at <= cast($as_of as timestamp)
      and (cast($start as date) is null or cast(f.meeting_held_at as date) >= cast($start as date))
      and (cast($end as date) is null or cast(f.meeting_held_at as date) <= cast($end as date))
      and (cast($team as varchar) is null or f.team = cast($team as varchar))
      and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
      and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
      and (cast($advisor as varchar) is null or f.meeting_advisor_id = cast($advisor as varchar))
)

select
    m.meeting_week,
    count(*) as meetings_held,
    count(case when s.is_target then 1 end) as effective_meetings
from meetings as m
left join segments as s on s.cand_key = m.cand_key
group by 1
order by 1
