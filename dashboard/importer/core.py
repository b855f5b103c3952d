"""Writing a prepared import into the store, in one transaction, and undoing it.

Every stored row carries the ``import_id`` of the import that wrote it. What each write does to rows
that were already there, and what ``undo`` therefore does:

- candidates are replaced: a candidate in a later file replaces the stored row (columns the later
  file does not have keep their values). The replaced version is kept in ``candidates_replaced``;
  undoing the later import puts it back. (Undoing an import whose version was itself replaced
  later re-links the history, so undoing imports in any order ends where it should.)
- events are facts keyed by (candidate_id, stage, occurred_at): an event already stored is not
  written again and stays with the import that first wrote it, so undoing a re-export removes only
  the events that only it brought; undoing the first import removes shared events too.
- activities already stored (same candidate, staff, time and kind) are not written again.
- a staff list upserts staff by staff_id; undoing it removes its rows (an earlier list's version
  of the same person is not restored: import that list again). Staff seen in events but in no
  staff list are inferred (is_inferred) after every import and undo, from all events present.
- attribute columns an import added to ``candidates`` stay (empty) after an undo.
- events and activities of candidates removed by an undo stay in their tables (they reappear in
  the funnel when the candidates are imported again).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import i18n, store
from dashboard.importer import aliases as al
from dashboard.importer.mapping import ImportRefused, Note, Preview, prepare, register_table, unread_columns
from dashboard.importer.profile import Profile, ProfileError, load_profile
from dashboard.importer.reader import (
    RawTable,
    ReadError,
    decode,
    decode_file,
    guess_kind,
    read_table,
    sniff_delimiter,
)
from dashboard.sql import quote_identifier

_HISTORY = "candidates_replaced"


@dataclass
class ImportResult:
    """What one import did. ``rows_read = rows_accepted + rows_rejected`` counts source rows; a
    row that was kept but lost one step (a step before the registration in a wide export) counts
    as accepted, and its step appears in ``rejected_by_reason`` and in rejected_rows. ``counts``
    has rows inserted/updated/already present per table."""

    import_id: int | None
    file_name: str
    kind: str
    already_imported: bool = False
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    dropped_columns: dict[str, str] = field(default_factory=dict)  # header -> alias | email | phone | profile
    unmapped_columns: list[str] = field(default_factory=list)
    date_range: tuple = (None, None)
    profile: Profile | None = None
    messages: list[str] = field(default_factory=list)  # in the UI language; summary_lines(lang) re-renders
    encoding: str | None = None
    delimiter: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list, repr=False)

    def summary_lines(self, lang: str = "ja") -> list[str]:
        t = lambda key, **kw: i18n.t(f"import_summary.{key}", lang, **kw)  # noqa: E731
        if self.already_imported:
            return [t("already", file=self.file_name, import_id=self.import_id)]
        lines = [t("head", file=self.file_name, kind=i18n.t(f"import_kind.{self.kind}", lang),
                   read=i18n.fmt_int(self.rows_read), accepted=i18n.fmt_int(self.rows_accepted),
                   rejected=i18n.fmt_int(self.rows_rejected))]
        if self.rejected_by_reason:
            items = ", ".join(f"{i18n.t(f'import_reason.{k}', lang)} {i18n.fmt_int(v)}"
                              for k, v in self.rejected_by_reason.items())
            lines.append(t("reasons", items=items))
        if self.dropped_columns:
            items = ", ".join(f"{h} ({i18n.t(f'import_drop.{why}', lang)})" for h, why in self.dropped_columns.items())
            lines.append(t("dropped", items=items))
        if self.unmapped_columns:
            lines.append(t("unmapped", items=", ".join(self.unmapped_columns)))
        start, end = self.date_range
        if start is not None:
            lines.append(t("date_range", start=i18n.fmt_date(start, lang), end=i18n.fmt_date(end, lang)))
        lines.extend(n.text(lang) for n in self.notes)
        if self.profile is not None:
            lines.append(t("profile", name=self.profile.name))
        if self.import_id is not None:
            lines.append(t("import_id", import_id=self.import_id))
        return lines

    def to_dict(self) -> dict:
        def iso(x):
            return x.isoformat() if isinstance(x, (dt.date, dt.datetime)) else x

        return {
            "import_id": self.import_id, "file_name": self.file_name, "kind": self.kind,
            "already_imported": self.already_imported, "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted, "rows_rejected": self.rows_rejected,
            "rejected_by_reason": dict(self.rejected_by_reason),
            "dropped_columns": dict(self.dropped_columns), "unmapped_columns": list(self.unmapped_columns),
            "date_range": [iso(self.date_range[0]), iso(self.date_range[1])],
            "profile": self.profile.to_dict() if self.profile else None,
            "messages": list(self.messages), "encoding": self.encoding, "delimiter": self.delimiter,
            "counts": dict(self.counts),
        }


def read_file(path: Path | str, profile: Profile | None = None, file_name: str | None = None,
              data: bytes | None = None, decoded=None, skip=None) -> RawTable:
    """``read_table`` for a path, with read errors turned into ``ImportRefused``. ``decoded``: a
    ``reader.decode_file`` result for this path and the profile's encoding, or a future of one
    (``import_many`` decodes the next file while the current one is written)."""
    name = file_name or Path(path).name
    try:
        if decoded is not None and hasattr(decoded, "result"):
            decoded = decoded.result()  # an error of the background decoding is raised here
        if data is None:
            data = Path(path)  # read_table streams a large text file rather than holding its bytes
        else:
            decoded = None
        return read_table(data, name, encoding=profile.encoding if profile else "auto",
                          sheet=profile.sheet if profile else None, decoded=decoded, skip=skip)
    except ReadError as exc:
        raise ImportRefused(exc.reason_code, name, detail=exc.detail) from None
    except OSError as exc:
        raise ImportRefused("unreadable", name, detail=exc.strerror or type(exc).__name__) from None


def import_file(con: duckdb.DuckDBPyConnection, path, *, profile=None, replace: bool = False,
                file_name: str | None = None, refresh: bool = True, decoded=None) -> ImportResult:
    """Import one export into the store, whole or not at all.

    ``profile``: None (proposed from header aliases), a ``Profile`` or a path to a TOML profile.
    A file whose sha256 was imported before changes nothing (``already_imported``). ``replace``
    first removes earlier imports made with the same profile name (same transaction). Raises
    ``ImportRefused`` for a file it cannot use; the store is then exactly as it was.

    ``refresh=False`` (a batch, see ``import_many``) leaves derived tables (``candidate_funnel``)
    and the data version as they were and marks them stale; the caller must then call
    ``refresh_derived`` once the batch is in. ``decoded``: see ``read_file``.
    """
    name = file_name or Path(path).name
    try:
        prof = load_profile(profile)
    except (ProfileError, OSError) as exc:
        raise ImportRefused("bad_profile", name, detail=str(exc)) from None
    started = dt.datetime.now()  # the import's span in `imports` includes reading the file
    # An import never loads the columns it would drop (personal data, free text) when the profile
    # says which they are; a preview (the upload page) reads them to show what is dropped.
    raw = read_file(path, prof, name, decoded=decoded, skip=unread_columns(prof) if prof else None)
    with store.write_lock():
        earlier = con.execute(
            "select import_id, kind from imports where sha256 = $sha order by import_id limit 1",
            {"sha": raw.sha256},
        ).fetchall()
        if earlier:
            earlier = earlier[0]
            return ImportResult(import_id=int(earlier[0]), file_name=name, kind=earlier[1],
                                already_imported=True, profile=prof, encoding=raw.encoding,
                                delimiter=raw.delimiter)
        con.execute("begin transaction")
        try:
            replaced = []
            if replace:
                target = prof.name if prof else _proposed_name(raw)
                replaced = [r[0] for r in con.execute(
                    "select import_id from imports where profile_name = $n order by import_id desc",
                    {"n": target}).fetchall()]
                for old in replaced:
                    _remove_import(con, old)
            preview = prepare(raw, prof, con, consume=True)
            # The text cells are no longer needed: let them go before the write (with the frames
            # and DuckDB's buffers, the peak of an import at 1M).
            raw.df = raw.df.iloc[:0]
            import_id = int(con.execute("select nextval('import_id_seq')").fetchall()[0][0])
            counts = _write(con, preview, import_id)
            counts["staff_inferred"] = _refresh_inferred_staff(con)
            if refresh:
                store.refresh_derived(con)
                store.bump_version(con)
            else:
                store.mark_derived_stale(con)
            result = _result(preview, import_id, counts, replaced)
            con.execute(
                "insert into imports (import_id, file_name, sha256, profile_name, kind, rows_read, "
                "rows_accepted, rows_rejected, summary_json, started_at, finished_at) values "
                "($id, $file, $sha, $profile, $kind, $read, $accepted, $rejected, $summary, $started, $finished)",
                {"id": import_id, "file": name, "sha": raw.sha256, "profile": preview.profile.name,
                 "kind": preview.kind, "read": result.rows_read, "accepted": result.rows_accepted,
                 "rejected": result.rows_rejected,
                 "summary": json.dumps(result.to_dict(), ensure_ascii=False, default=str),
                 "started": started, "finished": dt.datetime.now()},
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return result


def _proposed_name(raw: RawTable) -> str:
    from dashboard.importer.mapping import propose_profile

    return propose_profile(raw).name


def _result(preview: Preview, import_id: int, counts: dict, replaced: list[int]) -> ImportResult:
    notes = list(preview.notes)
    if replaced:
        notes.insert(0, Note("replaced", {"ids": ", ".join(str(i) for i in sorted(replaced))}))
    for key in ("candidates_updated", "staff_updated", "events_existing", "activities_existing", "staff_inferred"):
        if counts.get(key):
            notes.append(Note(key, {"n": i18n.fmt_int(counts[key])}))
    if counts.get("attributes_added"):
        notes.append(Note("new_attributes", {"items": ", ".join(counts.pop("attributes_added"))}))
    counts.pop("attributes_added", None)
    return ImportResult(
        import_id=import_id, file_name=preview.raw.file_name, kind=preview.kind,
        rows_read=preview.rows_read, rows_accepted=preview.rows_accepted,
        rows_rejected=preview.rows_rejected, rejected_by_reason=preview.rejected_by_reason,
        dropped_columns=dict(preview.dropped), unmapped_columns=list(preview.unmapped),
        date_range=preview.date_range, profile=preview.profile,
        messages=[n.text() for n in notes], encoding=preview.raw.encoding,
        delimiter=preview.raw.delimiter, counts=counts, notes=notes,
    )


# -- writing -------------------------------------------------------------------------------------

def _arrow(frame: pd.DataFrame):
    """Frames go to DuckDB as Arrow tables: a parallel, copy-free scan (a pandas scan of text
    columns goes through Python objects)."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _count(con, sql: str, params: dict | None = None) -> int:
    # fetchall, not fetchone: DuckDB keeps a half-read result open and refuses register() after it.
    return int(con.execute(sql, params or {}).fetchall()[0][0])


