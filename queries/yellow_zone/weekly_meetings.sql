-- Meetings held per week: one row per (week_start, advisor, segment) with at least one meeting
-- held on or before $as_of, whatever its maturity (coverage asks who held the meeting, not how it
-- ended). week_start is the Monday of the meeting's ISO week; labels are made in Python.
-- Parameters:
--   $segmentation  key of the segmentation in candidate_segments
--   $as_of         the moment the data describes
--   $start, $end   registration dates, inclusive (null: open)
--   $team, $channel, $handler, $advisor   scope (null: all); advisor = the meeting advisor
-- The rows in scope, with their segment, are the shared fragment staging/scoped_segments (the
-- segmentation's rows carry the funnel columns: no join).
-- It leaves out registrations after $as_of, which changes nothing here: only meetings held by
-- $as_of count, and the importer rejects steps dated before their registration.
with scoped as (
    --@include staging/scoped_segments
),

meetings as (
    select
        cast(date_trunc('week', f.meeting_held_at) as date) as week_start,
        f.meeting_advisor_id as advisor,
        f.segment
    from scoped as f
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
