-- What the activity log holds: one row, with the number of activities, how many carry minutes
-- and how many were made by advisors (role advisor or both). Zero activities: no log imported.
-- Parameters: none.
-- The log is counted per staff id first (a handful of rows), then joined with staff: no join of
-- every activity on an id string.
with per_staff as (
    select
        staff_id,
        count(*) as activities,
        count(minutes) as activities_with_minutes
    from activities
    group by 1
)

select
    cast(coalesce(sum(p.activities), 0) as bigint) as activities,
    cast(sum(p.activities_with_minutes) as bigint) as activities_with_minutes,
    cast(sum(case when st.role in ('advisor', 'both') then p.activities else 0 end) as bigint) as advisor_activities
from per_staff as p
left join staff as st on st.staff_id = p.staff_id
