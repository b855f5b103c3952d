-- The form fields as the export named them: one row per attribute column of candidates, with the
-- source header it was imported from (e.g. age <- 年齢), for labels a manager recognises.
-- Parameters: none.
select
    column_name as field,
    source_header
from candidate_columns
order by 1
