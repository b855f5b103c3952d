-- Missed matches, the list: one row per missed match (see staging/missed_matches for who counts),
-- newest registration first, at most $limit rows (null: all, for the CSV download). The page and
-- the report show a few; their counts come from yellow_zone/missed_counts, so a million
-- registrations do not send a quarter of a million rows to Python to be counted.
-- The newest rows are picked on narrow rows (cand_key orders candidates registered at the same
-- moment by candidate_id, as candidate_funnel.cand_key is numbered), then the shown columns are
-- fetched for those rows only.
-- days_from_registration: registration to meeting, or to $as_of for those without one.
-- Parameters:
--   $segmentation, $high_yield_segments, $high_advisors, $meeting_window_days: the yellow-zone tiers
--   and window (staging/missed_matches)
--   $start, $end, $team, $channel, $handler, $advisor, $as_of: the shared filters
--   (staging/scoped_funnel, through staging/missed_matches); advisor = the meeting advisor
--   $limit                 most rows returned (null: no limit)
--   $since                 only registrations at or after this moment (null: all). A caller after
--                          the newest $limit rows passes a recent moment so DuckDB skips the row
--                          groups of older registrations, and asks again without it when fewer
--                          than $limit rows came back (every row left out is older than every row
--                          kept, so the newest $limit are the same)
with missed as (
    --@include staging/missed_matches
),

newest as (
    select *
    from missed
    where cast($since as timestamp) is null or registered_at >= cast($since as timestamp)
    order by registered_at desc, cand_key
    limit cast($limit as bigint)
)

select
    f.candidate_id,
    n.segment,
    n.kind,
    n.advisor,
    f.team,
    f.channel,
    n.registered_at,
    f.first_contact_at,
    f.first_contact_by,
    n.meeting_held_at,
    (
        epoch(case when n.kind = 'other_advisor' then n.meeting_held_at else cast($as_of as timestamp) end)
        - epoch(n.registered_at)
    ) / 86400.0 as days_from_registration
from newest as n
inner join candidate_funnel as f on f.cand_key = n.cand_key
order by n.registered_at desc, n.cand_key
