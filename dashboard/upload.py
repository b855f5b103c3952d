"""The Data page's logic, without Streamlit: reading an upload once (encoding, sheet, kind),
the mapping table <-> ``Profile``, live validation, saved profiles and their recognition by header
set, importing a batch into the shared store or a session workspace, the import history as shown,
and the target-list table <-> TOML. ``dashboard/sections/`` renders it with Streamlit and
``dashboard/views/data.py`` only lays the sections out.

Streamlit reruns the page on every click, so each uploaded file is read exactly once, keyed on its
``UploadedFile.file_id``; an import happens only on a button press and is remembered per file, and
the importer itself ignores a file whose bytes it has seen before (sha256).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import tomli_w

from dashboard import i18n, importer, segments, store, warmup
from dashboard.i18n import t
from dashboard.importer import aliases as al
from dashboard.importer.profile import Profile, ProfileError, StageSpec, attribute_name, sanitise_name
from dashboard.paths import profiles_dir, targets_path

UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm"]
ENCODINGS = ("auto", "utf-8", "cp932", "utf-16")
KIND_ORDER = {kind: i for i, kind in enumerate(al.KINDS)}  # staff, candidates, events, activities
SAMPLE_VALUES = 3
PREVIEW_ROWS = 20
STATUS_VALUES_SHOWN = 200

# Mapping-table targets. A row of the table is one source column; its target is one of these codes.
DROP = "drop"
ATTRIBUTE = "attribute"
HANDLER = "staff:handler"  # who made first contact and booked the meeting
ADVISOR = "staff:advisor"  # who held the meeting and carried the candidate afterwards
_ADVISOR_STAGES = al.STAGES[al.STAGES.index("meeting_held"):]
_HANDLER_STAGES = ("first_contact", "meeting_booked")
UNMAPPED = "unmapped"  # a status value that maps to no stage (an empty cell would show as None)


# =============================================================================================
# Mapping table <-> profile
# =============================================================================================

def target_options(kind: str) -> list[str]:
    """Every target a source column of a ``kind`` export can have, in menu order."""
    options = [f"column:{c}" for c in al.COLUMNS[kind]]
    if kind in ("candidates", "events"):
        options += [f"stage:{s}:at" for s in al.STAGES]
        options += ["stage:meeting_booked:scheduled_for", HANDLER, ADVISOR]
        options += [f"staff:{s}" for s in al.STAGES]
    if kind == "candidates":
        options.append(ATTRIBUTE)
    options.append(DROP)
    return options


def target_label(code: str, lang: str | None = None) -> str:
    """How a target code reads in the menu: 'column: 求職者ID (candidate_id)', 'time of: 面談実施'..."""
    if code in (DROP, ATTRIBUTE, HANDLER, ADVISOR):
        return t(f"upload.target_{code.replace('staff:', '')}", lang)
    kind, _, rest = code.partition(":")
    if kind == "column":
        return t("upload.target_column", lang, name=t(f"upload_column.{rest}", lang), column=rest)
    if kind == "stage":
        stage, _, part = rest.partition(":")
        return t(f"upload.target_stage_{part}", lang, stage=t(f"stage.{stage}", lang))
    if kind == "staff":
        return t("upload.target_stage_staff", lang, stage=t(f"stage.{rest}", lang))
    return code


def _stage_staff(profile: Profile) -> dict[str, set[str]]:
    """Header -> the stages it is the staff column of."""
    out: dict[str, set[str]] = {}
    for stage, spec in profile.stages.items():
        if spec.staff:
            out.setdefault(spec.staff, set()).add(stage)
    return out


def _staff_code(header: str, stages: set[str], profile: Profile, advisor_taken: bool) -> str:
    """The one menu code that reproduces ``stages`` for this header (see ``_apply_staff``)."""
    present = set(profile.stages)
    covered = present & ({"meeting_booked"} | set(_ADVISOR_STAGES))
    if (not advisor_taken and stages & set(_ADVISOR_STAGES) and stages <= covered
            and all(profile.stages[s].staff for s in covered - stages)):
        # The stages it does not cover are staffed by other columns, which win over the advisor.
        return ADVISOR
    if stages == present & set(_HANDLER_STAGES) and len(stages) == 2:
        return HANDLER
    return f"staff:{next(s for s in al.STAGES if s in stages)}"


def mapping_table(raw: importer.RawTable, profile: Profile) -> pd.DataFrame:
    """One row per source column: ``source``, ``sample``, ``target`` (a code from
    ``target_options``), ``name`` (the attribute name), ``personal`` (why it is personal data)."""
    personal = importer.find_personal_columns(raw, profile)
    missing = set(profile.missing_values)
    by_header: dict[str, str] = {}
    # One row, one target: a header a profile reads twice (a staff list's name doubling as its
    # id) shows its required use; the importer fills the other from it.
    required = al.REQUIRED[profile.kind]
    for key, h in sorted(profile.columns.items(), key=lambda kv: kv[0] not in required):
        by_header.setdefault(h, f"column:{key}")
    for stage, spec in profile.stages.items():
        by_header.setdefault(spec.at, f"stage:{stage}:at")
        if spec.scheduled_for:
            by_header.setdefault(spec.scheduled_for, f"stage:{stage}:scheduled_for")
    staff = sorted(_stage_staff(profile).items(), key=lambda kv: -len(kv[1] & set(_ADVISOR_STAGES)))
    for h, stages in staff:
        code = _staff_code(h, stages, profile, advisor_taken=ADVISOR in by_header.values())
        by_header.setdefault(h, code)
    attr_of = {h: a for a, h in profile.attributes.items()}
    taken = set(profile.attributes)
    rows = []
    for h in raw.df.columns:
        why = personal.get(h)
        if why is None and al.norm_header(h) in al.FREE_TEXT and h not in by_header:
            why = "free_text"  # may hold names and phone numbers; proposed as dropped
        code = by_header.get(h)
        name = ""
        if code is None:
            if why or h in profile.drop or profile.kind != "candidates":
                code = DROP
            else:
                code = ATTRIBUTE
                name = attr_of.get(h) or attribute_name(h, taken)
                taken.add(name)
        rows.append({
            "source": h,
            "sample": _samples(raw.df[h], missing, masked=bool(why)),
            "target": code,
            "name": name,
            "personal": t(f"import_drop.{why}") if why else "",
        })
    return pd.DataFrame(rows, columns=["source", "sample", "target", "name", "personal"])


def _samples(col: pd.Series, missing: set[str], masked: bool) -> str:
    values = []
    for v in col.head(500):
        v = str(v).strip()
        if v and v not in missing and v not in values:
            values.append(v)
            if len(values) == SAMPLE_VALUES:
                break
    if masked and values:
        # Personal data is not shown back either: only its shape.
        return " / ".join(re.sub(r"\w", "•", v)[:12] for v in values)
    return " / ".join(v[:40] for v in values)


class MappingError(ValueError):
    """A mapping table that does not make a valid profile; ``messages`` name the rows."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def profile_from_table(table: pd.DataFrame, base: Profile, kind: str) -> Profile:
    """The profile a (possibly edited) mapping table describes. Everything the table does not
    hold (name, encoding, sheet, missing values, stage and role names) comes from ``base``."""
    errors: list[str] = []
    columns: dict[str, str] = {}
    ats: dict[str, str] = {}
    scheduled: dict[str, str] = {}
    staff_rows: list[tuple[str, str]] = []
    attributes: dict[str, str] = {}
    drop: list[str] = []
    allowed = set(target_options(kind))
    for rec in table.to_dict("records"):
        header = str(rec.get("source") or "")
        code = rec.get("target") or DROP
        if not header:
            continue
        if code not in allowed:
            errors.append(t("upload.err_target_kind", source=header, target=target_label(code) if ":" in code else code,
                            kind=t(f"import_kind.{kind}")))
            continue
        part, _, rest = code.partition(":")
        if part == "column":
            if rest in columns:
                errors.append(t("upload.err_twice", target=target_label(code), a=columns[rest], b=header))
            columns[rest] = header
        elif part == "stage":
            stage, _, which = rest.partition(":")
            slot = ats if which == "at" else scheduled
            if stage in slot:
                errors.append(t("upload.err_twice", target=target_label(code), a=slot[stage], b=header))
            slot[stage] = header
        elif part == "staff":
            staff_rows.append((header, code))
        elif code == ATTRIBUTE:
            name = str(rec.get("name") or "").strip() or attribute_name(header, set(attributes))
            clean = sanitise_name(name)
            if clean in attributes:
                errors.append(t("upload.err_attr_twice", name=clean, a=attributes[clean], b=header))
            attributes[clean] = header
        else:
            drop.append(header)
    for stage in scheduled:
        if stage not in ats:
            errors.append(t("upload.err_scheduled_without_stage", stage=t(f"stage.{stage}")))
    stages = {s: StageSpec(at=ats[s], scheduled_for=scheduled.get(s)) for s in al.STAGES if s in ats}
    _apply_staff(stages, staff_rows, errors)
    if errors:
        raise MappingError(errors)
    data = base.to_dict()
    data.update(kind=kind, columns=columns, attributes=attributes,
                stages={s: spec.to_dict() for s, spec in stages.items()})
    data["drop"] = drop if kind == "candidates" else [h for h in base.drop if h in set(table["source"])]
    if kind != "events" or "stage" not in columns:
        data.pop("stage_names", None)
    if kind != "staff":
        data.pop("role_names", None)
    if not data.get("drop"):
        data.pop("drop", None)
    try:
        return Profile.from_dict(data)
    except ProfileError as exc:
        raise MappingError(exc.messages) from None


