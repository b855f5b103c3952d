"""From a ``RawTable`` and a ``Profile`` to canonical rows and rejections, without writing.

``propose_profile`` guesses a profile from header aliases; ``prepare`` applies a profile: drops
personal data, parses dates and numbers in bulk, and decides for every row whether it is kept and,
if not, why. ``validate`` is the same for the upload page (a preview that never raises).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard import i18n
from dashboard.importer import aliases as al
from dashboard.importer.dates import (
    ParsedDates,
    clean_texts,
    looks_numeric,
    normalise,
    parse_datetimes,
    parse_numbers,
    scratch_connection,
)
from dashboard.importer.profile import Profile, ProfileError, StageSpec, attribute_name, load_profile
from dashboard.importer.reader import RawTable

HANDLER_STAGES = ("first_contact", "meeting_booked")
_DATE_KEYS = ("registered_at", "occurred_at", "scheduled_for", "started_at", "started_on")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE_STRONG = re.compile(
    r"^(?:(?:\+81|0)\d{1,4}[-(]?\d{1,4}[-)]?\d{3,4}|[1-9]\d{0,3}-\d{1,4}-\d{3,4}|[5789]0\d{8})$"
)
_PHONE_WEAK = re.compile(r"^[1-9]\d{8}$")  # landline that lost its leading zero in Excel
PII_SAMPLE = 500


def register_table(con: duckdb.DuckDBPyConnection, name: str, table) -> None:
    """``con.register`` on a connection a caller may have left with a half-read result (e.g. after
    ``fetchone()``): DuckDB refuses to register then, so that result is finished first."""
    con.execute("select 1").fetchall()
    con.register(name, table)


class ImportRefused(Exception):
    """A refused file: nothing was written. ``str(e)`` is one line naming the file and the problem
    (in the current UI language); ``message(lang)`` gives it in a chosen language."""

    def __init__(self, code: str, file_name: str, **params):
        self.code = code
        self.file_name = file_name
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        # A parameter may be a function of the language (e.g. reasons listed in the message).
        params = {k: v(lang or i18n.language()) if callable(v) else v for k, v in self.params.items()}
        return i18n.t(f"import_refuse.{self.code}", lang, file=self.file_name, **params)

    def __str__(self) -> str:
        return self.message(i18n.language())


@dataclass
class Note:
    key: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        return i18n.t(f"import_note.{self.key}", lang, **self.params)


@dataclass
class Preview:
    """What an import would write: canonical frames, rejections, dropped and unused columns."""

    raw: RawTable
    profile: Profile
    kind: str
    rows_read: int
    candidates: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    staff: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    attr_types: dict[str, str] = field(default_factory=dict)
    attr_sources: dict[str, str] = field(default_factory=dict)
    rejections: pd.DataFrame | None = None
    rows_rejected: int = 0
    dropped: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    date_range: tuple = (None, None)
    refused: str | None = None

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_rejected

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        if self.rejections is None or self.rejections.empty:
            return {}
        return {str(k): int(v) for k, v in self.rejections["reason_code"].value_counts().sort_index().items()}


# -- proposing a profile --------------------------------------------------------------------------

def propose_profile(raw: RawTable, kind: str | None = None, name: str | None = None) -> Profile:
    """A profile for ``raw`` from header aliases: canonical columns, stages and their staff,
    known attributes; for event logs, status values that name a stage without doubt."""
    kind = kind or raw.kind_guess or "candidates"
    headers = list(raw.df.columns)
    pii = {h for h in headers if al.is_pii_header(h)}
    taken: set[str] = set()

    def first(aliases_: tuple[str, ...], exclude=()) -> str | None:
        keys = [al.norm_header(a) for a in aliases_]
        for key in keys:  # alias order is preference order
            for h in headers:
                if h not in taken and h not in exclude and al.norm_header(h) == key:
                    return h
        return None

    columns: dict[str, str] = {}
    stages: dict[str, StageSpec] = {}
    for canonical, aliases_ in al.COLUMNS[kind].items():
        if kind == "events" and canonical in ("staff_id", "scheduled_for", "occurred_at"):
            continue  # decided below, once we know whether this is a log or a wide export
        exclude = pii if not (kind == "staff" and canonical == "name") else ()
        h = first(aliases_, exclude)
        if h:
            columns[canonical] = h
            taken.add(h)
    if kind == "events" and "stage" in columns:
        for canonical in ("occurred_at", "staff_id", "scheduled_for"):
            h = first(al.COLUMNS["events"][canonical], pii)
            if h:
                columns[canonical] = h
                taken.add(h)
    elif kind == "events":
        columns.pop("stage", None)
    if kind in ("candidates", "events") and "stage" not in columns:
        stages = _propose_stages(headers, taken, pii)
    stage_names = {}
    if kind == "events" and "stage" in columns:
        stage_names = _propose_stage_names(raw, columns["stage"])
    drop = [h for h in headers if h not in taken and h not in pii and al.norm_header(h) in al.FREE_TEXT]
    attributes: dict[str, str] = {}
    if kind == "candidates":
        names: set[str] = set()
        for h in headers:
            if h in taken or h in pii or h in drop:
                continue
            if al.lookup(al.ATTRIBUTES, h):
                attr = attribute_name(h, names)
                attributes[attr] = h
                names.add(attr)
    return Profile(
        name=name or f"{raw.file_name} ({kind})", kind=kind, columns=columns, stages=stages,
        attributes=attributes, stage_names=stage_names, drop=drop, file=raw.file_name or None,
    )


def _propose_stages(headers: list[str], taken: set[str], pii: set[str]) -> dict[str, StageSpec]:
    by_key: dict[str, str] = {}
    for h in headers:
        if h not in taken and h not in pii:
            by_key.setdefault(al.norm_header(h), h)

    def find(aliases_: tuple[str, ...]) -> str | None:
        for a in aliases_:
            h = by_key.get(al.norm_header(a))
            if h:
                return h
        return None

    advisor = find(al.ADVISOR)
    stages: dict[str, StageSpec] = {}
    for stage in al.STAGES:
        at = find(al.STAGE_AT[stage])
        if not at:
            continue
        if stage == "first_contact":
            staff = find(al.STAGE_STAFF["first_contact"])
        elif stage == "meeting_booked":
            staff = find(al.STAGE_STAFF["meeting_booked"]) or advisor
        else:
            staff = advisor
        scheduled = find(al.SCHEDULED_FOR) if stage == "meeting_booked" else None
        stages[stage] = StageSpec(at=at, staff=staff, scheduled_for=scheduled)
    return stages


def _propose_stage_names(raw: RawTable, header: str) -> dict[str, str]:
    values = raw.df[header].dropna().astype(str).str.strip().unique()
    out = {}
    for v in values[:1000]:
        stage = al.STAGE_NAMES.get(al.norm_status(v))
        if v and stage:
            out[str(v)] = stage
    return out


# -- personal data --------------------------------------------------------------------------------

def find_personal_columns(raw: RawTable, profile: Profile) -> dict[str, str]:
    """Header -> why it is personal data of a job seeker (``alias``, ``email`` or ``phone``).
    Staff columns are exempt: staff are the subject of the dashboard."""
    exempt = profile.staff_headers()
    # Ids and dates mapped by the profile are only checked for e-mail addresses: a numeric id
    # such as 9012345678 looks like a phone number that lost its leading zero.
    mapped = set(profile.columns.values()) | {
        h for spec in profile.stages.values() for h in (spec.at, spec.scheduled_for) if h}
    missing = set(profile.missing_values)
    found: dict[str, str] = {}
    for h in raw.df.columns:
        if h in exempt:
            continue
        if al.is_pii_header(h):
            found[h] = "alias"
            continue
        why = _pii_by_content(raw.df[h], missing, phones=h not in mapped)
        if why:
            found[h] = why
    return found


def dropped_columns(raw: RawTable, profile: Profile) -> dict[str, str]:
    """Header -> why an import drops it: personal data (``find_personal_columns``), or named in
    the profile's ``drop`` (``free_text`` or ``profile``)."""
    dropped = dict(find_personal_columns(raw, profile))
    headers = set(raw.df.columns)
    for h in profile.drop:
        if h in headers and h not in dropped:
            dropped[h] = "free_text" if al.norm_header(h) in al.FREE_TEXT else "profile"
    return dropped


