-- Missed matches, counted: one row per (kind, advisor, segment) with how many missed matches it
-- holds (advisor is null for kind 'no_meeting'). Few rows (advisors x high-yield segments), from
-- which dashboard.metrics.yellow_zone makes the totals and the expected placements lost.
-- Parameters:
--   $segmentation, $high_yield_segments, $high_advisors, $meeting_window_days: the yellow-zone tiers
--   and window (staging/missed_matches)
--   $start, $end, $team, $channel, $handler, $advisor, $as_of: the shared filters
--   (staging/scoped_funnel, through staging/missed_matches); advisor = the meeting advisor
with missed as (
    --@include staging/missed_matches
)

select
    kind,
    advisor,
    segment,
    count(*) as candidates
from missed
group by 1, 2, 3
order by 1, 2, 3
