"""Import profiles (shared/spec/import-profile.md): how one kind of export maps onto the canonical
model. Read from and written to TOML, validated with messages that name the offending key, and
proposed automatically from header aliases.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomli_w

from dashboard.importer import aliases as al

DEFAULT_MISSING = ["", "-", "未記載", "Select", "ー", "―", "N/A", "n/a", "NULL", "null"]
CANONICAL_CANDIDATE_COLUMNS = ("candidate_id", "registered_at", "channel", "form_version", "import_id")
_TOP_KEYS = {
    "name", "kind", "encoding", "missing_values", "columns", "stages", "attributes", "stage_names",
    "role_names", "drop", "pseudonymise_staff", "file", "sheet",
}
_STAGE_KEYS = {"at", "staff", "scheduled_for"}


class ProfileError(ValueError):
    """An invalid profile; ``messages`` holds one line per problem, each naming its key."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class StageSpec:
    at: str
    staff: str | None = None
    scheduled_for: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in (("at", self.at), ("staff", self.staff), ("scheduled_for", self.scheduled_for)) if v}


@dataclass
class Profile:
    name: str
    kind: str
    encoding: str = "auto"
    missing_values: list[str] = field(default_factory=lambda: list(DEFAULT_MISSING))
    columns: dict[str, str] = field(default_factory=dict)
    stages: dict[str, StageSpec] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    stage_names: dict[str, str] = field(default_factory=dict)
    role_names: dict[str, str] = field(default_factory=dict)
    drop: list[str] = field(default_factory=list)
    pseudonymise_staff: bool = False
    file: str | None = None
    sheet: str | None = None

    @property
    def is_wide_events(self) -> bool:
        return self.kind == "events" and bool(self.stages) and "stage" not in self.columns

    # -- TOML ---------------------------------------------------------------------------------
    @classmethod
    def from_toml(cls, text: str) -> "Profile":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError([f"profile is not valid TOML: {exc}"]) from None
        return cls.from_dict(data)

    @classmethod
    def from_file(cls, path: str | Path) -> "Profile":
        return cls.from_toml(Path(path).read_text(encoding="utf-8-sig"))

    @classmethod
    def from_dict(cls, data: dict) -> "Profile":
        errors: list[str] = []
        for key in data:
            if key not in _TOP_KEYS:
                errors.append(f"profile key {key}: unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")
        kind = data.get("kind")
        if kind not in al.KINDS:
            errors.append(f"profile key kind: {kind!r} is not one of {', '.join(al.KINDS)}")
            kind = None
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append("profile key name: a non-empty text is required")
        encoding = data.get("encoding", "auto")
        if encoding not in ("auto", "utf-8", "utf-8-sig", "cp932", "utf-16"):
            errors.append(f"profile key encoding: {encoding!r} is not one of auto, utf-8, cp932, utf-16")
        missing = data.get("missing_values", DEFAULT_MISSING)
        if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
            errors.append("profile key missing_values: a list of texts is required")
            missing = DEFAULT_MISSING
        columns = _str_table(data, "columns", errors)
        if kind:
            allowed = set(al.COLUMNS[kind])
            for key in columns:
                if key not in allowed:
                    errors.append(
                        f"profile key columns.{key}: not a column of a {kind} export "
                        f"(expected one of {', '.join(sorted(allowed))})"
                    )
        stages: dict[str, StageSpec] = {}
        raw_stages = data.get("stages", {})
        if not isinstance(raw_stages, dict):
            errors.append("profile key stages: a table is required")
            raw_stages = {}
        for stage, spec in raw_stages.items():
            if stage not in al.STAGES:
                errors.append(f"profile key stages.{stage}: unknown stage (expected one of {', '.join(al.STAGES)})")
                continue
            if isinstance(spec, str):
                spec = {"at": spec}
            if not isinstance(spec, dict):
                errors.append(f"profile key stages.{stage}: expected {{ at = \"...\", staff = \"...\" }}")
                continue
            for key in spec:
                if key not in _STAGE_KEYS:
                    errors.append(f"profile key stages.{stage}.{key}: unknown key (expected at, staff, scheduled_for)")
            if not isinstance(spec.get("at"), str) or not spec.get("at"):
                errors.append(f"profile key stages.{stage}.at: the header of the stage's date column is required")
                continue
            for key in ("staff", "scheduled_for"):
                if key in spec and not isinstance(spec[key], str):
                    errors.append(f"profile key stages.{stage}.{key}: a header (text) is required")
            stages[stage] = StageSpec(spec["at"], spec.get("staff") or None, spec.get("scheduled_for") or None)
        if kind and stages and kind not in ("candidates", "events"):
            errors.append(f"profile key stages: only candidates and events exports have stages, not {kind}")
        attributes = _str_table(data, "attributes", errors)
        for attr in attributes:
            if attr != sanitise_name(attr) or attr in CANONICAL_CANDIDATE_COLUMNS:
                errors.append(
                    f"profile key attributes.{attr}: attribute names are lower-case identifiers other than "
                    f"{', '.join(CANONICAL_CANDIDATE_COLUMNS)} (e.g. {sanitise_name(attr)!r})"
                )
        stage_names = _str_table(data, "stage_names", errors)
        for value, stage in stage_names.items():
            if stage not in al.STAGES:
                errors.append(f"profile key stage_names.{value}: {stage!r} is not a stage ({', '.join(al.STAGES)})")
        role_names = _str_table(data, "role_names", errors)
        for value, role in role_names.items():
            if role not in ("handler", "advisor", "both"):
                errors.append(f"profile key role_names.{value}: {role!r} is not handler, advisor or both")
        drop = data.get("drop", [])
        if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
            errors.append("profile key drop: a list of headers is required")
            drop = []
        pseudo = data.get("pseudonymise_staff", False)
        if not isinstance(pseudo, bool):
            errors.append("profile key pseudonymise_staff: true or false is required")
            pseudo = False
        for key in ("file", "sheet"):
            if key in data and not isinstance(data[key], str):
                errors.append(f"profile key {key}: a text is required")
        if kind == "events" and not stages and not {"stage", "occurred_at"} <= set(columns):
            if columns:  # an empty profile is completed by proposing against the file
                errors.append(
                    "profile key columns: an events profile needs columns.stage and columns.occurred_at "
                    "(an event log) or a [stages] table (one date column per stage)"
                )
        if errors:
            raise ProfileError(errors)
        return cls(
            name=name.strip(), kind=kind, encoding=encoding, missing_values=list(missing),
            columns=columns, stages=stages, attributes=attributes, stage_names=stage_names,
            role_names=role_names, drop=list(drop), pseudonymise_staff=pseudo,
            file=data.get("file"), sheet=data.get("sheet"),
        )

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "kind": self.kind}
        if self.file:
            out["file"] = self.file
        if self.sheet:
            out["sheet"] = self.sheet
        out["encoding"] = self.encoding
        out["missing_values"] = list(self.missing_values)
        if self.pseudonymise_staff:
            out["pseudonymise_staff"] = True
        if self.drop:
            out["drop"] = list(self.drop)
        out["columns"] = dict(self.columns)
        if self.stages:
            out["stages"] = {s: spec.to_dict() for s, spec in self.stages.items()}
        if self.stage_names:
            out["stage_names"] = dict(self.stage_names)
        if self.role_names:
            out["role_names"] = dict(self.role_names)
        if self.attributes:
            out["attributes"] = dict(self.attributes)
        return out

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def with_(self, **changes) -> "Profile":
        return replace(self, **changes)

    def source_headers(self) -> set[str]:
        """Every header the profile reads (columns, stages, attributes)."""
        used = set(self.columns.values()) | set(self.attributes.values())
        for spec in self.stages.values():
            used |= {h for h in (spec.at, spec.staff, spec.scheduled_for) if h}
        return used

    def staff_headers(self) -> set[str]:
        """Headers holding staff names: kept even though they hold people's names."""
        used = {spec.staff for spec in self.stages.values() if spec.staff}
        if "staff_id" in self.columns:
            used.add(self.columns["staff_id"])
        if self.kind == "staff":
            used |= {self.columns[k] for k in ("staff_id", "name") if k in self.columns}
        return used


