"""An independent pandas implementation of the headline metrics: the benchmark's baseline.

It never calls the product's code (no ``dashboard`` import): it starts from the store's raw
canonical tables (``candidates``, ``events``, ``staff``) as pandas frames and the target list as
TOML text, derives each candidate's first time per stage itself, classifies candidates into target
segments itself, and computes, following metrics.md:

- ``meeting_rate_14d``: registrations of mature cohorts (cohort week start + 7 d + 14 d <= as_of)
  whose first meeting was held within 14 days of registration;
- ``response_time``: median and p90 of first contact - registration, in minutes, over registrations
  of mature cohorts (window 7 d) contacted within the window;
- ``live_transfer_share``: of candidates of mature cohorts whose first meeting was held within 14 days
  of registration and not before the first contact, those with a handoff lag <= 30 minutes;
- ``cells``: per (meeting advisor, target segment), meetings held at least 120 days before as_of and
  those placed within 120 days of the meeting.

Written the way a competent analyst would in pandas (vectorised, only the needed stages), so the
speed comparison is fair; the figures must equal the product's exactly (``compare``).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)
MINUTE = pd.Timedelta(minutes=1)
STAGES = ("first_contact", "meeting_held", "placed")


def load_raw_tables(con) -> dict[str, pd.DataFrame]:
    """The raw canonical tables as pandas frames (a DB-API connection to the store, read only)."""
    return {
        "candidates": con.execute("select * from candidates").df(),
        "events": con.execute("select candidate_id, stage, occurred_at, staff_id from events").df(),
        "staff": con.execute("select staff_id, role, team from staff").df(),
    }


def read_wide_export(path: Path) -> int:
    """pandas reading the wide CP932 export and parsing its registration times (for context)."""
    frame = pd.read_csv(path, encoding="cp932", dtype=str, keep_default_na=False)
    parsed = pd.to_datetime(frame.iloc[:, 1], format="%Y/%m/%d %H:%M", errors="coerce")
    return int(parsed.notna().sum())


def headline_metrics(
    raw: dict[str, pd.DataFrame],
    targets_toml: str,
    meeting_window_days: float = 14.0,
    response_window_days: float = 7.0,
    live_transfer_minutes: float = 30.0,
    placement_window_days: float = 120.0,
) -> dict:
    candidates, events = raw["candidates"], raw["events"]
    as_of = max(candidates["registered_at"].max(), events["occurred_at"].max())
    people = first_times(candidates[["candidate_id", "registered_at"]], events)
    cohort = people["registered_at"].dt.normalize() - pd.to_timedelta(people["registered_at"].dt.day_of_week, unit="D")
    people = people[people["registered_at"] <= as_of]
    cohort = cohort.loc[people.index]

    def mature(window_days: float) -> pd.Series:
        return cohort + (7 + window_days) * DAY <= as_of

    # Meeting rate within the window, mature cohorts only.
    in_window = (people["meeting_held_at"] <= as_of) & (
        people["meeting_held_at"] - people["registered_at"] <= meeting_window_days * DAY
    )
    m14 = mature(meeting_window_days)
    meeting_rate = {"k": int((in_window & m14).sum()), "n": int(m14.sum())}

    # Response time over contacts within the window, mature cohorts only.
    lag = people["first_contact_at"] - people["registered_at"]
    contacted = (people["first_contact_at"] <= as_of) & (lag <= response_window_days * DAY)
    minutes = (lag[contacted & mature(response_window_days)] / MINUTE).astype(float)
    response = {
        "median_minutes": float(minutes.quantile(0.5)) if len(minutes) else None,
        "p90_minutes": float(minutes.quantile(0.9)) if len(minutes) else None,
        "n": int(len(minutes)),
    }

    # Live transfers among handoffs (meeting within the window, not before the first contact).
    handoff = in_window & (people["meeting_held_at"] >= people["first_contact_at"]) & m14
    handoff_lag = (people.loc[handoff, "meeting_held_at"] - people.loc[handoff, "first_contact_at"]) / MINUTE
    live = {"k": int((handoff_lag <= live_transfer_minutes).sum()), "n": int(handoff.sum())}

    # Advisor x segment cells over mature meetings.
    segments = classify(candidates, parse_targets(targets_toml))
    met = people[
        people["meeting_held_at"].notna()
        & people["meeting_advisor_id"].notna()
        & (people["meeting_held_at"] <= as_of)
        & (as_of - people["meeting_held_at"] >= placement_window_days * DAY)
    ]
    placed = met["placed_at"].notna() & (met["placed_at"] - met["meeting_held_at"] <= placement_window_days * DAY)
    cells = (
        pd.DataFrame({
            "advisor": met["meeting_advisor_id"].to_numpy(),
            "segment": segments.reindex(met["candidate_id"]).fillna("unknown").to_numpy(),
            "placed": placed.to_numpy(),
        })
        .groupby(["advisor", "segment"], sort=True)["placed"]
        .agg(meetings="size", placements="sum")
        .reset_index()
    )
    return {
        "as_of": pd.Timestamp(as_of).isoformat(),
        "meeting_rate_14d": meeting_rate,
        "response_time": response,
        "live_transfer_share": live,
        "cells": [
            {"advisor": r.advisor, "segment": r.segment, "meetings": int(r.meetings), "placements": int(r.placements)}
            for r in cells.itertuples(index=False)
        ],
    }


def first_times(candidates: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate: first time of each needed stage, and who held the first meeting."""
    ev = events[events["stage"].isin(STAGES)].sort_values("occurred_at", kind="stable")
    first = ev.drop_duplicates(["candidate_id", "stage"], keep="first")
    out = candidates.set_index("candidate_id")
    for stage in STAGES:
        rows = first[first["stage"] == stage].set_index("candidate_id")
        out[f"{stage}_at"] = rows["occurred_at"].reindex(out.index)
        if stage == "meeting_held":
            out["meeting_advisor_id"] = rows["staff_id"].reindex(out.index)
    return out.reset_index()


