"""Shared fixtures: hand-written stores ("given these rows") and generated stores with truth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dashboard import store
from store_factory import make_store

REPO = Path(__file__).resolve().parent.parent
GENERATED_SEED = 11
GENERATED_REGISTRATIONS = 6000


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