def _write(con, preview: Preview, import_id: int) -> dict:
    # Each frame is dropped from the preview once written (import_file's preview is its own).
    counts: dict = {}
    if preview.candidates is not None:
        counts.update(_write_candidates(con, preview, import_id))
        preview.candidates = None
    if preview.staff is not None:
        counts.update(_write_staff(con, preview.staff, import_id))
    if preview.events is not None and not preview.events.empty:
        counts.update(_write_events(con, preview.events, import_id))
        preview.events = None
    if preview.activities is not None:
        counts.update(_write_activities(con, preview.activities, import_id))
        preview.activities = None
    rej = preview.rejections
    if rej is not None and not rej.empty:
        frame = rej.assign(import_id=import_id)
        register_table(con, "_import_rejected", _arrow(frame))
        try:
            con.execute(
                "insert into rejected_rows by name select import_id, row_number, column_name, "
                "cast(value as varchar) as value, reason_code, reason, raw_json, reason_params from _import_rejected"
            )
        finally:
            con.unregister("_import_rejected")
    return counts


def _ensure_history(con) -> None:
    con.execute(
        f"create table if not exists {_HISTORY} as "
        "select *, cast(null as integer) as replaced_by_import from candidates limit 0"
    )
    have = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = $t", {"t": _HISTORY}).fetchall()}
    for name, dtype in con.execute(
        "select column_name, data_type from information_schema.columns where table_name = 'candidates' "
        "order by ordinal_position").fetchall():
        if name not in have:
            con.execute(f"alter table {_HISTORY} add column {quote_identifier(name)} {dtype}")


