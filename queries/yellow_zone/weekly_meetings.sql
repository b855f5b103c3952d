-- Meetings held per week: one row per (week_start, advisor, segment) with at least one meeting
-- held on or before $as_of, whatever its maturity (coverage asks who held the meeting, not how it
-- ended). week_start is the Monday of the meeting's ISO week; labels are made in Python.
-- Parameters:
--   $segmentation  key of the segmentation in candidate_segments
--   $as_of         the moment the data describes
--   $start, $end   registration dates, inclusive (null: open)
--   $team, $channel, $handler, $advisor   scope (null: all); advisor = the meeting advisor
-- The scope filters on $start, $end, $as_of, $team, $channel, $handler, $advisor are the shared
-- fragment staging/scoped_funnel (candidate_funnel rows in scope).
-- It leaves out registrations after $as_of, which changes nothing here: only meetings held by
-- $as_of count, and the importer rejects steps dated before their registration.
-- Segments are joined on the integer cand_key; a candidate without a membership row is 'unknown'.
with memberships as (
    select cand_key, segment
    from candidate_segments
    where segmentation = cast($segmentation as varchar)
),

scoped as (
    --@include staging/scoped_funnel
),

meetings as (
    select
        cast(date_trunc('week', f.meeting_held_at) as date) as week_start,
        f.meeting_advisor_id as advisor,
        coalesce(m.segment, 'unknown') as segment
    from scoped as f
    left join memberships as m on m.cand_key = f.cand_key
    where f.meeting_held_at is not null
        and f.meeting_advisor_id is not null
        and f.meeting_held_at <= cast($as_of as timestamp)
)

select
    week_start,
    advisor,
    segment,
    count(*) as meetings
from meetings
group by 1, 2, 3
order by 1, 2, 3
