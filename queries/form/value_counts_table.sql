-- The form's pre-aggregate (see form/value_counts_build), created when first needed; not part of
-- the canonical schema. form_value_builds: one row per build present in form_value_counts, keyed
-- by the data version, as-of moment, outcome windows and form fields it was built for.
-- Parameters: none.
create table if not exists form_value_builds (
    build          varchar not null,
    data_version   bigint not null
);

create table if not exists form_value_counts (
    build                varchar not null,
    grain                varchar not null,   -- all | week | team | channel | handler | cell
    field                varchar not null,
    value                varchar,            -- trimmed text of the value; null = empty
    cohort_week          date,
    team                 varchar,
    channel              varchar,
    handler              varchar,
    is_meeting_mature    boolean,
    has_meeting          boolean,
    is_placement_mature  boolean,
    has_placement        boolean,
    candidates           bigint not null
);
