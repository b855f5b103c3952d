-- The fill-rate pre-aggregate (see form/fill_counts_build), created when first needed and again
-- when the form fields change (its columns are the fields); not part of the canonical schema.
-- form_fill_builds: one row per build present in form_fill_counts (data version, as-of moment,
-- segmentation and fields). The validated, quoted field columns are spliced in at
-- /* @filled_columns */.
-- Parameters: none.
create table if not exists form_fill_builds (
    build          varchar not null,
    data_version   bigint not null
);

create table if not exists form_fill_counts (
    build          varchar not null,
    cohort_week    date,
    team           varchar,
    channel        varchar,
    handler        varchar,
    form_version   varchar,
    segment        varchar,
    is_target      boolean,
    candidates     bigint not null,
    /* @filled_columns */
);
