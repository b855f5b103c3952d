-- What is in the store: one row with the registration date range and the event date range.
-- Parameters: none.
select
    (select min(registered_at) from candidates) as first_registered_at,
    (select max(registered_at) from candidates) as last_registered_at,
    (select min(occurred_at) from events) as first_event_at,
    (select max(occurred_at) from events) as last_event_at,
    (select count(distinct team) from staff) as teams,
    (select count(*) from staff where role in ('advisor', 'both')) as advisors,
    (select count(*) from staff where role in ('handler', 'both')) as handlers