def _write_candidates(con, preview: Preview, import_id: int) -> dict:
    cand = preview.candidates.assign(import_id=import_id)
    existing = store.attribute_columns(con)
    added = []
    for attr, dtype in preview.attr_types.items():
        if attr in existing:
            continue
        con.execute(f"alter table candidates add column {quote_identifier(attr)} {dtype}")
        con.execute(
            "insert or replace into candidate_columns (column_name, data_type, source_header, first_import_id) "
            "values ($n, $t, $h, $id)",
            {"n": attr, "t": dtype, "h": preview.attr_sources.get(attr), "id": import_id},
        )
        added.append(attr)
    _ensure_history(con)
    register_table(con, "_import_candidates", _arrow(cand))
    try:
        updated = _count(con, "select count(*) from candidates where candidate_id in "
                              "(select candidate_id from _import_candidates)")
        if updated:
            # The stored versions go to the history, then are replaced by the file's rows, which
            # take the columns the file does not have from the version they replace. (No upsert:
            # candidates has no primary key, see 001_canonical.sql.)
            con.execute(
                f"insert into {_HISTORY} by name select c.*, $id as replaced_by_import from candidates as c "
                "where c.candidate_id in (select candidate_id from _import_candidates)",
                {"id": import_id},
            )
            con.execute("delete from candidates where candidate_id in (select candidate_id from _import_candidates)")
            kept = [c for c in existing if c not in set(cand.columns)]
            carried = "".join(f", old.{quote_identifier(c)}" for c in kept)
            con.execute(
                f"insert into candidates by name select new.*{carried} from _import_candidates as new "
                f"left join {_HISTORY} as old on old.candidate_id = new.candidate_id "
                "and old.replaced_by_import = $id",
                {"id": import_id},
            )
        else:  # the common first load
            con.execute("insert into candidates by name select * from _import_candidates")
    finally:
        con.unregister("_import_candidates")
    return {"candidates_inserted": len(cand) - updated, "candidates_updated": updated,
            "attributes_added": added}