def _str_table(data: dict, key: str, errors: list[str]) -> dict[str, str]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        errors.append(f"profile key {key}: a table is required")
        return {}
    out = {}
    for k, v in table.items():
        if not isinstance(v, str):
            errors.append(f"profile key {key}.{k}: a text is required, not {type(v).__name__}")
        else:
            out[str(k)] = v
    return out


def load_profile(profile: "Profile | str | Path | None") -> "Profile | None":
    if profile is None or isinstance(profile, Profile):
        return profile
    return Profile.from_file(profile)


_NON_WORD = re.compile(r"[^\w]+")


def sanitise_name(header: str) -> str:
    """A safe column name for an unknown header: NFKC, lower case, words joined by ``_``
    (Japanese letters are kept; DuckDB and the quoting in dashboard.sql handle them)."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    text = _NON_WORD.sub("_", text).strip("_")
    if not text:
        text = "column"
    if text[0].isdigit():
        text = "c_" + text
    return text


def attribute_name(header: str, taken: set[str]) -> str:
    """The attribute column name for a header: a known English name, else its sanitised form."""
    name = al.lookup(al.ATTRIBUTES, header) or sanitise_name(header)
    if name in CANONICAL_CANDIDATE_COLUMNS:
        name += "_attr"
    base, i = name, 2
    while name in taken:
        name = f"{base}_{i}"
        i += 1
    return name
