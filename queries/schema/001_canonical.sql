-- The canonical model (shared/spec/data-contract.md). One row per registration in candidates;
-- one row per funnel step reached in events. Attribute columns are added to candidates by the
-- importer (validated, quoted names; types inferred) and described in candidate_columns.
-- Every stored row remembers the import that wrote it, so an import can be undone exactly.

create sequence if not exists import_id_seq start 1;

create table if not exists imports (
    import_id      integer primary key,
    file_name      varchar not null,
    sha256         varchar not null,
    profile_name   varchar,
    kind           varchar not null,      -- candidates | events | staff | activities
    rows_read      integer not null,
    rows_accepted  integer not null,
    rows_rejected  integer not null,
    summary_json   varchar,               -- the summary printed after the import, as JSON
    started_at     timestamp not null,
    finished_at    timestamp
);

create table if not exists candidates (
    -- One row per candidate_id: the importer rejects an id repeated within a file and replaces
    -- the stored row of an id a later file brings again. No primary key: its index cost ~0.7 s
    -- of a 1M-registration import (insert and commit). Stores created with the key keep it.
    candidate_id   varchar not null,
    registered_at  timestamp not null,
    channel        varchar,
    form_version   varchar,
    import_id      integer not null
);

-- Which attribute columns candidates carries, where each came from and its inferred type.
create table if not exists candidate_columns (
    column_name    varchar primary key,
    data_type      varchar not null,      -- DOUBLE | VARCHAR | TIMESTAMP | BOOLEAN
    source_header  varchar,
    first_import_id integer
);

create table if not exists events (
    candidate_id   varchar not null,
    stage          varchar not null,      -- first_contact | meeting_booked | meeting_held | recommended | interview | offer | placed
    occurred_at    timestamp not null,
    staff_id       varchar,
    scheduled_for  timestamp,
    import_id      integer not null
    -- (candidate_id, stage, occurred_at) is one fact, however many files report it: the importer
    -- writes only steps not yet stored (an anti-join). No primary key: keeping its index cost 4-6 s
    -- and a few hundred MB for 2M events at 1M registrations. Stores created with the key keep it.
);

create table if not exists staff (
    staff_id       varchar primary key,
    name           varchar,
    role           varchar,               -- handler | advisor | both
    team           varchar,
    started_on     date,
    is_inferred    boolean not null default false,
    import_id      integer
);

create table if not exists activities (
    candidate_id   varchar,
    staff_id       varchar,
    started_at     timestamp not null,
    kind           varchar,
    minutes        double,
    import_id      integer not null
);

create table if not exists rejected_rows (
    import_id      integer not null,
    row_number     integer,               -- 1-based data row in the source file (header excluded)
    column_name    varchar,
    value          varchar,
    reason_code    varchar not null,      -- bad_date | missing_id | before_registration | unknown_candidate | unmapped_stage | duplicate_id | ...
    reason         varchar not null,      -- the sentence a manager reads, in the importer's language
    raw_json       varchar,               -- the row's non-personal source values
    reason_params  varchar                -- JSON of the reason's extra values, to re-render it in any language
);
-- Stores created before reason_params existed.
alter table rejected_rows add column if not exists reason_params varchar;

-- Segment membership per segmentation (a target list, identified by its content hash, or an
-- ad-hoc breakdown such as "by:job_category"). Queries take the segmentation as a bound parameter.
create table if not exists candidate_segments (
    segmentation   varchar not null,
    candidate_id   varchar not null,
    segment        varchar not null,
    is_target      boolean,
    data_version   bigint not null
);
-- candidate_funnel.cand_key of the candidate in the same data version (integer joins).
alter table candidate_segments add column if not exists cand_key integer;
-- The candidate_funnel columns the segment queries read, copied when a segmentation is
-- materialised (staging/scoped_segments reads them instead of joining; rows written before these
-- columns existed have them null and are rebuilt, see dashboard.segments._is_current).
alter table candidate_segments add column if not exists registered_at timestamp;
alter table candidate_segments add column if not exists team varchar;
alter table candidate_segments add column if not exists channel varchar;
alter table candidate_segments add column if not exists first_contact_by varchar;
alter table candidate_segments add column if not exists first_contact_at timestamp;
alter table candidate_segments add column if not exists meeting_booked_at timestamp;
alter table candidate_segments add column if not exists meeting_advisor_id varchar;
alter table candidate_segments add column if not exists meeting_held_at timestamp;
alter table candidate_segments add column if not exists placed_at timestamp;

create table if not exists store_meta (
    key            varchar primary key,
    value          varchar
);
