-- The pre-aggregate of form/unknown_values (see form/unknown_counts_build), created when first
-- needed; not part of the canonical schema. form_unknown_builds: one row per build present in
-- form_unknown_counts (data version, as-of moment, segmentation, attributes).
-- Parameters: none.
create table if not exists form_unknown_builds (
    build          varchar not null,
    data_version   bigint not null
);

create table if not exists form_unknown_counts (
    build          varchar not null,
    vals           varchar[],          -- the attributes' values as text, in the build's order
    candidates     bigint not null
);
