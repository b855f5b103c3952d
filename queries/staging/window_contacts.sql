-- Fragment: the including query's `in_scope` rows (all their columns) with contact_at, the first
-- contact when it came by as_of and within the response window of registration, else null (a
-- later contact counts as "not contacted"). Written once for every response-time query.
-- Parameters:
--   $as_of         contacts after it have not happened yet
--   $window_days   the response window in days
select
    s.*,
    case
        when s.first_contact_at <= cast($as_of as timestamp)
         and epoch(s.first_contact_at) - epoch(s.registered_at) <= cast($window_days as double) * 86400
            then s.first_contact_at
    end as contact_at
from in_scope as s
