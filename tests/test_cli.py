"""The advisor-funnel command: every subcommand's help, import/imports/undo, refusals, locks, demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import cli, store
from dashboard.metrics import store_info

CORPUS = Path(__file__).resolve().parent / "corpus"
COMMANDS = ["generate", "import", "imports", "undo", "demo", "report", "bench", "serve"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert f"advisor-funnel {command}" in out
    if command not in ("generate", "bench"):
        assert "--db" in out


def test_import_prints_a_summary_and_imports_lists_it_and_undo_removes_it(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    assert cli.main(["import", "--db", str(db), "--lang", "en", str(CORPUS / "candidates_utf8_bom.csv")]) == 0
    summary = capsys.readouterr().out
    assert "candidates_utf8_bom.csv" in summary
    assert cli.main(["imports", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "candidates_utf8_bom.csv" in listing
    con = store.connect(db)
    import_id = int(store_info.imports(con)["import_id"].iloc[0])
    assert store.table_counts(con)["candidates"] > 0
    con.close()
    assert cli.main(["undo", "--db", str(db), str(import_id)]) == 0
    con = store.connect(db)
    assert store.table_counts(con)["candidates"] == 0
    con.close()


def test_profile_out_writes_the_profile_that_was_used(tmp_path, capsys):
    db, profile = tmp_path / "s.duckdb", tmp_path / "p.toml"
    source = CORPUS / "candidates_cp932.csv"
    assert cli.main(["import", "--db", str(db), "--profile-out", str(profile), str(source)]) == 0
    text = profile.read_text(encoding="utf-8")
    assert 'kind = "candidates"' in text and "求職者ID" in text
    # the written profile imports the same file again (here: recognised as already imported)
    assert cli.main(["import", "--db", str(tmp_path / "t.duckdb"), "--profile", str(profile), str(source)]) == 0


def test_a_refused_file_exits_non_zero_with_one_line_and_leaves_the_store_alone(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    code = cli.main(["import", "--db", str(db), str(CORPUS / "binary_renamed.csv")])
    captured = capsys.readouterr()
    assert code == cli.EXIT_REFUSED
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "binary_renamed.csv" in lines[0]
    assert "Traceback" not in captured.err
    con = store.connect(db)
    assert sum(store.table_counts(con).values()) == 0
    con.close()


def test_a_store_held_by_another_program_gets_a_clear_message(tmp_path, capsys):
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        code = cli.main(["report", "--db", str(db)])
        err = capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert code == cli.EXIT_USAGE
    assert "in use by another program" in err and "Traceback" not in err


def test_bad_options_are_one_line_errors(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    assert cli.main(["report", "--db", str(db), "--week", "2024-14"]) == cli.EXIT_USAGE
    assert "2024-W14" in capsys.readouterr().err
    assert cli.main(["report", "--db", str(db), "--targets", str(tmp_path / "nope.toml")]) == cli.EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["undo", "--db", str(db), "999"]) == cli.EXIT_REFUSED
    assert "999" in capsys.readouterr().err


def test_demo_replaces_whatever_the_store_held_with_the_sample(tmp_path, capsys):
    db = tmp_path / "demo.duckdb"
    assert cli.main(["import", "--db", str(db), str(CORPUS / "candidates_utf8_bom.csv")]) == 0
    assert cli.main(["demo", "--db", str(db)]) == 0
    con = store.connect(db)
    counts = store.table_counts(con)
    con.close()
    assert counts["candidates"] > 10_000 and counts["events"] > 0 and counts["staff"] > 0
    assert counts["imports"] == 4  # the sample's four files, nothing of the earlier import
    assert not db.with_name(db.name + ".building").exists()


def test_importing_several_files_rebuilds_derived_tables_once_and_keeps_going_past_a_refusal(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    files = [CORPUS / "staff_utf8_bom.csv", CORPUS / "binary_renamed.csv", CORPUS / "candidates_utf8_bom.csv"]
    assert cli.main(["import", "--db", str(db), *map(str, files)]) == cli.EXIT_REFUSED
    assert "binary_renamed.csv" in capsys.readouterr().err
    con = store.connect(db)
    try:
        assert store.data_version(con) == 1  # one batch, one new version
        assert not store.derived_stale(con)
        candidates = con.execute("select count(*) from candidates").fetchall()[0][0]
        funnel = con.execute("select count(*) from candidate_funnel").fetchall()[0][0]
        assert candidates > 0 and funnel == candidates
        assert store.table_counts(con)["imports"] == 2
    finally:
        con.close()
