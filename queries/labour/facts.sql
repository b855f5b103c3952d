-- Division-of-labour facts, materialised lazily once per data version by
-- dashboard.metrics.labour.ensure_facts (like candidate_segments by segments.ensure; not part of
-- the import): one row per activity in the log made by an advisor (staff role advisor or both) and
-- one per meeting_held event with a staff member, each with the candidate's integer key and the
-- candidate attributes the labour filters read. The page's queries then scan this table and join
-- nothing on id strings (at 1M: 0.9M advisor activities and 0.4M meetings instead of joins of 3.1M
-- activities and 3.9M events with candidate_funnel on candidate_id).
-- Grain: one row per advisor activity (fact 'activity') or meeting_held event (fact 'meeting').
-- Which data version (and which text of this file) built the table is kept in store_meta, written
-- in the same transaction.
-- Parameters: none.
create or replace table labour_facts as
with advisor_activities as (
    select
        'activity' as fact,
        a.staff_id,
        a.candidate_id,
        a.started_at as occurred_at,
        a.minutes
    from activities as a
    inner join staff as st on st.staff_id = a.staff_id
    where st.role in ('advisor', 'both')
),

meetings as (
    select
        'meeting' as fact,
        e.staff_id,
        e.candidate_id,
        e.occurred_at,
        cast(null as double) as minutes
    from events as e
    where e.stage = 'meeting_held'
        and e.staff_id is not null
),

facts as (
    select * from advisor_activities
    union all
    select * from meetings
)

select
    x.fact,
    x.staff_id,
    f.cand_key,
    x.occurred_at,
    cast(date_trunc('week', x.occurred_at) as date) as week,
    x.minutes,
    -- The candidate's side of the shared filters ($start/$end on the registration date, $channel,
    -- $handler = who made the first contact), as candidate_funnel has them in this data version.
    cast(f.registered_at as date) as registered_on,
    f.channel,
    f.first_contact_by
from facts as x
inner join candidate_funnel as f on f.candidate_id = x.candidate_id
