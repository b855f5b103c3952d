"""The benchmark harness (``advisor-funnel bench``): import, pages, report and a pandas baseline.

For each size N it generates (and caches) a seeded export of N registrations, then runs every
phase in its own fresh Python process so that each timing starts cold and each peak-memory figure
(``ru_maxrss`` of that process) belongs to that phase alone:

- ``generate``  the seeded export (cached under ``--cache-dir``; not a target, shown for context);
- ``import``    a fresh store from the export, file by file (the wide CP932 candidate export is the
                headline figure), and how far the data version moved (once per import);
- ``segments``  the first materialisation of the default target list after the import;
- ``record``    every page run once in the real app frame (Streamlit ``AppTest``) on that store,
                recording which metric functions the page calls through ``dashboard.cache`` and with
                what arguments (so the page query sets need nothing from the page authors), plus the
                page run time on a Streamlit cache miss and on a cache hit;
- ``page:*``    one fresh process per page replays that page's recorded calls: cold (fresh process,
                fresh connection, empty caches) and warm (the same calls again on the warm connection,
                which is what the Streamlit cache-miss path costs; ``dashboard.memo`` is cleared
                before each replay, so each is one whole page load), with the time per named query;
- ``report``    ``report.build`` + JSON, cold and warm;
- ``metrics``   our headline metric set (meeting rate 14 d, response-time median and p90, live-transfer
                share, advisor x segment cells), cold and warm;
- ``pandas``    the independent pandas implementation of the same set (``dashboard.bench_baseline``)
                on the store's raw tables, whose figures must equal ours; the speed-up is the pandas
                time divided by ours, both measured in this run.

Results: a table on stdout and, with ``--json FILE``, the same figures as JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from dashboard.paths import PACKAGE_DIR, REPO_ROOT, targets_path

SEED = 7
# Targets on a 2-core machine at 1,000,000 registrations (issue 8). Seconds unless named.
TARGETS = {
    "import_s": 15.0,
    "page_warm_s": 0.5,
    "page_cold_s": 2.0,
    "report_s": 3.0,
    "peak_rss_bytes": 2 * 1024**3,
    "pandas_speedup": 10.0,
}
WIDE_EXPORT = "求職者一覧.csv"
_CHILD_FLAG = "--bench-child"


# --- entry point ---------------------------------------------------------------------------------

def main(args) -> int:
    cache_dir = Path(args.cache_dir).expanduser().resolve()
    results = run(sizes=list(args.registrations), repeat=max(1, int(args.repeat)), cache_dir=cache_dir)
    print(format_table(results))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"results written to {args.json_out}")
    failed = [f"{s['registrations']}: {p}" for s in results["sizes"] for p, r in s["phases"].items() if "error" in r]
    for line in failed:
        print(f"phase failed at {line}", file=sys.stderr)
    return 1 if failed else 0


def run(sizes: list[int], repeat: int, cache_dir: Path, seed: int = SEED, weeks: int | None = None,
        pages: list[str] | None = None) -> dict:
    """Run every phase at every size; return the results as a JSON-ready dict."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = {"machine": machine(), "repeat": repeat, "seed": seed, "targets": TARGETS, "sizes": []}
    for n in sorted(sizes):
        out["sizes"].append(_run_size(n, repeat, cache_dir, seed, weeks, pages))
    if len(out["sizes"]) >= 2:
        out["growth"] = growth(out["sizes"][-2], out["sizes"][-1])
    return out


def machine() -> dict:
    import duckdb
    import pandas as pd
    import psutil

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_bytes": psutil.virtual_memory().total,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


# --- one size ------------------------------------------------------------------------------------