def _write_events(con, events: pd.DataFrame, import_id: int) -> dict:
    before = _count(con, "select count(*) from events")
    register_table(con, "_import_events", _arrow(events))
    try:
        # Only steps not stored yet (the prepared frame has each step once): an anti-join, not a
        # primary-key index (see 001_canonical.sql); a store that still has the key gets no conflict.
        con.execute(
            "insert into events (candidate_id, stage, occurred_at, staff_id, scheduled_for, import_id) "
            "select n.candidate_id, n.stage, n.occurred_at, n.staff_id, n.scheduled_for, $id "
            "from _import_events as n where not exists ("
            "  select 1 from events as e where e.candidate_id = n.candidate_id and e.stage = n.stage"
            "  and e.occurred_at = n.occurred_at)",
            {"id": import_id},
        )
    finally:
        con.unregister("_import_events")
    inserted = _count(con, "select count(*) from events") - before
    return {"events_inserted": inserted, "events_existing": len(events) - inserted}


def _write_activities(con, acts: pd.DataFrame, import_id: int) -> dict:
    # A row repeated in the file is one activity: de-duplicated here, in one parallel pass
    # (pandas' drop_duplicates took seconds for 3M calls).
    columns = "candidate_id, staff_id, started_at, kind, minutes"
    before = _count(con, "select count(*) from activities")
    register_table(con, "_import_activities", _arrow(acts))
    try:
        if not before:  # the first call log: nothing to compare with, every distinct row is new
            con.execute(
                f"insert into activities ({columns}, import_id) "
                f"select distinct {columns}, $id from _import_activities",
                {"id": import_id},
            )
            inserted = _count(con, "select count(*) from activities")
            return {"activities_inserted": inserted, "activities_existing": 0}
        con.execute(f"create or replace temp table _import_acts as select distinct {columns} from _import_activities")
    finally:
        con.unregister("_import_activities")
    try:
        distinct = _count(con, "select count(*) from _import_acts")
        con.execute(
            f"insert into activities ({columns}, import_id) "
            "select n.candidate_id, n.staff_id, n.started_at, n.kind, n.minutes, $id "
            "from _import_acts as n where not exists ("
            "  select 1 from activities as a where a.candidate_id is not distinct from n.candidate_id"
            "  and a.started_at = n.started_at and a.staff_id is not distinct from n.staff_id"
            "  and a.kind is not distinct from n.kind)",
            {"id": import_id},
        )
        inserted = _count(con, "select count(*) from activities") - before
    finally:
        con.execute("drop table if exists _import_acts")
    return {"activities_inserted": inserted, "activities_existing": distinct - inserted}