def _apply_staff(stages: dict[str, StageSpec], staff_rows: list[tuple[str, str]], errors: list[str]) -> None:
    """Set each stage's staff column: a stage named on its own wins over the handler, which wins
    over the advisor (who covers meeting_held and later, and meeting_booked when no one else does)."""
    explicit: dict[str, str] = {}
    handler: str | None = None
    advisor: str | None = None
    for header, code in staff_rows:
        if code == HANDLER:
            handler = handler or header
        elif code == ADVISOR:
            advisor = advisor or header
        else:
            stage = code.split(":", 1)[1]
            if stage in explicit:
                errors.append(t("upload.err_twice", target=target_label(code), a=explicit[stage], b=header))
            explicit[stage] = header
    for stage, spec in stages.items():
        if stage in explicit:
            spec.staff = explicit[stage]
        elif stage in _HANDLER_STAGES and handler:
            spec.staff = handler
        elif (stage in _ADVISOR_STAGES or stage == "meeting_booked") and advisor:
            spec.staff = advisor


def stage_names_table(raw: importer.RawTable, profile: Profile) -> pd.DataFrame | None:
    """For an event log: one row per status value with its count and the stage it maps to
    (``UNMAPPED``: its rows are rejected and reported)."""
    header = profile.columns.get("stage")
    if profile.kind != "events" or not header or header not in raw.df.columns:
        return None
    missing = set(profile.missing_values)
    counts = raw.df[header].str.strip().value_counts()
    counts = counts[~counts.index.isin(missing)].head(STATUS_VALUES_SHOWN)
    mapped = {str(k).strip(): v for k, v in profile.stage_names.items()}
    norm = {al.norm_status(k): v for k, v in profile.stage_names.items()}
    rows = []
    for value, n in counts.items():
        stage = mapped.get(value) or norm.get(al.norm_status(value)) or al.STAGE_NAMES.get(al.norm_status(value))
        rows.append({"value": value, "rows": int(n), "stage": stage or UNMAPPED})
    return pd.DataFrame(rows, columns=["value", "rows", "stage"])


