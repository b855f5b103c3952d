-- Rejected rows of one import (or of all imports when $import_id is null): one row per rejection.
-- Parameters: $import_id (integer or null).
select
    r.import_id,
    i.file_name,
    r.row_number,
    r.column_name,
    r.value,
    r.reason_code,
    r.reason,
    r.reason_params,
    r.raw_json
from rejected_rows as r
left join imports as i on i.import_id = r.import_id
where cast($import_id as integer) is null or r.import_id = cast($import_id as integer)
order by r.import_id desc, r.row_number