def unread_columns(profile: Profile):
    """A ``read_table`` ``skip`` for an import with a complete profile: the columns it drops and
    does not otherwise read, decided on the file's first rows (the rows ``find_personal_columns``
    reads), so their cells are never loaded. None (load everything) for a profile that only names
    its kind: ``prepare`` completes that one from the whole file."""
    if not profile.columns and not profile.stages:
        return None
    used = profile.source_headers()
    return lambda sample: {h: why for h, why in dropped_columns(sample, profile).items() if h not in used}


def _pii_by_content(col: pd.Series, missing: set[str], phones: bool = True) -> str | None:
    values = col.head(PII_SAMPLE * 5).dropna().astype(str).str.strip()
    values = values[~values.isin(missing)].head(PII_SAMPLE)
    if values.empty:
        return None
    n = len(values)
    if values.str.fullmatch(_EMAIL.pattern.strip("^$")).sum() * 2 > n:
        return "email"
    if not phones or values.str.len().max() > 40 or values.str.contains(r"\d").sum() * 2 <= n:
        return None
    compact = values.map(lambda v: re.sub(r"\s", "", normalise(v)))
    strong = compact.str.fullmatch(_PHONE_STRONG.pattern.strip("^$"))
    weak = compact.str.fullmatch(_PHONE_WEAK.pattern.strip("^$"))
    if strong.any() and (strong | weak).sum() * 2 > n:
        return "phone"
    return None


# -- applying a profile ---------------------------------------------------------------------------

def validate(raw: RawTable, profile: Profile | None = None, con: duckdb.DuckDBPyConnection | None = None) -> Preview:
    """Preview an import without writing (for live validation): never raises for a bad file or
    profile; ``preview.refused`` then holds the one-line reason."""
    try:
        return prepare(raw, profile, con)
    except ImportRefused as exc:
        prof = profile if isinstance(profile, Profile) else propose_profile(raw)
        return Preview(raw=raw, profile=prof, kind=prof.kind, rows_read=raw.n_rows, refused=str(exc))