def _write_staff(con, staff: pd.DataFrame, import_id: int) -> dict:
    register_table(con, "_import_staff", _arrow(staff))
    try:
        updated = _count(con, "select count(*) from staff where not is_inferred and staff_id in "
                              "(select staff_id from _import_staff)")
        con.execute(
            "insert into staff (staff_id, name, role, team, started_on, is_inferred, import_id) "
            "select staff_id, name, role, team, cast(started_on as date), false, $id from _import_staff "
            "on conflict (staff_id) do update set name = excluded.name, role = excluded.role, "
            "team = excluded.team, started_on = excluded.started_on, is_inferred = false, "
            "import_id = excluded.import_id",
            {"id": import_id},
        )
    finally:
        con.unregister("_import_staff")
    return {"staff_inserted": len(staff) - updated, "staff_updated": updated}


def _refresh_inferred_staff(con) -> int:
    """Staff named in events but in no staff list, with the role their events show: handler if
    they only make first contact or book meetings, advisor if they only hold meetings and later
    steps, both if both. Recomputed from all events, so it stays right after an undo."""
    con.execute("delete from staff where is_inferred")
    con.execute(
        """
        insert into staff (staff_id, name, role, team, started_on, is_inferred, import_id)
        select
            staff_id,
            staff_id as name,
            case
                when bool_or(stage in ('first_contact', 'meeting_booked'))
                    and bool_or(stage not in ('first_contact', 'meeting_booked')) then 'both'
                when bool_or(stage in ('first_contact', 'meeting_booked')) then 'handler'
                else 'advisor'
            end as role,
            null, null, true, null
        from events
        where staff_id is not null and staff_id not in (select staff_id from staff)
        group by staff_id
        """
    )
    return _count(con, "select count(*) from staff where is_inferred")


# -- undo ----------------------------------------------------------------------------------------

