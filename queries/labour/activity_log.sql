-- What the activity log holds: one row, with the number of activities, how many carry minutes
-- and how many were made by advisors (role advisor or both). Zero activities: no log imported.
-- Parameters: none.
select
    count(*) as activities,
    cast(sum(case when a.minutes is not null then 1 else 0 end) as bigint) as activities_with_minutes,
    cast(sum(case when st.role in ('advisor', 'both') then 1 else 0 end) as bigint) as advisor_activities
from activities as a
left join staff as st on st.staff_id = a.staff_id