def prepare(raw: RawTable, profile: Profile | str | None = None, con: duckdb.DuckDBPyConnection | None = None,
            *, consume: bool = False) -> Preview:
    """Apply ``profile`` (None: proposed) to ``raw``. With ``con``, candidates referenced by events
    and activities are checked against the store. Raises ``ImportRefused``.

    ``consume``: the caller is done with ``raw`` after this (an import, not the upload page's
    preview): its dropped columns (personal data, free text) are let go as soon as they are known,
    and the text cells of columns no longer needed once the frames are built (at 1M registrations
    several hundred MB of the import's peak)."""
    try:
        profile = load_profile(profile)
    except ProfileError as exc:
        raise ImportRefused("bad_profile", raw.file_name, detail=str(exc)) from None
    except OSError as exc:
        raise ImportRefused("bad_profile", raw.file_name, detail=str(exc)) from None
    if profile is None:
        profile = propose_profile(raw)
    elif not profile.columns and not profile.stages:
        # A profile that only names the kind: complete it from the headers.
        proposed = propose_profile(raw, kind=profile.kind, name=profile.name)
        profile = proposed.with_(drop=list(dict.fromkeys(proposed.drop + profile.drop)),
                                 missing_values=profile.missing_values,
                                 pseudonymise_staff=profile.pseudonymise_staff,
                                 stage_names=profile.stage_names or proposed.stage_names)
    if raw.n_rows == 0:
        raise ImportRefused("header_only", raw.file_name)
    builder = _Builder(raw, profile, con, consume=consume)
    return builder.run()