# --- target segments ------------------------------------------------------------------------------

def parse_targets(text: str) -> list[dict]:
    """The target list's rules in order: name, target flag and conditions (attribute, kind, values)."""
    rules = []
    for raw in tomllib.loads(text).get("segment", []):
        conditions = []
        for key, value in raw.items():
            if key in ("name", "target"):
                continue
            if isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
                conditions.append((key, "range", (float(value[0]), float(value[1]))))
            elif isinstance(value, list):
                conditions.append((key, "one_of", tuple(value)))
            else:
                conditions.append((key, "one_of", (value,)))
        rules.append({"name": raw["name"].strip(), "target": raw.get("target", True), "conditions": conditions})
    return rules


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def classify(candidates: pd.DataFrame, rules: list[dict]) -> pd.Series:
    """Segment per candidate id: first rule whose conditions all hold; a needed attribute missing
    (and no condition failing) makes it ``unknown``; no rule: ``other``. Kleene logic throughout."""
    n = len(candidates)
    segment = pd.Series(pd.NA, index=candidates.index, dtype="object")
    decided = np.zeros(n, dtype=bool)
    for rule in rules:
        verdict = pd.Series(True, index=candidates.index, dtype="boolean")
        for attribute, kind, values in rule["conditions"]:
            verdict = verdict & _condition(candidates, attribute, kind, values)
        hit = verdict.fillna(False).to_numpy() & ~decided
        unknown = verdict.isna().to_numpy() & ~decided
        segment[hit] = rule["name"]
        segment[unknown] = "unknown"
        decided |= hit | unknown
    segment[~decided] = "other"
    return pd.Series(segment.to_numpy(), index=candidates["candidate_id"].to_numpy())


def _condition(candidates: pd.DataFrame, attribute: str, kind: str, values: tuple) -> pd.Series:
    if attribute not in candidates.columns:
        return pd.Series(pd.NA, index=candidates.index, dtype="boolean")
    col = candidates[attribute]
    if col.dtype == object or pd.api.types.is_string_dtype(col):
        missing = col.isna() | (col.astype("string").str.strip() == "")
    else:
        missing = col.isna()
    if kind == "range":
        number = pd.to_numeric(col, errors="coerce")
        result = (number >= values[0]) & (number <= values[1])
    else:
        wanted = {_text(v) for v in values}
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            as_text = col.map(lambda v: None if pd.isna(v) else _text(float(v)))
        else:
            as_text = col.astype("string")
        result = as_text.isin(wanted)
    out = pd.Series(result.fillna(False).to_numpy(dtype=bool), index=candidates.index, dtype="boolean")
    out[missing.to_numpy(dtype=bool)] = pd.NA
    return out


# --- comparison -----------------------------------------------------------------------------------

def compare(ours: dict, theirs: dict, rel: float = 1e-9) -> list[str]:
    """Differences between two figure sets of the shape ``headline_metrics`` returns (empty: equal)."""
    diffs: list[str] = []
    for key in ("meeting_rate_14d", "live_transfer_share"):
        for part in ("k", "n"):
            if ours[key][part] != theirs[key][part]:
                diffs.append(f"{key}.{part}: ours {ours[key][part]}, pandas {theirs[key][part]}")
    for part in ("median_minutes", "p90_minutes", "n"):
        a, b = ours["response_time"][part], theirs["response_time"][part]
        if (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)):
            diffs.append(f"response_time.{part}: ours {a}, pandas {b}")
    a = {(c["advisor"], c["segment"]): (c["meetings"], c["placements"]) for c in ours["cells"]}
    b = {(c["advisor"], c["segment"]): (c["meetings"], c["placements"]) for c in theirs["cells"]}
    for cell in sorted(set(a) | set(b), key=str):
        if a.get(cell) != b.get(cell):
            diffs.append(f"cell {cell}: ours (meetings, placements) {a.get(cell)}, pandas {b.get(cell)}")
    return diffs
