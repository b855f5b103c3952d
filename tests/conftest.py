"""Shared fixtures: hand-written stores ("given these rows") and generated stores with truth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dashboard import store

REPO = Path(__file__).resolve().parent.parent
GENERATED_SEED = 11
GENERATED_REGISTRATIONS = 6000


def make_store(candidates=(), events=(), staff=(), activities=(), attributes: dict | None = None, path=None):
    """A store holding exactly the given rows.

    candidates: dicts with candidate_id, registered_at and optionally channel, form_version and
    attribute values (declare attribute types in ``attributes``: name -> DuckDB type).
    events: dicts with candidate_id, stage, occurred_at, optional staff_id, scheduled_for.
    staff: dicts with staff_id, role, team (name, started_on optional).
    activities: dicts with candidate_id, staff_id, started_at, kind, minutes.
    """
    con = store.connect(path)
    attributes = dict(attributes or {})
    for name, dtype in attributes.items():
        con.execute(f'alter table candidates add column "{name}" {dtype}')
        con.execute(
            "insert into candidate_columns values ($n, $t, $n, 0)", {"n": name, "t": dtype}
        )
    con.execute("begin transaction")
    for c in candidates:
        cols = ["candidate_id", "registered_at", "channel", "form_version", "import_id", *attributes]
        values = [c["candidate_id"], c["registered_at"], c.get("channel"), c.get("form_version"), 0]
        values += [c.get(a) for a in attributes]
        placeholders = ", ".join(f"${i + 1}" for i in range(len(cols)))
        quoted = ", ".join(f'"{col}"' for col in cols)
        con.execute(f"insert into candidates ({quoted}) values ({placeholders})", values)
    for e in events:
        con.execute(
            "insert into events values ($1, $2, $3, $4, $5, 0)",
            [e["candidate_id"], e["stage"], e["occurred_at"], e.get("staff_id"), e.get("scheduled_for")],
        )
    for s in staff:
        con.execute(
            "insert into staff values ($1, $2, $3, $4, $5, false, 0)",
            [s["staff_id"], s.get("name", s["staff_id"]), s.get("role"), s.get("team"), s.get("started_on")],
        )
    for a in activities:
        con.execute(
            "insert into activities values ($1, $2, $3, $4, $5, 0)",
            [a.get("candidate_id"), a.get("staff_id"), a["started_at"], a.get("kind"), a.get("minutes")],
        )
    store.refresh_derived(con)
    store.bump_version(con)
    con.execute("commit")
    return con


@pytest.fixture
def given():
    """``given(candidates=[...], events=[...], ...)`` -> an in-memory store with those rows."""
    return make_store


@pytest.fixture(scope="session")
def generated_export(tmp_path_factory) -> tuple[Path, dict]:
    """A generated export (seeded) and its truth.json, shared by the whole test session."""
    from dashboard import generator

    out = tmp_path_factory.mktemp("generated")
    truth = generator.generate(registrations=GENERATED_REGISTRATIONS, seed=GENERATED_SEED, out_dir=out, weeks=52)
    return out, truth


@pytest.fixture(scope="session")
def generated_store(generated_export, tmp_path_factory):
    """A DuckDB store with the generated export imported (read it, never write to it)."""
    from dashboard import demo

    out, truth = generated_export
    path = tmp_path_factory.mktemp("store") / "generated.duckdb"
    con = store.connect(path)
    demo.load_sample(con, sample_dir=out)
    return con, truth


@pytest.fixture(scope="session")
def sample_store_path(tmp_path_factory) -> Path:
    """A store built from the bundled sample in data/sample/ (the demo), as a file path."""
    from dashboard import demo

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    con = store.connect(path)
    demo.load_sample(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def sample_truth() -> dict:
    return json.loads((REPO / "data" / "sample" / "truth.json").read_text(encoding="utf-8"))