class _Builder:
    def __init__(self, raw: RawTable, profile: Profile, con, consume: bool = False):
        self.raw = raw
        self.df = raw.df
        self.index = raw.df.index  # the source rows' index (self.df may later keep fewer rows)
        self.n = len(raw.df)
        self.con = con
        self.consume = consume
        self._raw_positions: np.ndarray | None = None  # rows self.df still holds, when not all
        self.notes: list[Note] = []
        self.missing = [m.strip() for m in profile.missing_values]
        self.profile = self._resolve(profile)
        if consume and self.dropped:
            # Personal data and dropped free text are never read again: let their cells go now.
            self.df = self.df.drop(columns=[h for h in self.dropped if h in self.df.columns])
            raw.df = self.df
        self.kind = self.profile.kind
        self.bad_row = np.zeros(self.n, dtype=bool)
        self.rejects: list[pd.DataFrame] = []
        self._scratch = scratch_connection()
        self._empty: pd.Series | None = None
        # Date columns are parsed from the source cells (dates()); a column read as text later
        # than here is cleaned when first asked for (text()).
        date_headers = {h for spec in self.profile.stages.values() for h in (spec.at, spec.scheduled_for)}
        date_headers |= {h for key, h in self.profile.columns.items() if key in _DATE_KEYS}
        later = self._kept_only_headers() - self._full_headers()
        self._clean = self._clean_columns(sorted(self.profile.source_headers() - date_headers - later))

    # profile against the file's headers
    def _resolve(self, profile: Profile) -> Profile:
        headers = set(self.df.columns)
        file = self.raw.file_name
        # Columns the reader did not load were dropped by the same rule on the same first rows.
        self.dropped = {**self.raw.skipped, **dropped_columns(self.raw, profile)}
        columns = {}
        for key, h in profile.columns.items():
            if h in headers and h not in self.dropped:
                columns[key] = h
            elif h in self.dropped and key in al.REQUIRED[profile.kind]:
                why = self.dropped[h]
                raise ImportRefused("pii_required", file, column=key, header=h,
                                    why=lambda lang: i18n.t(f"import_drop.{why}", lang))
            elif key in al.REQUIRED[profile.kind] or (key in ("stage", "occurred_at") and not profile.stages):
                raise ImportRefused("missing_profile_column", file, column=key, header=h)
            else:
                self.notes.append(Note("optional_missing", {"key": f"columns.{key}", "header": h}))
        if profile.kind == "staff" and "name" not in columns and "staff_id" in columns:
            columns["name"] = columns["staff_id"]  # a list of ids only: the id is the name
        required = list(al.REQUIRED[profile.kind])
        if profile.kind == "events" and not profile.stages:
            required += ["stage", "occurred_at"]
        for key in required:
            if key not in columns:
                examples = ", ".join(al.COLUMNS[profile.kind].get(key, ())[:3]) or key
                raise ImportRefused("missing_column", file, column=key, examples=examples)
        stages = {}
        for stage, spec in profile.stages.items():
            if spec.at not in headers or spec.at in self.dropped:
                self.notes.append(Note("optional_missing", {"key": f"stages.{stage}.at", "header": spec.at}))
                continue
            staff, sched = spec.staff, spec.scheduled_for
            if staff and staff not in headers:
                self.notes.append(Note("optional_missing", {"key": f"stages.{stage}.staff", "header": staff}))
                staff = None
            if sched and (sched not in headers or sched in self.dropped):
                self.notes.append(Note("optional_missing", {"key": f"stages.{stage}.scheduled_for", "header": sched}))
                sched = None
            stages[stage] = StageSpec(spec.at, staff, sched)
        if profile.kind == "events" and "stage" not in columns and not stages:
            raise ImportRefused("missing_column", file, column="stage / occurred_at",
                                examples=", ".join(al.STAGE_AT["recommended"][:2] + al.COLUMNS["events"]["stage"][:2]))
        attributes = {}
        for attr, h in profile.attributes.items():
            if h in headers and h not in self.dropped:
                attributes[attr] = h
            elif h not in headers and h not in self.dropped:
                self.notes.append(Note("optional_missing", {"key": f"attributes.{attr}", "header": h}))
        resolved = profile.with_(columns=columns, stages=stages, attributes=attributes)
        used = resolved.source_headers() | set(self.dropped)
        self.unmapped = []
        taken = set(attributes)
        for h in self.df.columns:
            if h in used:
                continue
            if profile.kind == "candidates":
                # Other non-personal columns are kept as candidate attributes.
                attr = attribute_name(h, taken)
                taken.add(attr)
                attributes[attr] = h
            else:
                self.unmapped.append(h)
        return resolved.with_(attributes=attributes)

    # helpers
    def text(self, header: str | None) -> pd.Series:
        """The column's cells stripped, missing values as NA (names untouched: no NFKC)."""
        if header is None:
            if self._empty is None:
                self._empty = pd.Series(pd.NA, index=self.index, dtype="str")
            return self._empty
        if header not in self._clean:
            self._clean.update(self._clean_columns([header]))
        return self._clean[header]

    def _clean_columns(self, headers: list[str], keep: np.ndarray | None = None) -> dict[str, pd.Series]:
        """Trim and blank out missing markers for many columns at once (``dates.clean_texts``).
        With ``keep``, only those rows, renumbered from 0."""
        headers = [h for h in dict.fromkeys(headers) if h in self.df.columns]
        if not headers:
            return {}
        if self._raw_positions is not None:
            raise RuntimeError("the source cells were let go: clean every column needed before that")
        cleaned = clean_texts([pa.array(self.df[h]) for h in headers], self.missing, keep)
        frame = pa.table({f"c{i}": values for i, values in enumerate(cleaned)}).to_pandas()
        if keep is not None:
            return {h: frame[f"c{i}"] for i, h in enumerate(headers)}
        return {h: frame[f"c{i}"].set_axis(self.index) for i, h in enumerate(headers)}

    def _kept_only_headers(self) -> set[str]:
        """Columns only read for the kept rows: a candidates export's channel, form version and
        attributes (cleaned once the rejections are known, see ``kept_text``)."""
        if self.profile.kind != "candidates":
            return set()
        cols = self.profile.columns
        return {h for h in (cols.get("channel"), cols.get("form_version"), *self.profile.attributes.values()) if h}

    def _full_headers(self) -> set[str]:
        """Columns read for every row (ids, staff of each step, ...): everything mapped but the
        kept-only columns and the dates."""
        cols = self.profile.columns
        used = {h for key, h in cols.items() if key not in ("channel", "form_version")}
        used |= {spec.staff for spec in self.profile.stages.values() if spec.staff}
        return used

    def kept_text(self, headers: list[str | None], keep: np.ndarray) -> dict[str | None, pd.Series]:
        """``text(h)[keep]`` renumbered from 0 for each header (None: all missing), the columns not
        cleaned yet in one filtered pass."""
        n_kept = int(np.count_nonzero(keep))
        fresh = self._clean_columns([h for h in headers if h and h not in self._clean], keep)
        out = {}
        for h in headers:
            if h is None or (h not in fresh and h not in self._clean):
                out[h] = pd.Series(pd.NA, index=pd.RangeIndex(n_kept), dtype="str")
            elif h in fresh:
                out[h] = fresh[h]
            else:
                full = self._clean[h]
                out[h] = (full if keep.all() else full[keep]).reset_index(drop=True)
        return out

    def dates(self, header: str) -> ParsedDates:
        return parse_datetimes(self.df[header], self.missing, con=self._scratch)

    def staff_values(self, header: str | None) -> pd.Series:
        s = self.text(header)
        if header and self.profile.pseudonymise_staff:
            uniq = {v: "staff_" + hashlib.sha256(v.encode("utf-8")).hexdigest()[:10] for v in s.dropna().unique()}
            s = s.map(uniq, na_action="ignore")
        return s

    def reject(self, mask, column: str | None, reason: str, *, whole_row: bool = True, value=None, **extra):
        mask = np.asarray(mask, dtype=bool)
        if whole_row:
            mask = mask & ~self.bad_row
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        if value is None:
            value = self.df[column].iloc[idx].to_numpy() if column else np.full(len(idx), "", dtype=object)
        frame = pd.DataFrame({"idx": idx, "column_name": column, "value": value, "reason_code": reason})
        for k, v in extra.items():
            frame[k] = v
        self.rejects.append(frame)
        if whole_row:
            self.bad_row |= mask

    def reject_date_column(self, parsed: ParsedDates, header: str, required: bool):
        self.reject(parsed.bad.to_numpy(), header, "bad_date")
        if required:
            self.reject((parsed.values.isna() & ~parsed.bad).to_numpy(), header, "missing_date")

    def reject_missing_ids(self, ids: pd.Series, header: str):
        if self.raw.malformed_rows:
            mask = np.zeros(self.n, dtype=bool)
            mask[[r - 1 for r in self.raw.malformed_rows if 0 < r <= self.n]] = True
            self.reject(mask, None, "malformed_row")
        self.reject(ids.isna().to_numpy(), header, "missing_id")

    # kinds
    def run(self) -> Preview:
        builder = getattr(self, f"_build_{self.kind}")
        frames = builder()
        preview = Preview(
            raw=self.raw, profile=self.profile, kind=self.kind, rows_read=self.n,
            dropped=self.dropped, unmapped=self.unmapped, notes=self.notes, **frames,
        )
        preview.rejections = self._rejections()
        preview.rows_rejected = int(self.bad_row.sum())
        preview.date_range = self._date_range(preview)
        if self.profile.pseudonymise_staff:
            self.notes.append(Note("pseudonymised"))
        self._scratch.close()
        if preview.rows_accepted == 0:
            counts = preview.rejected_by_reason
            first = preview.rejections.iloc[0].to_dict() if not preview.rejections.empty else None

            def reasons(lang):
                return ", ".join(f"{i18n.t(f'import_reason.{k}', lang)} {v}" for k, v in counts.items())

            def first_reason(lang):
                if first is None:
                    return ""
                return reason_text(first["reason_code"], first["row_number"], first["column_name"],
                                   first["value"], lang)

            raise ImportRefused("no_rows", self.raw.file_name, n=self.n, reasons=reasons, first=first_reason)
        return preview

    def _build_candidates(self) -> dict:
        p = self.profile
        id_col, reg_col = p.columns["candidate_id"], p.columns["registered_at"]
        ids = self.text(id_col)
        self.reject_missing_ids(ids, id_col)
        reg = self.dates(reg_col)
        self.reject_date_column(reg, reg_col, required=True)
        stage_dates = {}
        for stage, spec in p.stages.items():
            stage_dates[stage] = self.dates(spec.at)
            self.reject_date_column(stage_dates[stage], spec.at, required=False)
            if spec.scheduled_for:
                sched = self.dates(spec.scheduled_for)
                self.reject_date_column(sched, spec.scheduled_for, required=False)
                stage_dates[stage + ":scheduled"] = sched
        self._reject_duplicates(ids, id_col)
        keep = ~self.bad_row

        def kept(series: pd.Series) -> pd.Series:
            # Text stays Arrow-backed all the way to DuckDB (to_numpy would make Python objects).
            return (series if keep.all() else series[keep]).reset_index(drop=True)

        # The steps first: once they are built every rejection is known, and an import
        # (``consume``) keeps only the rejected rows' source cells for rejected_rows.
        noted = len(self.notes)
        events = self._wide_events(ids, reg.values, stage_dates, keep)
        step_notes = self.notes[noted:]  # reported after the attributes' notes, as always
        del self.notes[noted:]
        texts = self.kept_text([p.columns.get("channel"), p.columns.get("form_version"), *p.attributes.values()], keep)
        if self.consume:
            self._keep_only_rejected_rows()
        cols = {"candidate_id": kept(ids), "registered_at": kept(reg.values)}
        for key in ("channel", "form_version"):
            cols[key] = texts[p.columns.get(key)]
        attr_types, attr_sources = {}, {}
        existing = _existing_attribute_types(self.con)
        for attr, header in p.attributes.items():
            values = texts[header]
            dtype = existing.get(attr)
            if dtype is None or dtype == "DOUBLE":
                numeric = dtype == "DOUBLE" or looks_numeric(values, self.missing, con=self._scratch)
                numbers, bad = parse_numbers(values, self.missing, con=self._scratch) if numeric else (None, None)
                if dtype is None:
                    dtype = "DOUBLE" if numeric and numbers.notna().any() and not bad.any() else "VARCHAR"
            if dtype == "DOUBLE":
                if bad.any():
                    self.notes.append(Note("bad_numbers", {"column": header, "n": int(bad.sum())}))
                cols[attr] = numbers
            else:
                cols[attr] = values
            attr_types[attr], attr_sources[attr] = dtype, header
        cand = pd.DataFrame(cols)
        cols = values = numbers = texts = None
        self.notes.extend(step_notes)
        return {"candidates": cand, "events": events, "attr_types": attr_types, "attr_sources": attr_sources}

    def _keep_only_rejected_rows(self) -> None:
        """Let the source cells go but for the rejected rows (their non-personal values go to
        rejected_rows.raw_json): at 1M registrations the text of the wide export is ~500 MB."""
        idx = (np.unique(np.concatenate([r["idx"].to_numpy(dtype=np.int64) for r in self.rejects]))
               if self.rejects else np.empty(0, dtype=np.int64))
        self.df = self.df.iloc[idx]
        self.raw.df = self.df
        self._raw_positions = idx

    def _reject_duplicates(self, ids: pd.Series, header: str):
        """Reject every row whose id appears again further down (the last one is kept); ``other``
        is the kept row's number. One hash aggregation in DuckDB (pandas' duplicated and a group
        by over a million ids took ~2 s)."""
        ok = ~self.bad_row
        keep = _Keep(ok)
        table = pa.table({
            "pos": np.flatnonzero(ok).astype(np.int64),
            "id": pa.array(keep(ids).array, type=pa.large_string(), from_pandas=True),
        })
        self._scratch.register("_dup_in", table)
        try:
            found = self._scratch.execute(
                """
                with repeated as (
                    select id, max(pos) as last_pos from _dup_in group by id having count(*) > 1
                )
                select i.pos, r.last_pos + 1 as other
                from _dup_in as i
                join repeated as r on r.id = i.id
                where i.pos <> r.last_pos
                order by i.pos
                """
            ).fetchnumpy()
        finally:
            self._scratch.unregister("_dup_in")
        if not len(found["pos"]):
            return
        mask = np.zeros(self.n, dtype=bool)
        mask[np.asarray(found["pos"], dtype=np.int64)] = True
        self.reject(mask, header, "duplicate_id", other=np.asarray(found["other"], dtype=np.int64))

    def _wide_events(self, ids, registered, stage_dates, keep) -> pd.DataFrame:
        """Unpivot the stage columns of the kept rows into events (one per filled stage cell)."""
        sources = []
        for stage, spec in self.profile.stages.items():
            sched = stage_dates.get(stage + ":scheduled")
            sources.append(_StepSource(stage, stage_dates[stage], self.staff_values(spec.staff),
                                       sched.values if sched is not None else None, spec.at))
        return self._steps(ids, registered, sources, keep)

    def _steps(self, ids: pd.Series, registered: pd.Series | None, sources: list[_StepSource],
               keep: np.ndarray, whole_row: bool = False) -> pd.DataFrame:
        """The events of the kept rows, one per filled step cell, checked against registration, in
        one DuckDB pass (the pandas version took ~1.5 s at 1M registrations): a date-only step on
        the registration day but before its time is placed at the registration time (not
        "before"); a step dated before the registration is rejected: in a wide export only the
        step (the row's other steps stay), in an event log the row (``whole_row``). In anything
        but the candidates' own export (one row per candidate, so no step can repeat) a step the
        file reports more than once is kept once, the last time. Rows come in the order of
        ``sources``, then of the file."""
        columns = {
            "pos": pa.array(np.arange(self.n, dtype=np.int64)),
            "ok": pa.array(np.asarray(keep, dtype=bool)),
            "candidate_id": _text_arrow(ids),
            "registered_at": _time_arrow(registered, self.n),
        }
        selects = []
        for k, src in enumerate(sources):
            columns[f"at{k}"] = _time_arrow(src.dates.values, self.n)
            columns[f"ht{k}"] = pa.array(src.dates.has_time.to_numpy(dtype=bool))
            columns[f"staff{k}"] = _text_arrow(src.staff)
            columns[f"sched{k}"] = _time_arrow(src.scheduled_for, self.n)
            if isinstance(src.stage, pd.Series):
                columns[f"stage{k}"] = _text_arrow(src.stage)
                stage = f"stage{k}"
            else:
                stage = "$stage" + str(k)
            selects.append(
                f"select {k} as k, pos, candidate_id, registered_at, {stage} as stage, at{k} as occurred_at, "
                f"ht{k} as has_time, staff{k} as staff_id, sched{k} as scheduled_for "
                f"from _steps_in where ok and at{k} is not null"
            )
        if not selects:
            return _empty_events()
        params = {f"stage{k}": src.stage for k, src in enumerate(sources) if not isinstance(src.stage, pd.Series)}
        self._scratch.register("_steps_in", pa.table(columns))
        steps = f"""
            with steps as ({" union all ".join(selects)}),

            placed as (
                select
                    * replace (case when clamped then registered_at else occurred_at end as occurred_at),
                    clamped
                from (
                    select
                        *,
                        coalesce(not has_time and occurred_at < registered_at
                                 and cast(occurred_at as date) = cast(registered_at as date), false) as clamped
                    from steps
                )
            )
        """
        try:
            found = self._scratch.execute(
                steps + "select k, pos, registered_at from placed where occurred_at < registered_at order by k, pos",
                params,
            ).fetchnumpy()
            clamped = int(self._scratch.execute(steps + "select count(*) filter (where clamped) from placed", params).fetchall()[0][0])
            kept = "select * from placed where not coalesce(occurred_at < registered_at, false)"
            if self.kind != "candidates":
                # The repeated steps found by a hash aggregation (a window over every step cost
                # more); ids, stages and times are never null here. In a wide export each stage
                # is one source, so the source's number stands for the stage (an integer key).
                stage_key = "stage" if any(isinstance(src.stage, pd.Series) for src in sources) else "k"
                kept = f"""
                    with kept as ({kept}),

                    repeated as (
                        select candidate_id, {stage_key}, occurred_at, max(pos) as last_pos
                        from kept
                        group by all
                        having count(*) > 1
                    )

                    select kept.*
                    from kept
                    left join repeated as r
                        on r.candidate_id = kept.candidate_id and r.{stage_key} = kept.{stage_key}
                        and r.occurred_at = kept.occurred_at
                    where r.last_pos is null or r.last_pos = kept.pos
                """
            events = self._scratch.sql(
                f"{steps}, kept_steps as ({kept}) "
                "select candidate_id, stage, occurred_at, staff_id, scheduled_for from kept_steps order by k, pos",
                params=params,
            ).to_arrow_table()
        finally:
            self._scratch.unregister("_steps_in")
        if clamped:
            self.notes.append(Note("clamped", {"n": clamped}))
        if len(found["pos"]):
            where = np.asarray(found["k"], dtype=np.int64)
            positions = np.asarray(found["pos"], dtype=np.int64)
            registered_at = pd.Series(np.ma.filled(found["registered_at"], np.datetime64("NaT")))
            for k in np.unique(where):  # one column: one step per row
                src, m = sources[int(k)], where == k
                idx = positions[m]
                self.rejects.append(pd.DataFrame({
                    "idx": idx, "column_name": src.column,
                    "value": self.df[src.column].iloc[idx].to_numpy(),
                    "reason_code": "before_registration",
                    # 2024/4/5 15:00 reads the same in both languages
                    "registered": [i18n.fmt_datetime(r, "ja") for r in registered_at[m]],
                }))
                if whole_row:
                    self.bad_row[idx] = True
        frame = events.to_pandas()
        for col in ("occurred_at", "scheduled_for"):
            frame[col] = frame[col].astype("datetime64[us]")
        return frame

    def _registered_in_store(self, ids: pd.Series) -> pd.Series | None:
        """registered_at of each id from the store (NaT: unknown candidate); None without a store."""
        if self.con is None:
            self.notes.append(Note("no_store"))
            return None
        # One join in DuckDB, rows kept in the file's order: mapping millions of ids through a
        # pandas index took seconds at a million registrations.
        table = pa.table({
            "pos": np.arange(len(ids), dtype=np.int64),
            "candidate_id": pa.array(ids.array, type=pa.large_string(), from_pandas=True),
        })
        # On the caller's connection, not a cursor: inside import_file's transaction this must see
        # what the transaction already changed (e.g. the imports a replace removed).
        register_table(self.con, "_import_ids", table)
        try:
            # Only the rows found, put in place by position (an `order by` of millions of rows
            # cost more than the join).
            found = self.con.execute(
                "select i.pos, c.registered_at from _import_ids as i "
                "join candidates as c on c.candidate_id = i.candidate_id"
            ).fetchnumpy()
        finally:
            self.con.unregister("_import_ids")
        registered = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[us]")
        registered[np.asarray(found["pos"], dtype=np.int64)] = np.ma.filled(
            found["registered_at"], np.datetime64("NaT")).astype("datetime64[us]")
        return pd.Series(registered, index=ids.index)

    def _reject_unknown(self, ids: pd.Series, header: str) -> pd.Series | None:
        registered = self._registered_in_store(ids)
        if registered is None:
            return None
        self.reject((registered.isna() & ids.notna()).to_numpy(), header, "unknown_candidate")
        return registered

    def _build_events(self) -> dict:
        p = self.profile
        id_col = p.columns["candidate_id"]
        ids = self.text(id_col)
        self.reject_missing_ids(ids, id_col)
        if p.stages:
            stage_dates = {}
            for stage, spec in p.stages.items():
                stage_dates[stage] = self.dates(spec.at)
                self.reject_date_column(stage_dates[stage], spec.at, required=False)
                if spec.scheduled_for:
                    sched = self.dates(spec.scheduled_for)
                    self.reject_date_column(sched, spec.scheduled_for, required=False)
                    stage_dates[stage + ":scheduled"] = sched
            registered = self._reject_unknown(ids, id_col)
            return {"events": self._wide_events(ids, registered, stage_dates, ~self.bad_row)}
        # An event log: one row per step, its status value mapped through [stage_names].
        stage_col, at_col = p.columns["stage"], p.columns["occurred_at"]
        status = self.text(stage_col)
        mapping = {str(k).strip(): v for k, v in p.stage_names.items()}
        norm_mapping = {al.norm_status(k): v for k, v in p.stage_names.items()}
        uniq = status.dropna().unique()
        resolved = {v: mapping.get(v) or norm_mapping.get(al.norm_status(v)) for v in uniq}
        stage = status.map(resolved, na_action="ignore")
        occurred = self.dates(at_col)
        self.reject_date_column(occurred, at_col, required=True)
        unmapped = stage.isna()
        self.reject(unmapped.to_numpy(), stage_col, "unmapped_stage")
        values = sorted({v for v, s in resolved.items() if s is None})
        if values:
            shown = ", ".join(values[:20]) + (" ..." if len(values) > 20 else "")
            self.notes.append(Note("unmapped_stages", {"values": shown}))
        sched = None
        if "scheduled_for" in p.columns:
            sched = self.dates(p.columns["scheduled_for"])
            self.reject_date_column(sched, p.columns["scheduled_for"], required=False)
        registered = self._reject_unknown(ids, id_col)
        source = _StepSource(stage, occurred, self.staff_values(p.columns.get("staff_id")),
                             sched.values if sched is not None else None, at_col)
        return {"events": self._steps(ids, registered, [source], ~self.bad_row, whole_row=True)}

    def _build_activities(self) -> dict:
        p = self.profile
        id_col, at_col = p.columns["candidate_id"], p.columns["started_at"]
        ids = self.text(id_col)
        self.reject_missing_ids(ids, id_col)
        started = self.dates(at_col)
        self.reject_date_column(started, at_col, required=True)
        self._reject_unknown(ids, id_col)
        keep = _Keep(~self.bad_row)
        minutes = pd.Series(np.nan, index=ids.index)
        if "minutes" in p.columns:
            minutes, bad = parse_numbers(self.text(p.columns["minutes"]), self.missing, con=self._scratch)
            minutes.index = ids.index
            if keep(bad).any():
                self.notes.append(Note("bad_numbers", {"column": p.columns["minutes"], "n": int(keep(bad).sum())}))
        acts = pd.DataFrame({
            "candidate_id": keep(ids).astype("str"),
            "staff_id": keep(self.staff_values(p.columns.get("staff_id"))).astype("str"),
            "started_at": keep(started.values),
            "kind": keep(self.text(p.columns.get("kind"))).astype("str"),
            "minutes": keep(minutes).astype("float64"),
        })
        # Rows repeated in the file are written once: the write de-duplicates (in DuckDB).
        return {"activities": acts.reset_index(drop=True)}

    def _build_staff(self) -> dict:
        p = self.profile
        name_col = p.columns["name"]
        names = self.staff_values(name_col)
        sid_col = p.columns.get("staff_id", name_col)
        ids = self.staff_values(sid_col) if sid_col != name_col else names
        self.reject_missing_ids(ids, sid_col)
        started = None
        if "started_on" in p.columns:
            started = self.dates(p.columns["started_on"])
            self.reject_date_column(started, p.columns["started_on"], required=False)
        self._reject_duplicates(ids, sid_col)
        keep = ~self.bad_row
        roles = pd.Series(pd.NA, index=ids.index, dtype="str")
        if "role" in p.columns:
            raw_roles = self.text(p.columns["role"])
            custom = {al.norm_header(k): v for k, v in p.role_names.items()}
            uniq = raw_roles.dropna().unique()
            resolved = {v: custom.get(al.norm_header(v)) or al.ROLE_VALUES.get(al.norm_header(v)) for v in uniq}
            roles = raw_roles.map(resolved, na_action="ignore")
            unknown = sorted({v for v, r in resolved.items() if r is None and v in set(raw_roles[keep].dropna())})
            if unknown:
                self.notes.append(Note("unknown_roles", {"values": ", ".join(unknown[:20])}))
        staff = pd.DataFrame({
            "staff_id": ids[keep].astype("str"),
            "name": names[keep].astype("str"),
            "role": roles[keep].astype("str"),
            "team": self.text(p.columns.get("team"))[keep].astype("str"),
            "started_on": (started.values[keep].dt.date if started is not None
                           else pd.Series(pd.NaT, index=ids.index)[keep]),
        })
        return {"staff": staff.reset_index(drop=True)}

    # rejections as rows of rejected_rows (without import_id)
    def _rejections(self) -> pd.DataFrame:
        cols = ["row_number", "column_name", "value", "reason_code", "reason", "raw_json", "reason_params"]
        if not self.rejects:
            return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row_number" else "str") for c in cols})
        rej = pd.concat(self.rejects, ignore_index=True).sort_values("idx", kind="stable").reset_index(drop=True)
        rej["row_number"] = rej["idx"].astype("int64") + 1
        kept = [h for h in self.df.columns if h not in self.dropped]
        at = rej["idx"].to_numpy()
        if self._raw_positions is not None:
            at = np.searchsorted(self._raw_positions, at)
        rows = self.df.iloc[at][kept]
        rej["raw_json"] = [
            json.dumps({k: v for k, v in rec.items() if v not in ("", None)}, ensure_ascii=False)
            for rec in _records(rows)
        ]
        rej["value"] = rej["value"].astype(object).where(rej["value"].notna(), "")
        lang = i18n.language()  # the stored sentence; readers re-render it from code and params
        records = rej.to_dict("records")
        rej["reason"] = [
            reason_text(rec["reason_code"], rec["row_number"], rec["column_name"], rec["value"], lang,
                        other=rec.get("other"), registered=rec.get("registered"))
            for rec in records
        ]
        rej["reason_params"] = [json.dumps(_reason_extra(rec), ensure_ascii=False) for rec in records]
        return rej[cols]

    def _date_range(self, preview: Preview) -> tuple:
        col = {"candidates": ("candidates", "registered_at"), "events": ("events", "occurred_at"),
               "activities": ("activities", "started_at"), "staff": ("staff", "started_on")}[self.kind]
        frame = getattr(preview, col[0])
        if frame is None or frame.empty or frame[col[1]].isna().all():
            return (None, None)
        s = pd.to_datetime(frame[col[1]])
        return (s.min().to_pydatetime(), s.max().to_pydatetime())


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` for source cells (text, never missing), through Arrow: pandas
    boxes Arrow-backed cells one by one (~1 s for 5,000 rejected rows of a 25-column export)."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return frame.to_dict("records")


@dataclass
class _StepSource:
    """Where the steps of one stage column (a wide export) or of an event log come from, row by row
    in the file: ``stage`` is a stage name or (event log) each row's stage."""

    stage: str | pd.Series
    dates: ParsedDates
    staff: pd.Series
    scheduled_for: pd.Series | None
    column: str  # the source column a rejected step is reported in


def _text_arrow(values: pd.Series) -> pa.Array:
    if values.dtype != "str":
        values = values.astype("str")
    return pa.array(values.array, type=pa.large_string(), from_pandas=True)


def _time_arrow(values: pd.Series | None, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, type=pa.timestamp("us"))
    return pa.array(np.asarray(values, dtype="datetime64[us]"), type=pa.timestamp("us"), from_pandas=True)


class _Keep:
    """A row mask applied to columns; when it keeps every row (the common case) the columns are
    used as they are instead of copied (a boolean take of millions of text cells costs ~0.1 s)."""

    def __init__(self, mask: np.ndarray):
        self.mask = mask
        self.all = bool(mask.all())

    def __call__(self, values: pd.Series) -> pd.Series:
        return values if self.all else values[self.mask]


def _reason_extra(rec: dict) -> dict:
    extra = {}
    for key in ("other", "registered"):
        value = rec.get(key)
        if value is not None and not (isinstance(value, float) and value != value):
            extra[key] = value.isoformat(sep=" ") if hasattr(value, "isoformat") else value
    return extra


def render_reason(code: str, row, column, value, params_json: str | None, lang: str | None = None) -> str:
    """A stored rejection in the reader's language (code, cell and the extra values kept as JSON)."""
    extra = json.loads(params_json) if params_json else {}
    return reason_text(code, row, column, value, lang, **extra)


def reason_text(code: str, row, column, value, lang: str | None = None, **extra) -> str:
    """The sentence a manager reads for one rejected cell (stored in rejected_rows.reason, in the
    UI language of the import: ``dashboard.i18n.language()``)."""
    params = {"row": row, "column": column or "", "value": "" if value is None else value}
    if code == "duplicate_id":
        params["other"] = int(extra.get("other") or 0)
    if code == "before_registration":
        params["registered"] = extra.get("registered") or ""
    return i18n.t(f"import_reject.{code}", lang, **params)


def _existing_attribute_types(con) -> dict[str, str]:
    if con is None:
        return {}
    from dashboard import store

    return {name: ("DOUBLE" if dtype == "DOUBLE" else dtype) for name, dtype in store.attribute_columns(con).items()}


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame({
        "candidate_id": pd.Series([], dtype="str"), "stage": pd.Series([], dtype="str"),
        "occurred_at": pd.Series([], dtype="datetime64[us]"), "staff_id": pd.Series([], dtype="str"),
        "scheduled_for": pd.Series([], dtype="datetime64[us]"),
    })