def stage_names_from_table(table: pd.DataFrame | None) -> dict[str, str]:
    if table is None:
        return {}
    return {str(r["value"]): r["stage"] for r in table.to_dict("records") if r.get("stage") in al.STAGES}


# =============================================================================================
# Saved profiles and recognition
# =============================================================================================

def profile_path(name: str, folder: Path | None = None) -> Path:
    """Where a profile called ``name`` is saved (its file name is the name, made safe)."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", name.strip()).strip("._") or "profile"
    return (folder or profiles_dir()) / f"{stem}.toml"


def save_profile(profile: Profile, name: str, folder: Path | None = None) -> Path:
    """Write ``profile`` under ``name`` (replacing a saved profile of that name)."""
    name = name.strip()
    if not name:
        raise MappingError([t("upload.err_profile_name")])
    path = profile_path(name, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, profile.with_(name=name).to_toml())
    return path


def saved_profiles(folder: Path | None = None) -> list[Profile]:
    """Every valid profile in the saved-profile folder (invalid files are skipped)."""
    folder = folder or profiles_dir()
    found = []
    for path in sorted(folder.glob("*.toml")) if folder.exists() else []:
        try:
            found.append(Profile.from_file(path))
        except (ProfileError, OSError, UnicodeDecodeError):
            continue
    return found


def recognise(raw: importer.RawTable, profiles: list[Profile]) -> Profile | None:
    """The saved profile made for this kind of export, judged by its header set: every header the
    profile reads must be in the file, and the profile must account for at least half of the
    file's headers (a selection export legitimately leaves a few date columns unused).
    Among several, the closest header set wins, then the one saved for a file of the same name."""
    headers = set(raw.df.columns)
    best, best_key = None, None
    for p in profiles:
        used = p.source_headers()
        if not used or not used <= headers:
            continue
        known = used | set(p.drop) | {h for h in headers if al.is_pii_header(h)}
        score = len(known & headers) / len(known | headers)
        if score < 0.5:
            continue
        key = (score, p.file == raw.file_name, p.name)
        if best_key is None or key > best_key:
            best, best_key = p, key
    return best


# =============================================================================================
# One uploaded file
# =============================================================================================

@dataclass
class Upload:
    """One uploaded file as the page holds it between reruns (keyed on its file_id)."""

    file_id: str
    name: str
    data: bytes
    encoding: str = "auto"
    sheet: str | None = None
    raw: importer.RawTable | None = None
    error: str | None = None  # the one-line refusal when the file cannot be read at all
    kind: str = "candidates"
    base: Profile | None = None  # the profile the mapping editor starts from
    recognised: str | None = None  # name of the saved profile that matched, if any
    version: int = 0  # bumps when the editor must start again from a new base
    table: pd.DataFrame | None = None  # the mapping table of ``base`` (the editor's input)
    preview_key: str | None = None
    preview: importer.Preview | None = None
    results: dict[str, object] = field(default_factory=dict)  # "shared" | workspace key -> result


def read_upload(file_id: str, name: str, data: bytes, encoding: str = "auto", sheet: str | None = None,
                profiles: list[Profile] | None = None) -> Upload:
    """Read an upload (once): decode, sniff, pick the sheet, guess the kind, recognise a saved
    profile or propose one from the headers. A file that is not a table gets ``error``."""
    up = Upload(file_id=file_id, name=name, data=data, encoding=encoding, sheet=sheet)
    reread(up, encoding, sheet, profiles)
    return up


def reread(up: Upload, encoding: str, sheet: str | None, profiles: list[Profile] | None = None) -> None:
    up.encoding, up.sheet = encoding, sheet
    up.preview_key = up.preview = None
    try:
        up.raw = importer.read_table(up.data, up.name, encoding=encoding, sheet=sheet)
        up.error = None
    except importer.ReadError as exc:
        up.raw = None
        up.error = str(importer.ImportRefused(exc.reason_code, up.name, detail=exc.detail))
        return
    if up.raw.n_rows == 0:
        up.error = str(importer.ImportRefused("header_only", up.name))
    match = recognise(up.raw, saved_profiles() if profiles is None else profiles)
    if match is not None:
        set_base(up, match, recognised=True)
    else:
        set_base(up, importer.propose_profile(up.raw, kind=up.raw.kind_guess or "candidates",
                                              name=Path(up.name).stem))


def set_base(up: Upload, profile: Profile, recognised: bool = False) -> None:
    """Start the mapping editor again from ``profile``."""
    up.base = profile.with_(encoding=up.encoding, sheet=up.raw.sheet if up.raw is not None else None)
    up.kind = profile.kind
    up.recognised = profile.name if recognised else None
    up.version += 1
    up.table = None
    up.preview_key = up.preview = None


def change_kind(up: Upload, kind: str) -> None:
    set_base(up, importer.propose_profile(up.raw, kind=kind, name=up.base.name if up.base else Path(up.name).stem))


def preview(up: Upload, profile: Profile, con: duckdb.DuckDBPyConnection | None) -> importer.Preview:
    """Live validation, recomputed only when the profile or the store changes."""
    # A cursor of its own: the shared connection may hold another session's unfinished result.
    cur = con.cursor() if con is not None else None
    try:
        version = store.data_version(cur) if cur is not None else -1
        key = hashlib.sha256(f"{profile.to_toml()}|{id(con)}|{version}|{i18n.language()}".encode()).hexdigest()
        if up.preview_key != key:
            up.preview = importer.validate(up.raw, profile, cur)
            up.preview_key = key
    finally:
        if cur is not None:
            cur.close()
    return up.preview


def mapped_rows(pv: importer.Preview) -> pd.DataFrame:
    """The first rows as they would be stored (for a wide export with stages, the candidates)."""
    for frame in (pv.candidates, pv.staff, pv.activities, pv.events):
        if frame is not None and not frame.empty:
            return frame.head(PREVIEW_ROWS)
    return pd.DataFrame()


def rejections_by_reason(pv: importer.Preview) -> pd.DataFrame:
    rows = [{"reason": t(f"import_reason.{code}"), "rows": n} for code, n in pv.rejected_by_reason.items()]
    return pd.DataFrame(rows, columns=["reason", "rows"])


@dataclass
class Outcome:
    """What happened to one file when it was imported (or refused)."""

    file_name: str
    lines: list[str]
    import_id: int | None = None
    refused: bool = False
    already: bool = False
    file_id: str = ""


def import_uploads(con: duckdb.DuckDBPyConnection, uploads: list[tuple[Upload, Profile]]) -> list[Outcome]:
    """Import files in dependency order (staff, candidates, events, activities), each in its own
    transaction; a refused file is reported and the others go on.

    A batch like ``importer.import_many``: derived tables are rebuilt once, after the last file
    (at 1M registrations a rebuild costs seconds), and the data version moves once, so every
    cache is invalidated once for the batch. The rebuild also runs when a file was refused, for
    the files that landed; when none landed (all refused or imported before) nothing moves."""
    outcomes = []
    ordered = sorted(uploads, key=lambda pair: KIND_ORDER.get(pair[1].kind, len(KIND_ORDER)))
    # Its own cursor: other sessions keep reading the shared connection while the import's
    # transaction is open, and must not see it half done.
    cur = con.cursor()
    landed = False
    try:
        for up, profile in ordered:
            try:
                result = import_bytes(cur, up.data, up.name, profile, refresh=False)
            except importer.ImportRefused as exc:
                outcomes.append(Outcome(up.name, [str(exc)], refused=True, file_id=up.file_id))
                continue
            landed = landed or not result.already_imported
            outcomes.append(Outcome(up.name, _summary(result), result.import_id, already=result.already_imported,
                                    file_id=up.file_id))
    finally:
        try:
            if landed:
                importer.refresh_derived(cur)
                warmup.prepare(cur)  # what the pages would build on their first open
        finally:
            cur.close()
    return outcomes


def _summary(result) -> list[str]:
    """The importer's summary, with its command-line undo hint replaced by the page's."""
    lang = i18n.language()
    cli_hint = t("import_summary.import_id", lang, import_id=result.import_id)
    return [t("upload.import_id", lang, import_id=result.import_id) if line == cli_hint else line
            for line in result.summary_lines(lang)]


def undo(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """``importer.undo`` on its own cursor (see ``import_uploads``)."""
    cur = con.cursor()
    try:
        importer.undo(cur, import_id)
        warmup.prepare(cur)  # the data version moved: the pages' derived tables, built now
    finally:
        cur.close()


def import_bytes(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, profile: Profile | None,
                 refresh: bool = True):
    """``importer.import_file`` for an upload held in memory (``refresh``: see ``import_uploads``)."""
    with tempfile.TemporaryDirectory(prefix="advisor-funnel-upload-") as tmp:
        # The importer reads a path; the upload is written under its own name in a private folder
        # that is removed straight after (personal columns are never written to the store).
        path = Path(tmp) / (Path(file_name).name or "upload")
        path.write_bytes(data)
        return importer.import_file(con, path, profile=profile, file_name=file_name, refresh=refresh)


def new_workspace(label: str) -> dict:
    """An in-memory store for this browser session only (dashboard.frame.WORKSPACE_KEY)."""
    return {"con": store.connect(None), "key": f"session:{uuid.uuid4().hex}", "label": label}


def import_once(con: duckdb.DuckDBPyConnection, where: str, ready: list[tuple[Upload, Profile]]) -> list[Outcome]:
    """Import each file into ``where`` ("shared" or a workspace key) at most once per upload (a
    second press reports the first result; the importer also ignores bytes it has seen before)."""
    for up, _ in ready:
        earlier = up.results.get(where)
        if earlier is not None and not import_exists(con, earlier.import_id):
            del up.results[where]  # undone since: this upload may go in again
    todo = [(up, p) for up, p in ready if where not in up.results]
    done = [up.results[where] for up, p in ready if where in up.results]
    fresh = import_uploads(con, todo) if todo else []
    by_id = {up.file_id: up for up, _ in todo}
    for outcome in fresh:
        if not outcome.refused:
            by_id[outcome.file_id].results[where] = outcome
    again = [Outcome(o.file_name, [t("upload.already_done", file=o.file_name, import_id=o.import_id)],
                     o.import_id, already=True) for o in done]
    return fresh + again


def import_exists(con: duckdb.DuckDBPyConnection, import_id: int | None) -> bool:
    cur = con.cursor()
    try:
        return bool(cur.execute("select count(*) from imports where import_id = $id", {"id": import_id}).fetchall()[0][0])
    finally:
        cur.close()


def import_into_workspace(workspace: dict, ready: list[tuple[Upload, Profile]]) -> list[Outcome]:
    """``import_once`` into a session workspace (``new_workspace``), whose label then lists the
    files in it; a workspace nothing went into keeps an empty label."""
    outcomes = import_once(workspace["con"], workspace["key"], ready)
    if any(o.import_id is not None for o in outcomes):
        names = [n for n in workspace["label"].split(", ") if n] + [o.file_name for o in outcomes if not o.refused]
        workspace["label"] = ", ".join(dict.fromkeys(names))
    return outcomes


def detected_text(up: Upload) -> str:
    """One line on what was detected: sheet or encoding and delimiter, size, the kind it looks like."""
    raw = up.raw
    parts = []
    if raw.sheet:
        parts.append(t("upload.detected_sheet", sheet=raw.sheet, n=len(raw.sheet_names)))
    else:
        delim = {",": t("upload.delim_comma"), "\t": t("upload.delim_tab"), ";": ";", "|": "|"}
        parts.append(t("upload.detected_text", encoding=raw.encoding or "?",
                       delimiter=delim.get(raw.delimiter, raw.delimiter or "?")))
    parts.append(t("upload.detected_size", rows=i18n.fmt_int(raw.n_rows), columns=i18n.fmt_int(len(raw.df.columns))))
    guess = t(f"import_kind.{raw.kind_guess}") if raw.kind_guess else t("upload.kind_unknown")
    parts.append(t("upload.detected_kind", kind=guess))
    return " · ".join(parts)


# =============================================================================================
# Import history
# =============================================================================================

def history_table(imports: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The import history as the page shows it: headings, kinds and times in the reader's
    language; row counts stay numbers (``frame.table`` separates their thousands)."""
    shown = imports[
        ["import_id", "file_name", "kind", "profile_name", "rows_read", "rows_accepted", "rows_rejected", "finished_at"]
    ].assign(
        kind=[t(f"import_kind.{k}", lang) if i18n.has(f"import_kind.{k}") else k for k in imports["kind"]],
        finished_at=[i18n.fmt_datetime(ts, lang) for ts in imports["finished_at"]],
    )
    return shown.rename(columns={c: t(f"data.col_{c}", lang) for c in (
        "import_id", "file_name", "kind", "rows_read", "rows_accepted", "rows_rejected", "finished_at")}
    ).rename(columns={"profile_name": t("data.col_profile", lang)})


