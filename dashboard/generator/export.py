"""Write a simulated world as the CRM exports of export-contract.md, with realistic artefacts.

The artefacts an importer must survive (duplicate re-exported rows, events dated before the
registration, full-width digits, an odd timestamp format, personal-data columns, several spellings
of "missing") are planted here and listed in the returned dict, which goes into truth.json.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from dashboard.generator import names
from dashboard.generator.clock import MINUTES_PER_DAY
from dashboard.generator.simulate import World
from dashboard.generator.text import Text, write_csv

CANDIDATES_FILE = "求職者一覧.csv"
PIPELINE_FILE = "選考プロセス.csv"
CALLS_FILE = "架電ログ.csv"
STAFF_FILE = "担当者一覧.csv"
PII_COLUMNS = ("氏名", "フリガナ", "電話番号", "メールアドレス", "住所")
MISSING_TOKENS = ("", "-", "未記載")
FORMATS = {
    CANDIDATES_FILE: ("cp932", "\r\n"),
    PIPELINE_FILE: ("cp932", "\r\n"),
    CALLS_FILE: ("utf-8-sig", "\n"),
    STAFF_FILE: ("utf-8-sig", "\n"),
}
STAGE_COLUMNS = ("初回接触日時", "初回対応者", "面談設定日時", "面談設定者", "面談予定日時", "面談実施日時", "担当CA")
PIPELINE_DATES = (("書類通過日", "doc_passed"), ("一次面接日", "interview"), ("最終面接日", "final"),
                  ("内定日", "offer"), ("承諾日", "accepted"), ("入社日", "joined"), ("入社前辞退日", "declined"))


def _write(out_dir: Path, name: str, columns: dict, files: dict) -> None:
    encoding, newline = FORMATS[name]
    rows = write_csv(out_dir / name, list(columns), list(columns.values()), encoding, newline)
    files[name] = {"encoding": encoding, "line_ending": "CRLF" if newline == "\r\n" else "LF", "rows": rows}


def _codes(column: pd.Series) -> tuple[list, np.ndarray]:
    return list(column.cat.categories), column.cat.codes.to_numpy()


def write(world: World, out_dir: Path, rng: np.random.Generator) -> tuple[dict, dict]:
    """Write the four exports and their profiles into ``out_dir``; return (artefacts, files)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    p, clock, cand, staff = world.params, world.clock, world.candidates, world.staff
    n = len(cand)
    width = max(7, len(str(n)))

    def ids(rows) -> list[str]:
        return [f"J{i + 1:0{width}d}" for i in np.atleast_1d(rows)]

    staff_names = list(staff["name"]) + [""]   # index -1: nobody
    artefacts: dict = {"pii_columns": list(PII_COLUMNS), "missing_tokens": list(MISSING_TOKENS),
                       "full_width_cells": {}, "other_format_cells": {}}
    files: dict = {}

    # --- 求職者一覧 --------------------------------------------------------------------------
    text = Text(FORMATS[CANDIDATES_FILE][0])
    t_reg = cand["registered_at"].to_numpy()
    cols = {
        "求職者ID": text.padded("J", np.arange(1, n + 1), width),
        "登録日時": text.timestamps(clock, t_reg),
        "流入経路": text.pick(*_codes(cand["channel"])),
        "フォーム版": text.pick(*_codes(cand["form_version"])),
    }
    cols.update(names.people(rng, text, cand["prefecture"].array, cand["junk_phone"].to_numpy(),
                             p.full_width_phone_share))
    numeric = {"age", "current_income", "desired_income", "job_changes"}
    for f in p.form_fields:
        if f.attribute in numeric:
            values = text.integers(cand[f.attribute].to_numpy())
        else:
            values = text.pick(*_codes(cand[f.attribute]), quote=f.attribute == "free_text")
        if f.attribute in ("has_resume", "free_text"):
            # An upload or a free text box left alone is simply empty.
            missing = text.literal("")
        else:
            missing = text.pick(MISSING_TOKENS, rng.choice(3, n, p=[0.85, 0.10, 0.05]))
        column = text.where(world.filled[f.attribute], values, missing)
        if f.attribute == "current_income":
            column = text.where(cand["income_unstated"].to_numpy(), text.literal("未記載"), column)
        cols[f.header] = column

    early_n = max(3, int(round(n * p.early_event_share)))
    dup_n = max(2, int(round(n * p.duplicate_share)))
    contacted = cand["contacted_at"].to_numpy().copy()
    with_contact = np.flatnonzero(~np.isnan(contacted))
    chosen = rng.choice(with_contact, size=min(len(with_contact), early_n + dup_n), replace=False)
    early, duplicates = np.sort(chosen[:early_n]), np.sort(chosen[early_n:])
    # Contact times typed in before the registration itself: the importer must reject these events.
    contacted[early] = t_reg[early] - rng.integers(60, 3 * MINUTES_PER_DAY, len(early))
    cols["初回接触日時"] = text.timestamps(clock, contacted)
    cols["初回対応者"] = text.pick(staff_names, cand["contact_staff"].to_numpy())
    cols["面談設定日時"] = text.timestamps(clock, cand["booked_at"].to_numpy())
    cols["面談設定者"] = text.pick(staff_names, cand["booked_by"].to_numpy())
    cols["面談予定日時"] = text.timestamps(clock, cand["scheduled_for"].to_numpy())
    cols["面談実施日時"] = text.timestamps(clock, cand["held_at"].to_numpy())
    cols["担当CA"] = text.pick(staff_names, cand["assigned"].to_numpy())

    plain = np.ones(n, dtype=bool)   # rows not already carrying another artefact
    plain[chosen] = False
    wide = artefacts["full_width_cells"].setdefault(CANDIDATES_FILE, {})
    for header, present in (("登録日時", t_reg), ("初回接触日時", contacted),
                            ("年齢", world.filled["age"]), ("現年収(万円)", world.filled["current_income"])):
        present = ~np.isnan(present) if present.dtype.kind == "f" else present
        rows = np.flatnonzero((rng.random(n) < p.full_width_share) & plain & present)
        cols[header] = text.full_width(cols[header], rows)
        wide[header] = ids(rows)
    booked = cand["booked_at"].to_numpy()
    rows = np.flatnonzero((rng.random(n) < p.other_format_share) & plain & ~np.isnan(booked))
    iso = text.timestamps(clock, booked, iso=True)
    odd = np.zeros(n, dtype=bool)
    odd[rows] = True
    cols["面談設定日時"] = text.where(odd, iso, cols["面談設定日時"])
    artefacts["other_format_cells"][CANDIDATES_FILE] = {"面談設定日時": ids(rows)}

    # A later re-export of the same people is appended: their earlier rows are stale snapshots
    # taken before the first contact, and the later (complete) rows must win.
    order = np.concatenate([np.arange(n), duplicates])
    stale = np.zeros(len(order), dtype=bool)
    stale[duplicates] = True
    body = {}
    for header, column in cols.items():
        column = column.take(order)
        body[header] = text.blank(stale, column) if header in STAGE_COLUMNS else column
    _write(out_dir, CANDIDATES_FILE, body, files)
    artefacts["duplicate_ids"] = ids(duplicates)
    artefacts["early_events"] = [{"candidate_id": c, "file": CANDIDATES_FILE, "column": "初回接触日時"}
                                 for c in ids(early)]

    # --- 選考プロセス ------------------------------------------------------------------------
    text = Text(FORMATS[PIPELINE_FILE][0])
    pipe = world.pipeline.sort_values(["recommended", "candidate", "job"], kind="stable", ignore_index=True)
    candidate = pipe["candidate"].to_numpy()
    rec_day = pipe["recommended"].to_numpy().copy()
    free = np.flatnonzero(~np.isin(candidate, chosen))
    pipe_early = np.sort(rng.choice(free, size=min(len(free), early_n), replace=False))
    rec_day[pipe_early] = clock.day(t_reg[candidate[pipe_early]]) - rng.integers(1, 11, len(pipe_early))
    pcols = {
        "求職者ID": text.padded("J", candidate + 1, width),
        "求人ID": text.padded("JOB-", pipe["job"].to_numpy(), 5),
        "推薦日": text.dates(clock, rec_day),
    }
    for header, key in PIPELINE_DATES:
        day = pipe[key].to_numpy()
        pcols[header] = text.dates(clock, day, missing=day < 0)
    pcols["担当CA"] = text.pick(staff_names, pipe["advisor"].to_numpy())
    plain = np.ones(len(pipe), dtype=bool)
    plain[pipe_early] = False
    rows = np.flatnonzero((rng.random(len(pipe)) < p.full_width_share) & plain)
    pcols["推薦日"] = text.full_width(pcols["推薦日"], rows)
    job_ids = text.decode(pcols["求人ID"], np.concatenate([rows, pipe_early]))
    artefacts["full_width_cells"][PIPELINE_FILE] = {
        "推薦日": [f"{c}/{j}" for c, j in zip(ids(candidate[rows]), job_ids)]}
    _write(out_dir, PIPELINE_FILE, pcols, files)
    artefacts["early_events"] += [
        {"candidate_id": c, "job_id": j, "file": PIPELINE_FILE, "column": "推薦日"}
        for c, j in zip(ids(candidate[pipe_early]), job_ids[len(rows):])]

    # --- 架電ログ ------------------------------------------------------------------------------
    text = Text(FORMATS[CALLS_FILE][0])
    calls = world.calls
    _write(out_dir, CALLS_FILE, {
        "求職者ID": text.padded("J", calls["candidate"].to_numpy() + 1, width),
        "架電日時": text.timestamps(clock, calls["at"].to_numpy()),
        "架電担当": text.pick(staff_names, calls["staff"].to_numpy()),
        "結果": text.pick(*_codes(calls["result"])),
        "通話時間(分)": text.integers(calls["minutes"].to_numpy()),
    }, files)

    # --- 担当者一覧 ----------------------------------------------------------------------------
    text = Text(FORMATS[STAFF_FILE][0])
    start_dates = [(p.start + timedelta(days=int(d))).strftime("%Y/%m/%d") for d in staff["started_day"]]
    _write(out_dir, STAFF_FILE, {
        "担当者名": text.table(staff["name"]),
        "役割": text.table(staff["role"].map({"advisor": "CA", "handler": "登録対応"})),
        "チーム": text.table(staff["team"]),
        "着任日": text.table(start_dates),
    }, files)

    write_profiles(out_dir / "profiles", p)
    return artefacts, files


