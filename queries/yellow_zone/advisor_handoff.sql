-- Handoff figures of meetings held: one row per advisor, plus one row with advisor null for the
-- whole scope (the team baseline). Handoff lag = meeting_held_at - first_contact_at; a live
-- transfer is a lag of at most $live_transfer_minutes (the same call handed to the advisor).
-- Parameters:
--   $live_transfer_minutes   settings.live_transfer_minutes
--   $as_of                   the moment the data describes
--   $start, $end             registration dates, inclusive (null: open)
--   $team, $channel, $handler, $advisor   scope (null: all); advisor = the meeting advisor
with funnel as (
    select * from candidate_funnel
),

scoped as (
    select f.*
    from funnel as f
    where (cast($start as date) is null or cast(f.registered_at as date) >= cast($start as date))
        and (cast($end as date) is null or cast(f.registered_at as date) <= cast($end as date))
        and (cast($team as varchar) is null or f.team = cast($team as varchar))
        and (cast($channel as varchar) is null or f.channel = cast($channel as varchar))
        and (cast($handler as varchar) is null or f.first_contact_by = cast($handler as varchar))
        and (cast($advisor as varchar) is null or f.meeting_advisor_id = cast($advisor as varchar))
),

handoffs as (
    select
        meeting_advisor_id as advisor,
        (epoch(meeting_held_at) - epoch(first_contact_at)) / 60.0 as handoff_minutes,
        first_contact_by = meeting_advisor_id as is_own_first_contact
    from scoped
    where meeting_held_at is not null
        and meeting_advisor_id is not null
        and first_contact_at is not null
        and meeting_held_at <= cast($as_of as timestamp)
),

by_advisor as (
    select
        advisor,
        count(*) as meetings,
        sum(case when handoff_minutes <= cast($live_transfer_minutes as double) then 1 else 0 end) as live_transfers,
        sum(case when is_own_first_contact then 1 else 0 end) as own_first_contacts,
        median(handoff_minutes) as median_handoff_minutes
    from handoffs
    group by 1
),

overall as (
    select
        cast(null as varchar) as advisor,
        count(*) as meetings,
        sum(case when handoff_minutes <= cast($live_transfer_minutes as double) then 1 else 0 end) as live_transfers,
        sum(case when is_own_first_contact then 1 else 0 end) as own_first_contacts,
        median(handoff_minutes) as median_handoff_minutes
    from handoffs
)

select * from by_advisor
union all
select * from overall
order by advisor nulls last
