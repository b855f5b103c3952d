-- Missed matches, the list: one row per missed match (see staging/missed_matches for who counts),
-- newest registration first, at most $limit rows (null: all, for the CSV download). The page and
-- the report show a few; their counts come from yellow_zone/missed_counts, so a million
-- registrations do not send a quarter of a million rows to Python to be counted.
-- Parameters:
--   $segmentation, $high_yield_segments, $high_advisors, $meeting_window_days: the yellow-zone tiers
--   and window (staging/missed_matches)
--   $start, $end, $team, $channel, $handler, $advisor, $as_of: the shared filters
--   (staging/scoped_funnel, through staging/missed_matches); advisor = the meeting advisor
--   $limit                 most rows returned (null: no limit)
with missed as (
    --@include staging/missed_matches
)

select *
from missed
order by registered_at desc, candidate_id
limit cast($limit as bigint)