def default_rejected_import(import_ids: list[int], with_rejections: set[int]) -> int:
    """Index of the import the rejected-rows picker opens on: the newest (``import_ids`` run
    newest first) that rejected anything, else the newest."""
    return next((i for i, import_id in enumerate(import_ids) if import_id in with_rejections), 0)


# =============================================================================================
# Target list: table <-> TOML
# =============================================================================================

_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|—|〜|~|～|to)\s*(-?\d+(?:\.\d+)?)\s*$")
_LIST_SPLIT = re.compile(r"\s*[,、，]\s*")
TARGET_HEADER = (
    "# The agency's target list (求職者ターゲットリスト), edited on the Data page.\n"
    "# Rules are tried in order; the first match wins (shared/spec/import-profile.md).\n"
)


def _num(x: float):
    return int(x) if float(x).is_integer() else float(x)


def condition_text(c: segments.Condition) -> str:
    if c.kind == "range":
        return f"{_num(c.values[0])}-{_num(c.values[1])}"
    if c.kind == "one_of":
        return ", ".join(str(v) for v in c.values)
    return str(c.values[0])


def targets_table(targets: segments.TargetList | None, attributes: list[str]) -> pd.DataFrame:
    """One row per segment: ``name``, ``target`` and one text column per attribute
    ('30-39' a range, 'a, b' one of, 'x' equals, empty: no condition)."""
    used = targets.attributes if targets else []
    cols = list(dict.fromkeys([*used, *attributes]))
    rows = []
    for i, rule in enumerate(targets.rules if targets else (), start=1):
        row = {"order": i, "name": rule.name, "target": rule.target}
        row.update({a: "" for a in cols})
        for c in rule.conditions:
            row[c.attribute] = condition_text(c)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["order", "name", "target", *cols])
    frame["order"] = frame["order"].astype("Int64")
    frame["target"] = frame["target"].astype(bool)
    for a in cols:
        frame[a] = frame[a].astype("str")
    return frame


