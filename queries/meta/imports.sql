-- Import history: one row per import, newest first.
-- Parameters: none.
select
    import_id,
    file_name,
    kind,
    profile_name,
    rows_read,
    rows_accepted,
    rows_rejected,
    started_at,
    finished_at,
    sha256,
    summary_json
from imports
order by import_id desc