def undo(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Remove one import (see the module docstring for rows it had updated), in one transaction."""
    with store.write_lock():
        con.execute("begin transaction")
        try:
            if not _count(con, "select count(*) from imports where import_id = $id", {"id": import_id}):
                raise ImportRefused("unknown_import", "", import_id=import_id)
            _remove_import(con, import_id)
            _refresh_inferred_staff(con)
            store.refresh_derived(con)
            store.bump_version(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def _remove_import(con, import_id: int) -> None:
    params = {"id": import_id}
    con.execute("delete from candidates where import_id = $id", params)
    if _count(con, "select count(*) from information_schema.tables where table_name = $t", {"t": _HISTORY}):
        _ensure_history(con)
        # Versions this import replaced come back where it still owned the candidate ...
        con.execute(
            f"insert into candidates by name select * exclude (replaced_by_import) from {_HISTORY} "
            "where replaced_by_import = $id and candidate_id not in (select candidate_id from candidates)",
            params,
        )
        # ... and where a later import replaced this import's version, that later import now
        # replaced the version before this one.
        con.execute(
            f"create or replace temp table _import_relink as "
            f"select h.* exclude (replaced_by_import), later.replaced_by_import "
            f"from {_HISTORY} as h join {_HISTORY} as later "
            "on later.candidate_id = h.candidate_id and later.import_id = $id "
            "where h.replaced_by_import = $id",
            params,
        )
        con.execute(f"delete from {_HISTORY} where replaced_by_import = $id or import_id = $id", params)
        con.execute(f"insert into {_HISTORY} by name select * from _import_relink")
        con.execute("drop table _import_relink")
    for table in ("events", "activities", "rejected_rows"):
        con.execute(f"delete from {table} where import_id = $id", params)
    con.execute("delete from staff where import_id = $id and not is_inferred", params)
    con.execute("delete from imports where import_id = $id", params)


def list_imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    cur = con.cursor()
    try:
        return cur.execute(
            "select import_id, file_name, kind, profile_name, rows_read, rows_accepted, rows_rejected, "
            "sha256, started_at, finished_at from imports order by import_id"
        ).df()
    finally:
        cur.close()


# -- several files -------------------------------------------------------------------------------

def refresh_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the derived tables from the canonical ones and move the data version once, in one
    transaction: the end of a batch of ``import_file(..., refresh=False)``."""
    with store.write_lock():
        con.execute("begin transaction")
        try:
            store.refresh_derived(con)
            store.bump_version(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def import_many(con: duckdb.DuckDBPyConnection, paths, profiles=None) -> list[ImportResult]:
    """Import several files in dependency order (staff, candidates, events, activities); each file
    is its own transaction. ``profiles``: None, a list parallel to ``paths``, or a dict from path
    (or file name) to profile. A refused file raises ``ImportRefused`` after the files before it
    were imported.

    Derived tables are rebuilt once, after the last file (at 1M registrations a rebuild costs
    2-6 s), and the data version moves once for the batch; when a file is refused, the rebuild
    still runs for the files that landed before it. Nothing landed (every file already imported,
    or the first refused): no rebuild, no new version."""
    paths = [Path(p) for p in paths]
    if profiles is None:
        chosen = [None] * len(paths)
    elif isinstance(profiles, dict):
        chosen = [profiles.get(p, profiles.get(str(p), profiles.get(p.name))) for p in paths]
    else:
        chosen = list(profiles)
    loaded = []
    for p, prof in zip(paths, chosen):
        try:
            loaded.append(load_profile(prof))
        except (ProfileError, OSError) as exc:
            raise ImportRefused("bad_profile", p.name, detail=str(exc)) from None
    order = {kind: i for i, kind in enumerate(al.KINDS)}
    keyed = sorted(
        zip(paths, loaded),
        key=lambda pair: order.get(pair[1].kind if pair[1] else _peek_kind(pair[0]), len(order)),
    )
    results = []
    # The next file is decoded (CP932 to a temporary UTF-8 file, in Python) in a background thread
    # while the current one is parsed, prepared and written (mostly DuckDB, which lets the other
    # core run Python). Only the decoding: the store is touched by this thread alone, in order.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-decode")
    pending: dict[int, Future] = {}

    def decode_ahead(i: int) -> None:
        if i < len(keyed) and i not in pending:
            p, prof = keyed[i]
            pending[i] = pool.submit(decode_file, p, prof.encoding if prof else "auto", p.name)

    try:
        for i, (p, prof) in enumerate(keyed):
            decode_ahead(i)
            decode_ahead(i + 1)  # queued behind file i's decoding (one worker)
            results.append(import_file(con, p, profile=prof, refresh=False, decoded=pending[i]))
    finally:
        for fut in pending.values():
            fut.cancel()
        pool.shutdown(wait=True)
        for fut in pending.values():  # e.g. after a refused file: temporary files not read are removed
            if not fut.cancelled() and fut.exception() is None:
                fut.result().discard()
        if store.derived_stale(con):
            refresh_derived(con)
    return results


def _peek_kind(path: Path) -> str | None:
    """The kind of a file from its header only (cheap: the first 256 KB)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 18)
        if head.startswith(b"PK\x03\x04"):
            return read_table(path).kind_guess
        text, _ = _decode_head(head)
        delim = sniff_delimiter(text)
        header = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delim), [])
        return guess_kind(header)
    except (OSError, ReadError, StopIteration):
        return None


def _decode_head(head: bytes) -> tuple[str, str]:
    """Decode the start of a file (it may end inside a multi-byte character)."""
    for cut in range(0, 4):
        try:
            return decode(head[: len(head) - cut] if cut else head)
        except ReadError:
            continue
    return head.decode("utf-8", errors="replace"), "utf-8"