def _cell_value(text: str):
    m = _RANGE.match(text)
    if m:
        return [_num(float(m.group(1))), _num(float(m.group(2)))]
    items = [s for s in _LIST_SPLIT.split(text) if s]
    if len(items) > 1:
        # Kept as text: a list of two numbers would read as a range.
        return items
    item = items[0] if items else text
    try:
        return _num(float(item))
    except ValueError:
        return item


def is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() in ("", "None", "nan", "<NA>")


def leading_comments(text: str) -> str:
    """The comment block a target-list file opens with (kept when the table is saved over it)."""
    lines = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines).strip("\n") + "\n" if any(ln.strip() for ln in lines) else ""


def targets_toml(table: pd.DataFrame, header: str = TARGET_HEADER) -> str:
    """The TOML text of a target-list table, rules in ``order`` (rows without one go last, in table
    order; empty rows are skipped). Validate it with ``segments.parse_target_list``."""
    segs = []
    if "order" in table.columns:
        rank = pd.to_numeric(table["order"], errors="coerce").fillna(float("inf"))
        table = table.assign(_rank=rank.to_numpy()).sort_values("_rank", kind="stable").drop(columns="_rank")
    for rec in table.to_dict("records"):
        rec.pop("order", None)
        name = rec.get("name")
        if is_blank(name):
            if any(not is_blank(v) for k, v in rec.items() if k not in ("name", "target")):
                segs.append({"name": "", "target": bool(rec.get("target"))})
            continue
        seg = {"name": str(name).strip(), "target": bool(rec.get("target")) if not is_blank(rec.get("target")) else False}
        for key, value in rec.items():
            if key in ("name", "target") or is_blank(value):
                continue
            seg[str(key)] = _cell_value(str(value).strip())
        segs.append(seg)
    return header + "\n" + tomli_w.dumps({"segment": segs})