def _run_size(n: int, repeat: int, cache_dir: Path, seed: int, weeks: int | None, pages: list[str] | None) -> dict:
    work = cache_dir / f"r{n}"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    calls_file = work / "page_calls.pkl"
    result: dict = {"registrations": n, "phases": {}}
    phases = result["phases"]

    data_dir, generated = _ensure_data(n, seed, weeks, cache_dir)
    phases["generate"] = generated
    if "error" in generated:
        return result

    for leftover in (db, db.with_name(db.name + ".wal"), calls_file):
        leftover.unlink(missing_ok=True)
    common = {"db": str(db), "data_dir": str(data_dir), "repeat": repeat, "calls_file": str(calls_file)}
    phases["import"] = _child("import", common)
    if "error" in phases["import"]:
        return result
    phases["segments"] = _child("segments", common)
    phases["prepare"] = _child("prepare", common)
    phases["record"] = _child("record", {**common, "pages": pages or page_names()})
    recorded = phases["record"].get("pages", {})
    for page in recorded:
        phases[f"page:{page}"] = _child("page", {**common, "page": page})
    phases["report"] = _child("report", common)
    phases["metrics"] = _child("metrics", common)
    phases["pandas"] = _child("pandas", common)
    result["summary"] = summarise(result)
    return result


def page_names() -> list[str]:
    """The pages of the app, as the files in dashboard/views/ (the app's own page list)."""
    return sorted(p.stem for p in (PACKAGE_DIR / "views").glob("*.py") if not p.stem.startswith("_"))


