"""The ``advisor-funnel`` command: generate, import, imports, undo, demo, report, bench, serve.

Every command takes ``--db PATH`` (else $ADVISOR_FUNNEL_DB, else data/workspace.duckdb). Errors a
user can act on are printed as one line on stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from dashboard.paths import DEFAULT_TARGETS, PACKAGE_DIR, resolve_db_path

EXIT_USAGE = 2
EXIT_REFUSED = 3


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="DuckDB store (default: $ADVISOR_FUNNEL_DB or data/workspace.duckdb)")


def _connect(args):
    import duckdb

    from dashboard import store

    path = resolve_db_path(args.db)
    try:
        return store.connect(path)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise UserError(
                f"the store {path} is in use by another program (is the dashboard running on it?); "
                "stop it, or run this on a copy of the file"
            ) from None
        raise UserError(f"cannot open the store {path}: {exc}") from None


def cmd_generate(args) -> int:
    from dashboard import generator

    out = Path(args.out)
    truth = generator.generate(registrations=args.registrations, seed=args.seed, out_dir=out, weeks=args.weeks)
    print(f"wrote {truth['registrations']:,} registrations (seed {args.seed}) to {out}")
    return 0


def cmd_import(args) -> int:
    from dashboard import i18n, importer, store, warmup

    con = _connect(args)
    lang = args.lang
    i18n.set_language(lang)  # refusals and stored reasons in the language asked for
    status = 0
    try:
        for path in args.files:
            try:
                # Derived tables are rebuilt once for the whole batch (finally, below).
                result = importer.import_file(con, Path(path), profile=args.profile, replace=args.replace, refresh=False)
            except importer.ImportRefused as exc:
                print(f"refused: {exc}", file=sys.stderr)
                status = EXIT_REFUSED
                continue
            for line in result.summary_lines(lang):
                print(line)
            if args.profile_out:
                Path(args.profile_out).write_text(result.profile.to_toml(), encoding="utf-8")
                print(f"profile written to {args.profile_out}")
    finally:
        if store.derived_stale(con):
            importer.refresh_derived(con)
            # The tables the pages would build on their first open, built now (seconds at 1M).
            spent = warmup.prepare(con)
            if spent:
                print(f"prepared the pages' derived tables in {sum(spent.values()):.1f} s")
    return status


def cmd_imports(args) -> int:
    from dashboard.metrics import store_info

    con = _connect(args)
    frame = store_info.imports(con)
    if frame.empty:
        print("no imports yet")
        return 0
    cols = ["import_id", "file_name", "kind", "profile_name", "rows_read", "rows_accepted", "rows_rejected", "finished_at"]
    print(frame[cols].to_string(index=False))
    return 0


def cmd_undo(args) -> int:
    from dashboard import importer, warmup

    con = _connect(args)
    try:
        importer.undo(con, args.import_id)
    except importer.ImportRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"import {args.import_id} removed")
    warmup.prepare(con)  # the data version moved: the pages' derived tables, built now
    return 0


def cmd_demo(args) -> int:
    import duckdb

    from dashboard import demo, store

    path = resolve_db_path(args.db)
    if path.exists():
        _connect(args).close()  # refuses, with a clear line, while the dashboard holds the file
    building = path.with_name(path.name + ".building")
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = store.connect(building)
    try:
        for result in demo.load_sample(con):
            print(f"{result.file_name}: {result.rows_accepted:,} rows accepted, {result.rows_rejected:,} rejected")
        con.execute("checkpoint")
    except (FileNotFoundError, duckdb.Error) as exc:
        con.close()
        building.unlink(missing_ok=True)
        raise UserError(f"could not build the sample store: {exc}") from None
    con.close()
    # Swap the finished store in at once, so a failed build never leaves a half-built store behind.
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    os.replace(building, path)
    print(f"sample store ready: {path}")
    return 0


def _filters_from_args(args):
    from dashboard.filters import Filters
    from dashboard.report import iso_week_bounds

    start = end = None
    if args.week:
        start, end = iso_week_bounds(args.week)
    if args.date_from:
        start = _date(args.date_from, "--from")
    if args.date_to:
        end = _date(args.date_to, "--to")
    as_of = None
    if args.as_of:
        try:
            as_of = dt.datetime.fromisoformat(args.as_of)
        except ValueError:
            raise UserError(f"--as-of must be a date or date-time like 2024-04-01, got {args.as_of!r}") from None
    return Filters(start=start, end=end, team=args.team, as_of=as_of)


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} must be a date like 2024-04-01, got {text!r}") from None


def cmd_report(args) -> int:
    from dashboard import report, segments

    try:
        filters = _filters_from_args(args)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    targets = None
    targets_path = Path(args.targets) if args.targets else DEFAULT_TARGETS
    if targets_path.exists():
        try:
            targets = segments.load_target_list(targets_path)
        except segments.TargetListError as exc:
            raise UserError(str(exc)) from None
    elif args.targets:
        raise UserError(f"--targets: {args.targets} does not exist")
    con = _connect(args)
    try:
        result = report.build(con, filters=filters, targets=targets, segment_by=args.segment_by)
    except segments.TargetListError as exc:
        raise UserError(str(exc)) from None
    if args.format == "json":
        text = report.to_json(result)
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["key", "rate", "n", "low", "high", "value"])
        writer.writeheader()
        writer.writerows(report.to_csv_rows(result))
        text = buf.getvalue()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_bench(args) -> int:
    from dashboard import bench

    return bench.main(args)


def _max_upload_mb() -> int | None:
    """server.maxUploadSize from the repo's .streamlit/config.toml (streamlit only reads the one
    in the working directory, and ``serve`` may be started from anywhere)."""
    import tomllib

    from dashboard.paths import REPO_ROOT

    try:
        config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    value = config.get("server", {}).get("maxUploadSize")
    return int(value) if isinstance(value, int) and value > 0 else None


def cmd_serve(args) -> int:
    env = dict(os.environ)
    env["ADVISOR_FUNNEL_DB"] = str(resolve_db_path(args.db))
    command = [
        sys.executable, "-m", "streamlit", "run", str(PACKAGE_DIR / "app.py"),
        "--server.address", args.address, "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # A product, not a notebook: no "Deploy" button or developer menu for managers.
        "--client.toolbarMode", "minimal",
    ]
    max_upload = _max_upload_mb()
    if max_upload:
        command += ["--server.maxUploadSize", str(max_upload)]
    return subprocess.call(command, env=env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor-funnel",
        description="Registrant-handling funnel analytics for recruitment agencies.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write realistic sample exports with planted ground truth (truth.json)")
    p.add_argument("--registrations", type=int, required=True, help="number of registrations")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same bytes)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--weeks", type=int, default=None, help="span in weeks (default 78)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("import", help="import CRM export files (CSV, TSV, xlsx) into the store")
    _db_arg(p)
    p.add_argument("files", nargs="+", help="export files")
    p.add_argument("--profile", help="import profile (TOML); default: proposed from the headers")
    p.add_argument("--profile-out", metavar="FILE", help="write the profile that was used")
    p.add_argument("--replace", action="store_true", help="replace earlier imports of the same profile")
    p.add_argument("--lang", choices=["ja", "en"], default="ja", help="language of the summary")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("imports", help="list imports")
    _db_arg(p)
    p.set_defaults(func=cmd_imports)

    p = sub.add_parser("undo", help="remove one import and everything it wrote")
    _db_arg(p)
    p.add_argument("import_id", type=int)
    p.set_defaults(func=cmd_undo)

    p = sub.add_parser("demo", help="(re)build the store from the bundled sample data")
    _db_arg(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("report", help="print every headline figure (JSON or CSV)")
    _db_arg(p)
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("--week", help="ISO week of registration, e.g. 2024-W14")
    p.add_argument("--from", dest="date_from", help="first registration date (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", help="last registration date (YYYY-MM-DD)")
    p.add_argument("--team", help="only this team")
    p.add_argument("--targets", help="target list TOML (default data/targets.toml)")
    p.add_argument("--segment-by", help="segment by one or two attributes instead, e.g. job_category,age_band")
    p.add_argument("--as-of", help="export date (default: latest timestamp in the data)")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("bench", help="benchmark imports, page queries and the report against a pandas baseline")
    p.add_argument("--registrations", type=int, nargs="+", default=[10_000], help="sizes, e.g. 10000 100000 1000000")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", dest="json_out", help="write results as JSON")
    p.add_argument("--cache-dir", default=".bench-cache", help="where generated data is cached")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("serve", help="start the dashboard on the chosen store")
    _db_arg(p)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for users; ADVISOR_FUNNEL_DEBUG=1 shows it
        if os.environ.get("ADVISOR_FUNNEL_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc} (set ADVISOR_FUNNEL_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