def save_targets(text: str, path: Path | None = None) -> segments.TargetList:
    """Validate a target list and write it (atomically) to the target-list file."""
    path = path or targets_path()
    parsed = segments.parse_target_list(text, source=path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, text)
    return parsed


def segment_counts(con: duckdb.DuckDBPyConnection, targets: segments.TargetList) -> pd.DataFrame:
    """Candidates per segment under ``targets`` (``segments.count_by_segment``: the SQL that
    materialises a segmentation, run without writing, so an unsaved list can be tried), in the
    list's order, then unknown and other."""
    order = {name: i for i, name in enumerate(targets.segment_names() + [segments.UNKNOWN, segments.OTHER])}
    counts = segments.count_by_segment(con, targets)
    target = {r.name: r.target for r in targets.rules}
    rows = [{"segment": s, "target": target.get(s, False), "candidates": n}
            for s, n in sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))) if n]
    return pd.DataFrame(rows, columns=["segment", "target", "candidates"])


def segment_counts_of(con: duckdb.DuckDBPyConnection, text: str, source: str) -> pd.DataFrame:
    """``segment_counts`` of a target list's TOML text (the editor's rows as saved would be): a
    cacheable call, keyed by the text (``dashboard.cache``)."""
    return segment_counts(con, segments.parse_target_list(text, source=source))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