def _generator_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((PACKAGE_DIR / "generator").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _ensure_data(n: int, seed: int, weeks: int | None, cache_dir: Path) -> tuple[Path, dict]:
    """The generated export for (n, seed, weeks, generator code): reuse it when cached."""
    key = f"data-r{n}-s{seed}-w{weeks or 'default'}-g{_generator_fingerprint()}"
    data_dir = cache_dir / key
    if (data_dir / "truth.json").exists():
        return data_dir, {"cached": True, "dir": str(data_dir), "bytes": _dir_bytes(data_dir)}
    tmp = cache_dir / (key + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    res = _child("generate", {"n": n, "seed": seed, "weeks": weeks, "out": str(tmp)})
    if "error" in res:
        return data_dir, res
    tmp.rename(data_dir)
    return data_dir, {**res, "cached": False, "dir": str(data_dir), "bytes": _dir_bytes(data_dir)}


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- running a phase in a fresh process ----------------------------------------------------------

def _child(phase: str, spec: dict, timeout: float = 3600) -> dict:
    """Run ``phase`` in a fresh interpreter; its result (with its own peak RSS) comes back as JSON."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        result_path = Path(handle.name)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "dashboard.bench", _CHILD_FLAG, phase, json.dumps(spec), str(result_path)]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output:
        proc = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True, cwd=REPO_ROOT, env=env)
        try:
            # The phase's memory is sampled from here, not from a thread of the phase's process:
            # there it took the GIL for ~1 ms every 20 ms and slowed what it measured.
            with _TreeMemory(proc.pid) as tree:
                proc.wait(timeout=timeout)
            text = result_path.read_text(encoding="utf-8") if result_path.exists() else ""
            if proc.returncode != 0 or not text:
                output.seek(0)
                tail = output.read().strip().splitlines()[-12:]
                return {"error": f"exit {proc.returncode}", "detail": "\n".join(tail)}
            result = json.loads(text)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            return {"error": f"timed out after {timeout:.0f} s"}
        except BaseException:  # e.g. Ctrl-C: the phase and its helpers must not outlive the bench
            _kill_tree(proc)
            raise
        finally:
            result_path.unlink(missing_ok=True)
    result["process_s"] = time.perf_counter() - started
    # The phase's own peak, or that of the phase with the helper processes it started (the
    # importer decodes a large export in two of them) if that was higher at some moment.
    result["peak_rss_bytes"] = max(result["peak_rss_self_bytes"], tree.peak)
    return result


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill a phase's process and the helper processes it started (the importer's decoders)."""
    import psutil

    try:
        helpers = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        helpers = []
    for helper in helpers:
        try:
            helper.kill()
        except psutil.Error:
            pass
    proc.kill()
    proc.wait()


def _child_main(argv: list[str]) -> int:
    phase, spec, out = argv[0], json.loads(argv[1]), Path(argv[2])
    rss_at_start = _peak_rss()
    load_at_start = os.getloadavg()[0]
    cpu_at_start = _cpu_seconds()
    result = PHASES[phase](spec)
    result["peak_rss_self_bytes"] = _peak_rss()  # the tree's sampled peak is added by _child
    result["peak_rss_children_bytes"] = _peak_rss(resource.RUSAGE_CHILDREN)
    result["rss_after_imports_bytes"] = rss_at_start
    # On a shared machine wall times move with the load; CPU seconds and the load average say how
    # much of a slow figure was the machine rather than the code. Helper processes' CPU counts.
    result["cpu_s"] = _cpu_seconds() - cpu_at_start
    result["load_average"] = [load_at_start, os.getloadavg()[0]]
    out.write_text(json.dumps(result, ensure_ascii=False, default=_json_default), encoding="utf-8")
    return 0


class _TreeMemory:
    """The highest total RSS of process ``pid`` and all its descendants, sampled every 20 ms while
    the block runs (ru_maxrss sees one process only)."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:  # already gone
            return
        while not self._stop.is_set():
            total = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:  # the phase has ended
                break
            for proc in tree:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:  # a helper ended between listing and reading
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> "_TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _peak_rss(who: int = resource.RUSAGE_SELF) -> int:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    value = resource.getrusage(who).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


def _cpu_seconds() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - started, value


def _summary(samples: list[float]) -> dict:
    return {"median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples), "runs": len(samples)}


# --- phases (each runs in its own process) -------------------------------------------------------

def _phase_generate(spec: dict) -> dict:
    from dashboard import generator

    seconds, truth = _timed(
        generator.generate, registrations=spec["n"], seed=spec["seed"], out_dir=Path(spec["out"]), weeks=spec["weeks"]
    )
    return {"seconds": seconds, "registrations": truth.get("registrations")}


def _phase_import(spec: dict) -> dict:
    from dashboard import demo, importer, store

    # One batch, as the demo, the first start and `advisor-funnel demo` load it: each file in its
    # own transaction, derived tables rebuilt once at the end. A file's seconds come from its
    # row in `imports` (read to commit, without the final rebuild, which is `rebuild_s`).
    con = store.connect(spec["db"])
    pairs = demo.sample_paths(Path(spec["data_dir"]))
    before = store.data_version(con)
    total, results = _timed(importer.import_many, con, [p for p, _ in pairs], [prof for _, prof in pairs])
    spans = dict(con.execute(
        "select import_id, epoch(finished_at) - epoch(started_at) from imports").fetchall())
    sizes = {p.name: p.stat().st_size for p, _ in pairs}
    files = [{
        "file": res.file_name,
        "bytes": sizes.get(res.file_name),
        "seconds": spans.get(res.import_id),
        "rows_accepted": res.rows_accepted,
        "rows_rejected": res.rows_rejected,
    } for res in results]
    steps = store.data_version(con) - before
    counts = store.table_counts(con)
    con.close()
    wide = next((f["seconds"] for f in files if f["file"] == WIDE_EXPORT), None)
    return {"seconds": total, "wide_export_s": wide, "files": files, "table_counts": counts,
            "data_version_steps": steps}


def _phase_segments(spec: dict) -> dict:
    from dashboard import segments, store

    con = store.connect(spec["db"])
    targets = segments.load_target_list(targets_path())
    seconds, key = _timed(segments.ensure, con, targets)
    again, _ = _timed(segments.ensure, con, targets)
    con.close()
    return {"seconds": seconds, "already_current_s": again, "segmentation": key}


def _phase_prepare(spec: dict) -> dict:
    """The derived tables an import builds for the pages (``warmup.prepare``, as the command line's
    import, the demo and the upload page do after the import itself): the segments are already
    there (the segments phase), the rest is built here."""
    from dashboard import store, warmup

    con = store.connect(spec["db"])
    seconds, steps = _timed(warmup.prepare, con)
    con.close()
    return {"seconds": seconds, "steps": steps}


def _phase_record(spec: dict) -> dict:
    """Run every page in the real app frame, recording the metric calls each page makes."""
    os.environ["ADVISOR_FUNNEL_DB"] = spec["db"]
    from streamlit.testing.v1 import AppTest

    from dashboard import cache, frame

    app = str(PACKAGE_DIR / "app.py")
    state = {"page": None, "in_frame": False, "calls": []}
    real_call, real_build = cache.call, frame.build_context

    def recording_call(ctx, fn, *args, **kwargs):
        seconds, value = _timed(real_call, ctx, fn, *args, **kwargs)
        state["calls"].append({
            "fn": f"{fn.__module__}:{fn.__qualname__}", "args": args, "kwargs": kwargs,
            "in_frame": state["in_frame"], "seconds": seconds,
        })
        return value

    def recording_build():
        state["in_frame"] = True
        try:
            return real_build()
        finally:
            state["in_frame"] = False

    cache.call, frame.build_context = recording_call, recording_build
    pages: dict = {}
    calls: dict = {}
    at = AppTest.from_file(app, default_timeout=600)
    first_s, _ = _timed(at.run)  # the default page, on a brand-new process and connection
    for page in spec["pages"]:
        cache.clear()
        state["calls"] = []
        miss_s, _ = _timed(at.switch_page(f"views/{page}.py").run)
        miss_calls = state["calls"]
        state["calls"] = []
        hit_s, _ = _timed(at.run)
        hit_calls = state["calls"]
        problems = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
        calls[page] = [{k: c[k] for k in ("fn", "args", "kwargs", "in_frame")} for c in miss_calls]
        pages[page] = {
            "streamlit_cache_miss_s": miss_s,
            "streamlit_cache_hit_s": hit_s,
            "cache_hit_calls_s": sum(c["seconds"] for c in hit_calls),
            "calls": len(miss_calls),
            "functions": sorted({c["fn"] for c in miss_calls}),
            "errors": problems,
        }
    with open(spec["calls_file"], "wb") as handle:
        pickle.dump(calls, handle)
    return {"first_run_s": first_s, "pages": pages}


def _resolve(name: str):
    import importlib

    module_name, qualname = name.split(":")
    target = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _phase_page(spec: dict) -> dict:
    """Replay one page's recorded calls: cold (fresh process and connection), then warm."""
    from dashboard import memo, store

    with open(spec["calls_file"], "rb") as handle:
        calls = pickle.load(handle)[spec["page"]]
    plan = [(c["fn"], _resolve(c["fn"]), c["args"], c["kwargs"], c["in_frame"]) for c in calls]
    open_s, con = _timed(store.connect, spec["db"])

    def replay() -> tuple[float, list[float]]:
        # Each replay is one page load on a Streamlit cache miss: what the metric layer memoises
        # per data version starts empty too, and is shared only within the load.
        memo.clear()
        each = []
        for _name, fn, args, kwargs, _frame in plan:
            seconds, _ = _timed(fn, con, *args, **kwargs)
            each.append(seconds)
        return sum(each), each

    cold_s, cold_each = replay()
    warm = [replay() for _ in range(spec["repeat"])]
    warm_each = [statistics.median(run[1][i] for run in warm) for i in range(len(plan))]
    with _query_timer() as queries:
        replay()
    con.close()
    per_call = [
        {"fn": name, "in_frame": in_frame, "cold_s": c, "warm_s": w}
        for (name, _fn, _a, _k, in_frame), c, w in zip(plan, cold_each, warm_each)
    ]
    return {
        "open_s": open_s,
        "cold_s": cold_s,
        "warm": _summary([run[0] for run in warm]),
        "calls": per_call,
        "slowest_warm": sorted(per_call, key=lambda c: -c["warm_s"])[:3],
        "queries_warm": [
            {"query": name, "wall_s": wall_s, "cpu_s": cpu_s}
            for name, (wall_s, cpu_s) in sorted(queries.items(), key=lambda kv: -kv[1][1])
        ],
    }


@contextlib.contextmanager
def _query_timer():
    """Time spent per named query (and in the shared helpers that run SQL) while the block runs:
    where a page's time goes, one level below the metric functions."""
    from dashboard import segments, sql
    from dashboard.metrics import form, handoff

    spent: dict[str, list[float]] = {}  # name -> [wall seconds, CPU seconds of all threads]
    patched = []

    def wrap(owner, attr: str, label) -> None:
        original = getattr(owner, attr, None)
        if original is None:
            return

        def timed(*args, **kwargs):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                wall_s, cpu_s = spent.setdefault(label(args), [0.0, 0.0])
                spent[label(args)] = [wall_s + time.perf_counter() - started, cpu_s + time.process_time() - cpu]

        setattr(owner, attr, timed)
        patched.append((owner, attr, original))

    wrap(sql, "run", lambda a: a[1])
    wrap(form, "_run_fields", lambda a: a[1])
    wrap(segments, "ensure", lambda a: "segments.ensure")
    wrap(handoff, "ensure_clocks", lambda a: "handoff.ensure_clocks")  # and the business calendar
    try:
        yield spent
    finally:
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)


def _phase_report(spec: dict) -> dict:
    from dashboard import memo, report, segments, store

    con = store.connect(spec["db"])
    targets = segments.load_target_list(targets_path())

    def once() -> int:
        memo.clear()  # every run as a fresh `advisor-funnel report` would do it
        return len(report.to_json(report.build(con, targets=targets)))

    cold_s, size = _timed(once)
    warm = [_timed(once)[0] for _ in range(spec["repeat"])]
    # The per-section breakdown costs one more build: only worth it when timing for real.
    sections = _report_sections(con, targets) if spec["repeat"] > 1 else {}
    con.close()
    return {"cold_s": cold_s, "warm": _summary(warm), "json_bytes": size, "sections_warm_s": sections}


def _report_sections(con, targets) -> dict:
    """Warm time of each report section, to show where the report's time goes."""
    import importlib

    from dashboard import memo, report, segments
    from dashboard.filters import Filters, resolve_as_of
    from dashboard.settings import DEFAULT

    memo.clear()
    filters = Filters(as_of=resolve_as_of(con))
    rc = report.ReportContext(filters=filters, settings=DEFAULT, segmentation=segments.ensure(con, targets), targets=targets)
    out = {}
    for name in report.SECTION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        out[name.rsplit(".", 1)[-1]] = _timed(module.report_section, con, rc)[0]
    return out


def _phase_metrics(spec: dict) -> dict:
    from dashboard import memo, store

    con = store.connect(spec["db"])

    def once():
        # Each run computes the figures again: the metric layer's memo (per data version) is
        # emptied first, or a warm run would only read what the previous run memoised.
        memo.clear()
        return headline_metrics(con)

    cold_s, figures = _timed(once)
    warm = [_timed(once)[0] for _ in range(spec["repeat"])]
    con.close()
    return {"cold_s": cold_s, "warm": _summary(warm), "figures": figures}


def _phase_pandas(spec: dict) -> dict:
    import duckdb

    from dashboard import bench_baseline

    con = duckdb.connect(spec["db"], read_only=True)
    load_s, raw = _timed(bench_baseline.load_raw_tables, con)
    con.close()
    targets_text = targets_path().read_text(encoding="utf-8")
    runs = []
    figures = None
    for _ in range(max(1, spec["repeat"])):
        seconds, figures = _timed(bench_baseline.headline_metrics, raw, targets_text)
        runs.append(seconds)
    csv_s, rows = _timed(bench_baseline.read_wide_export, Path(spec["data_dir"]) / WIDE_EXPORT)
    return {
        "load_raw_tables_s": load_s,
        "compute": _summary(runs),
        "read_wide_csv_s": csv_s,
        "read_wide_csv_rows": rows,
        "figures": figures,
    }


def headline_metrics(con, targets=None) -> dict:
    """Our headline metric set, through the metric functions the pages call, in the baseline's
    shape (``targets``: a TargetList, default the app's target list)."""
    from dashboard import segments
    from dashboard.filters import Filters, resolve_as_of
    from dashboard.metrics import funnel, handoff, yellow_zone
    from dashboard.settings import DEFAULT as s

    filters = Filters(as_of=resolve_as_of(con))
    meetings = funnel.meeting_rate(con, filters, s).iloc[0]
    response = handoff.response_time(con, filters, s).iloc[0]
    lag = handoff.handoff_lag(con, filters, s).iloc[0]
    key = segments.ensure(con, targets or segments.load_target_list(targets_path()))
    cells = yellow_zone.cell_counts(con, filters, s, key)
    return {
        "as_of": filters.as_of.isoformat(),
        "meeting_rate_14d": {"k": int(meetings["meetings"]), "n": int(meetings["registrations"])},
        "response_time": {
            "median_minutes": _float_or_none(response["median_minutes"]),
            "p90_minutes": _float_or_none(response["p90_minutes"]),
            "n": int(response["contacted"]),
        },
        "live_transfer_share": {"k": int(lag["live_transfers"]), "n": int(lag["handoffs"])},
        "cells": [
            {"advisor": r.advisor, "segment": r.segment, "meetings": int(r.meetings), "placements": int(r.placements)}
            for r in cells.itertuples(index=False)
        ],
    }


def _float_or_none(value) -> float | None:
    import math

    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


PHASES = {
    "generate": _phase_generate,
    "import": _phase_import,
    "segments": _phase_segments,
    "prepare": _phase_prepare,
    "record": _phase_record,
    "page": _phase_page,
    "report": _phase_report,
    "metrics": _phase_metrics,
    "pandas": _phase_pandas,
}


# --- summaries -----------------------------------------------------------------------------------

def summarise(size: dict) -> dict:
    """The headline figures of one size, each beside its target."""
    from dashboard import bench_baseline

    phases = size["phases"]
    pages = {k.split(":", 1)[1]: v for k, v in phases.items() if k.startswith("page:") and "error" not in v}
    # The product's processes only: generating data and the pandas baseline are the harness's.
    rss = {name: p["peak_rss_bytes"] for name, p in phases.items()
           if name not in ("generate", "pandas") and isinstance(p, dict) and "peak_rss_bytes" in p}
    ours, theirs = phases.get("metrics", {}), phases.get("pandas", {})
    out: dict = {
        "import_s": phases.get("import", {}).get("seconds"),
        "import_wide_export_s": phases.get("import", {}).get("wide_export_s"),
        "segments_s": phases.get("segments", {}).get("seconds"),
        "prepare_s": phases.get("prepare", {}).get("seconds"),
        "page_cold_s": {p: v["cold_s"] for p, v in pages.items()},
        "page_warm_s": {p: v["warm"]["median_s"] for p, v in pages.items()},
        "page_cache_hit_s": {p: v.get("streamlit_cache_hit_s") for p, v in phases.get("record", {}).get("pages", {}).items()},
        # The page's first run after the import in the real app: its queries on a Streamlit cache
        # miss, the pre-aggregates it builds once per data version (form, labour), and rendering.
        "page_first_open_s": {p: v.get("streamlit_cache_miss_s") for p, v in phases.get("record", {}).get("pages", {}).items()},
        "page_errors": {p: v["errors"] for p, v in phases.get("record", {}).get("pages", {}).items() if v.get("errors")},
        "report_cold_s": phases.get("report", {}).get("cold_s"),
        "report_warm_s": phases.get("report", {}).get("warm", {}).get("median_s"),
        "peak_rss_bytes": max(rss.values()) if rss else None,
        "peak_rss_phase": max(rss, key=rss.get) if rss else None,
        "metrics_cold_s": ours.get("cold_s"),
        "metrics_warm_s": ours.get("warm", {}).get("median_s"),
        "pandas_s": theirs.get("compute", {}).get("median_s"),
    }
    if out["metrics_warm_s"] and out["pandas_s"]:
        out["pandas_speedup_warm"] = out["pandas_s"] / out["metrics_warm_s"]
        out["pandas_speedup_cold"] = out["pandas_s"] / out["metrics_cold_s"]
    if ours.get("figures") is not None and theirs.get("figures") is not None:
        out["figures_differ"] = bench_baseline.compare(ours["figures"], theirs["figures"])
    out["targets_met"] = targets_met(out)
    return out


def targets_met(s: dict) -> dict:
    def under(value, limit):
        return None if value is None else value < limit

    cold = list(s["page_cold_s"].values())
    warm = list(s["page_warm_s"].values())
    return {
        "import": under(s["import_s"], TARGETS["import_s"]),
        "pages_warm": under(max(warm), TARGETS["page_warm_s"]) if warm else None,
        "pages_cold": under(max(cold), TARGETS["page_cold_s"]) if cold else None,
        "report": under(s["report_cold_s"], TARGETS["report_s"]),
        "peak_memory": under(s["peak_rss_bytes"], TARGETS["peak_rss_bytes"]),
        "pandas_speedup": None if s.get("pandas_speedup_warm") is None else s["pandas_speedup_warm"] >= TARGETS["pandas_speedup"],
    }


def growth(small: dict, large: dict) -> dict:
    """Cost ratio between two sizes beside the size ratio (linear growth: the two are close)."""
    a, b = small.get("summary", {}), large.get("summary", {})
    ratio = large["registrations"] / small["registrations"]
    out = {"from": small["registrations"], "to": large["registrations"], "size_ratio": ratio, "cost_ratio": {}}
    for key in ("import_s", "segments_s", "report_cold_s", "report_warm_s", "metrics_warm_s", "pandas_s", "peak_rss_bytes"):
        if a.get(key) and b.get(key):
            out["cost_ratio"][key] = b[key] / a[key]
    for key in ("page_cold_s", "page_warm_s"):
        for page, value in b.get(key, {}).items():
            if a.get(key, {}).get(page):
                out["cost_ratio"][f"{key}:{page}"] = value / a[key][page]
    return out


# --- the table -----------------------------------------------------------------------------------

def format_table(results: dict) -> str:
    sizes = results["sizes"]
    if not sizes:
        return "no sizes"
    header = ["figure"] + [f"{s['registrations']:,}" for s in sizes] + ["target @1M"]
    rows: list[list[str]] = []

    def add(label: str, values: list, target: str = "") -> None:
        rows.append([label] + [_fmt(v) for v in values] + [target])

    summ = [s.get("summary", {}) for s in sizes]
    add("import, all files (s)", [s.get("import_s") for s in summ], f"< {TARGETS['import_s']:g}")
    add("  of which the wide CP932 export (s)", [s.get("import_wide_export_s") for s in summ])
    add("segments after import (s)", [s.get("segments_s") for s in summ])
    add("derived tables for the pages after import (s)", [s.get("prepare_s") for s in summ])
    pages = sorted({p for s in summ for p in s.get("page_warm_s", {})})
    for page in pages:
        add(f"page {page}: cold (s)", [s.get("page_cold_s", {}).get(page) for s in summ], f"< {TARGETS['page_cold_s']:g}")
        add(f"page {page}: warm (s)", [s.get("page_warm_s", {}).get(page) for s in summ], f"< {TARGETS['page_warm_s']:g}")
        add(f"page {page}: first open after import (s)", [s.get("page_first_open_s", {}).get(page) for s in summ])
        add(f"page {page}: Streamlit cache hit (s)", [s.get("page_cache_hit_s", {}).get(page) for s in summ])
    add("report JSON: cold (s)", [s.get("report_cold_s") for s in summ], f"< {TARGETS['report_s']:g}")
    add("report JSON: warm (s)", [s.get("report_warm_s") for s in summ])
    add("peak RSS of the product's processes (MB)", [None if s.get("peak_rss_bytes") is None else s["peak_rss_bytes"] / 1024**2 for s in summ], "< 2048")
    add("  in phase", [s.get("peak_rss_phase") for s in summ])
    add("metric set, ours warm (s)", [s.get("metrics_warm_s") for s in summ])
    add("metric set, ours cold (s)", [s.get("metrics_cold_s") for s in summ])
    add("metric set, pandas (s)", [s.get("pandas_s") for s in summ])
    add("pandas / ours warm (x)", [s.get("pandas_speedup_warm") for s in summ], f">= {TARGETS['pandas_speedup']:g}")
    add("pandas / ours cold (x)", [s.get("pandas_speedup_cold") for s in summ])
    add("figures equal to pandas", [None if "figures_differ" not in s else not s["figures_differ"] for s in summ])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    for s in sizes:
        for phase, res in s["phases"].items():
            if isinstance(res, dict) and "error" in res:
                lines.append(f"! {s['registrations']:,} {phase}: {res['error']} {res.get('detail', '')}")
        for page, problems in s.get("summary", {}).get("page_errors", {}).items():
            lines.append(f"! {s['registrations']:,} page {page} showed: {problems[:2]}")
        for diff in s.get("summary", {}).get("figures_differ", [])[:10]:
            lines.append(f"! {s['registrations']:,} differs from pandas: {diff}")
    if "growth" in results:
        g = results["growth"]
        lines.append(f"growth {g['from']:,} -> {g['to']:,} (size x{g['size_ratio']:g}): " + ", ".join(
            f"{k} x{v:.1f}" for k, v in g["cost_ratio"].items() if ":" not in k))
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == _CHILD_FLAG:
        sys.exit(_child_main(sys.argv[2:]))
    from dashboard.cli import main as cli_main

    sys.exit(cli_main(["bench", *sys.argv[1:]]))
