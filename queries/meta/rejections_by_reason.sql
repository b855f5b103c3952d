-- Rejections per import and reason: one row per (import_id, reason_code).
-- Parameters: none.
select
    import_id,
    reason_code,
    count(*) as rejected_rows
from rejected_rows
group by 1, 2
order by 1 desc, 3 desc, 2
