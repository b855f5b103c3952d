"""The benchmark harness: its pandas baseline agrees with the product, and it runs end to end.

No timings are asserted (the machine is shared); these tests prove that the figures the benchmark
compares are the same figures, and that ``advisor-funnel bench`` still works at a tiny size.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dashboard import bench, bench_baseline, segments, store

TARGETS_TOML = """
[[segment]]
name = "30代専門職"
target = true
age = [30, 39]
job_category = ["ITエンジニア", "経理"]

[[segment]]
name = "20代"
target = true
age = [20, 29]

[[segment]]
name = "非ターゲット"
target = false
job_changes = [4, 99]
"""


def random_store(n: int = 3000, seed: int = 3):
    """A store of random candidates and events, with boundary cases planted on purpose: lags of
    exactly 14 days and exactly 30 minutes, repeated first contacts, missing attributes, events by
    advisors without a team, cohorts on both sides of maturity."""
    rng = np.random.default_rng(seed)
    con = store.connect(None)
    for name, dtype in {"age": "DOUBLE", "job_category": "VARCHAR", "job_changes": "DOUBLE"}.items():
        con.execute(f'alter table candidates add column "{name}" {dtype}')
    start = pd.Timestamp("2023-01-02 00:00")
    registered = start + pd.to_timedelta(rng.integers(0, 300 * 24 * 60, n), unit="min")
    ids = [f"C{i:05d}" for i in range(n)]
    age = rng.integers(20, 50, n).astype(float)
    age[rng.random(n) < 0.15] = np.nan
    jobs = np.array(["ITエンジニア", "経理", "販売", None], dtype=object)[rng.integers(0, 4, n)]
    changes = rng.integers(0, 8, n).astype(float)
    changes[rng.random(n) < 0.3] = np.nan
    candidates = pd.DataFrame({
        "candidate_id": ids, "registered_at": registered, "channel": rng.choice(["web", "scout"], n),
        "form_version": "v1", "import_id": 0, "age": age, "job_category": jobs, "job_changes": changes,
    })
    advisors = [f"A{i}" for i in range(6)]
    staff = pd.DataFrame({
        "staff_id": ["H1", "H2", *advisors], "name": ["H1", "H2", *advisors],
        "role": ["handler", "handler"] + ["advisor"] * 6,
        "team": ["T1", "T2", "T1", "T1", "T2", "T2", None, "T3"],
        "started_on": None, "is_inferred": False, "import_id": 0,
    })
    rows = []
    for i in range(n):
        reg = registered[i]
        if rng.random() < 0.85:
            lag = pd.Timedelta(minutes=float(rng.choice([5, 30, 60 * 24 * 7, rng.exponential(600)])))
            contact = reg + lag
            rows.append((ids[i], "first_contact", contact, rng.choice(["H1", "H2", "A1"]), None))
            if rng.random() < 0.2:
                rows.append((ids[i], "first_contact", contact + pd.Timedelta(hours=2), "H2", None))
            if rng.random() < 0.6:
                handoff = pd.Timedelta(minutes=float(rng.choice([0, 30, 31, rng.exponential(60 * 24 * 5)])))
                held = contact + handoff
                if rng.random() < 0.1:
                    held = reg + pd.Timedelta(days=14)
                advisor = rng.choice(advisors)
                rows.append((ids[i], "meeting_held", held, advisor, None))
                if rng.random() < 0.15:
                    placed = held + pd.Timedelta(days=float(rng.choice([120, rng.uniform(20, 200)])))
                    rows.append((ids[i], "placed", placed, advisor, None))
    events = pd.DataFrame(rows, columns=["candidate_id", "stage", "occurred_at", "staff_id", "scheduled_for"])
    # Cut the events at the export date, so the last cohorts are immature.
    events = events[events["occurred_at"] <= start + pd.Timedelta(days=303)]
    events = events.drop_duplicates(["candidate_id", "stage", "occurred_at"])
    events["scheduled_for"] = pd.Series(pd.NaT, index=events.index, dtype="datetime64[us]")
    events["import_id"] = 0
    for table, frame in (("candidates", candidates), ("staff", staff), ("events", events)):
        con.register("incoming", frame)
        con.execute(f"insert into {table} by name select * from incoming")
        con.unregister("incoming")
    store.refresh_derived(con)
    store.bump_version(con)
    return con


@pytest.fixture(scope="module")
def random_con():
    con = random_store()
    yield con
    con.close()


def test_pandas_baseline_equals_ours_on_random_data_with_boundary_cases(random_con):
    targets = segments.parse_target_list(TARGETS_TOML)
    ours = bench.headline_metrics(random_con, targets=targets)
    theirs = bench_baseline.headline_metrics(bench_baseline.load_raw_tables(random_con), TARGETS_TOML)
    assert bench_baseline.compare(ours, theirs) == []
    # The comparison has something to compare: every figure is populated.
    assert 1000 < theirs["meeting_rate_14d"]["n"] < 2900 and theirs["meeting_rate_14d"]["k"] > 100
    assert theirs["live_transfer_share"]["k"] > 50
    assert theirs["response_time"]["n"] > 1000
    assert {c["segment"] for c in theirs["cells"]} >= {"30代専門職", "20代", "非ターゲット", "other", "unknown"}


def test_compare_names_each_difference():
    figures = {
        "meeting_rate_14d": {"k": 3, "n": 10}, "live_transfer_share": {"k": 1, "n": 2},
        "response_time": {"median_minutes": 5.0, "p90_minutes": 50.0, "n": 8},
        "cells": [{"advisor": "A", "segment": "S", "meetings": 4, "placements": 1}],
    }
    other = {
        **figures, "meeting_rate_14d": {"k": 4, "n": 10},
        "response_time": {"median_minutes": 5.0, "p90_minutes": 51.0, "n": 8},
        "cells": [{"advisor": "A", "segment": "S", "meetings": 4, "placements": 2}],
    }
    diffs = bench_baseline.compare(figures, other)
    assert len(diffs) == 3
    assert any("meeting_rate_14d.k" in d for d in diffs)
    assert any("p90_minutes" in d for d in diffs)
    assert any("('A', 'S')" in d for d in diffs)
    assert bench_baseline.compare(figures, figures) == []


def test_baseline_classifies_like_the_reference_classifier():
    targets = segments.parse_target_list(TARGETS_TOML)
    records = [
        {"candidate_id": "a", "age": 31.0, "job_category": "経理", "job_changes": 5.0},
        {"candidate_id": "b", "age": 31.0, "job_category": None, "job_changes": 1.0},
        {"candidate_id": "c", "age": None, "job_category": "販売", "job_changes": 6.0},
        {"candidate_id": "d", "age": 45.0, "job_category": "販売", "job_changes": None},
        {"candidate_id": "e", "age": 25.0, "job_category": "", "job_changes": None},
        {"candidate_id": "f", "age": 45.0, "job_category": "販売", "job_changes": 2.0},
    ]
    got = bench_baseline.classify(pd.DataFrame(records), bench_baseline.parse_targets(TARGETS_TOML))
    want = {r["candidate_id"]: segments.classify(targets, r)[0] for r in records}
    assert got.to_dict() == want
    assert want == {"a": "30代専門職", "b": "unknown", "c": "unknown", "d": "unknown", "e": "20代", "f": "other"}


@pytest.mark.slow
def test_bench_runs_end_to_end_at_a_tiny_size_and_agrees_with_pandas(tmp_path, monkeypatch):
    # The default target list (data/targets.toml) segments the generated data; nothing the pages
    # might save lands in the repository.
    monkeypatch.setenv("ADVISOR_FUNNEL_PROFILES", str(tmp_path / "profiles"))
    results = bench.run(sizes=[1500], repeat=1, cache_dir=tmp_path / "cache", weeks=30, pages=["overview"])

    size = results["sizes"][0]
    failed = {name: phase for name, phase in size["phases"].items() if "error" in phase}
    assert failed == {}
    summary = size["summary"]
    assert summary["figures_differ"] == []
    assert summary["page_errors"] == {}
    # Every headline figure was measured.
    assert summary["import_s"] > 0 and summary["report_cold_s"] > 0 and summary["pandas_s"] > 0
    assert summary["prepare_s"] > 0 and "labour_facts" in size["phases"]["prepare"]["steps"]
    assert set(summary["page_warm_s"]) == set(summary["page_cold_s"]) == set(summary["page_first_open_s"]) == {"overview"}
    assert summary["page_first_open_s"]["overview"] > 0
    assert summary["peak_rss_bytes"] > 0
    # The pages really call metric functions, and the import (one batch of four files) moved the
    # data version exactly once.
    assert size["phases"]["record"]["pages"]["overview"]["calls"] > 0
    assert size["phases"]["page:overview"]["queries_warm"]  # the named queries behind the page were timed
    assert len(size["phases"]["import"]["files"]) == 4 and size["phases"]["import"]["data_version_steps"] == 1
    # The pandas baseline had data to work on.
    figures = size["phases"]["pandas"]["figures"]
    assert figures["meeting_rate_14d"]["n"] > 500 and figures["cells"]

    table = bench.format_table(results)
    assert "pandas / ours warm" in table and "page overview: cold" in table
    json.dumps(results)


def test_page_names_are_the_app_views():
    names = bench.page_names()
    assert {"overview", "handoff", "yellow_zone", "data"} <= set(names)


def test_memo_keeps_a_result_per_connection_and_data_version():
    from dashboard import memo

    calls = []

    @memo.per_data_version
    def frame_of(con, n):
        calls.append(n)
        return pd.DataFrame({"x": [n]})

    con, other = store.connect(None), store.connect(None)
    first = frame_of(con, 1)
    first["x"] = 99  # callers get a copy: changing it changes nothing cached
    assert frame_of(con, 1)["x"].tolist() == [1]
    assert calls == [1]
    frame_of(con, 2)
    frame_of(other, 1)  # another store (connection) has its own entries
    assert calls == [1, 2, 1]
    con.execute("begin transaction")
    store.bump_version(con)  # an import moves the version on: computed again, once
    con.execute("commit")
    frame_of(con, 1)
    frame_of(con, 1)
    assert calls == [1, 2, 1, 1]
    memo.clear()
    frame_of(con, 1)
    assert calls == [1, 2, 1, 1, 1]


def test_tree_memory_counts_the_helper_processes_a_phase_starts():
    # ru_maxrss sees one process; a phase whose work runs partly in helper processes (the
    # importer's parallel decoding) must still report what the whole tree held.
    import subprocess
    import sys

    # The phase (here a process holding 100 MB that starts a helper holding 300 MB) is sampled from
    # outside, as _child samples a phase: the whole tree, at one moment.
    helper = "b = bytearray(300 * 1024 * 1024); import time; time.sleep(0.6)"
    phase = ("import subprocess, sys; a = bytearray(100 * 1024 * 1024); "
             f"subprocess.run([sys.executable, '-c', {helper!r}], check=True)")
    proc = subprocess.Popen([sys.executable, "-c", phase])
    with bench._TreeMemory(proc.pid, interval=0.01) as tree:
        proc.wait()
    assert proc.returncode == 0
    assert tree.peak >= 390 * 1024 * 1024  # the phase's 100 MB and the helper's 300 MB at once


def test_the_metric_sets_warm_runs_compute_again_instead_of_reading_the_memo(sample_store_path, tmp_path, monkeypatch):
    import shutil

    from dashboard import memo

    db = tmp_path / "copy.duckdb"
    shutil.copy(sample_store_path, db)
    computed = []
    real = bench.headline_metrics

    def counting(con, *args, **kwargs):
        # A run that reads the memo of the one before it would find these entries still there.
        computed.append(sum(len(per_con) for entries in memo._memos for per_con in entries.values()))
        return real(con, *args, **kwargs)

    monkeypatch.setattr(bench, "headline_metrics", counting)
    result = bench._phase_metrics({"db": str(db), "repeat": 2})
    assert len(computed) == 3 and computed == [0, 0, 0]
    assert result["figures"]["meeting_rate_14d"]["n"] > 0


def test_a_phase_that_runs_too_long_is_killed_with_its_processes(tmp_path):
    import psutil

    def phases() -> list:  # this process's children running a bench phase (a browser test's may run too)
        found = []
        for proc in psutil.Process().children(recursive=True):
            try:
                if "dashboard.bench" in proc.cmdline():
                    found.append(proc)
            except psutil.Error:
                pass
        return found

    result = bench._child("generate", {"n": 300_000, "seed": 1, "weeks": 52, "out": str(tmp_path / "g")}, timeout=1)
    assert result == {"error": "timed out after 1 s"}
    assert phases() == []
