-- Fragment: the including query's `responses` rows (registered_at, contact_at,
-- first_contact_business_minutes, ...) with the response time in clock minutes and in business
-- minutes (the business minutes to the first contact, read from response_clocks through
-- staging/scoped_clocks, when that contact counts: contact_at is not null). Reads the CTE
-- `responses` of the including query.
-- Parameters: none of its own.
select
    r.*,
    (epoch(r.contact_at) - epoch(r.registered_at)) / 60.0 as response_minutes,
    case when r.contact_at is not null then r.first_contact_business_minutes end as response_business_minutes
from responses as r