def profiles(params) -> dict[str, dict]:
    """The import profile of each file (import-profile.md, plus ``file``), keyed by file name."""
    missing = list(MISSING_TOKENS)
    return {
        STAFF_FILE: {
            "name": "サンプル 担当者一覧", "kind": "staff", "file": STAFF_FILE, "encoding": "utf-8",
            "missing_values": missing,
            "columns": {"staff_id": "担当者名", "name": "担当者名", "role": "役割", "team": "チーム",
                        "started_on": "着任日"},
            "role_names": {"登録対応": "handler", "CA": "advisor", "兼任": "both"},
        },
        CANDIDATES_FILE: {
            "name": "サンプル 求職者一覧", "kind": "candidates", "file": CANDIDATES_FILE, "encoding": "cp932",
            "missing_values": missing, "drop": ["自由記述"],
            "columns": {"candidate_id": "求職者ID", "registered_at": "登録日時", "channel": "流入経路",
                        "form_version": "フォーム版"},
            "stages": {
                "first_contact": {"at": "初回接触日時", "staff": "初回対応者"},
                "meeting_booked": {"at": "面談設定日時", "staff": "面談設定者", "scheduled_for": "面談予定日時"},
                "meeting_held": {"at": "面談実施日時", "staff": "担当CA"},
            },
            "attributes": {f.attribute: f.header for f in params.form_fields if f.attribute != "free_text"},
        },
        PIPELINE_FILE: {
            "name": "サンプル 選考プロセス", "kind": "events", "file": PIPELINE_FILE, "encoding": "cp932",
            "missing_values": missing,
            "columns": {"candidate_id": "求職者ID"},
            "stages": {
                "recommended": {"at": "推薦日", "staff": "担当CA"},
                "interview": {"at": "一次面接日", "staff": "担当CA"},
                "offer": {"at": "内定日", "staff": "担当CA"},
                "placed": {"at": "入社日", "staff": "担当CA"},
            },
        },
        CALLS_FILE: {
            "name": "サンプル 架電ログ", "kind": "activities", "file": CALLS_FILE, "encoding": "utf-8",
            "missing_values": missing,
            "columns": {"candidate_id": "求職者ID", "started_at": "架電日時", "staff_id": "架電担当",
                        "kind": "結果", "minutes": "通話時間(分)"},
        },
    }


def write_profiles(folder: Path, params) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, profile in profiles(params).items():
        (folder / (Path(file_name).stem + ".toml")).write_text(tomli_w.dumps(profile), encoding="utf-8")
