"""The bundled sample: (re)build a store from data/sample/ with its profiles."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dashboard import importer, warmup
from dashboard.paths import SAMPLE_DIR

SAMPLE_FILES = ("担当者一覧.csv", "求職者一覧.csv", "選考プロセス.csv", "架電ログ.csv")


def sample_paths(sample_dir: Path = SAMPLE_DIR) -> list[tuple[Path, Path | None]]:
    """(export, profile) pairs of the sample, in import order."""
    pairs = []
    for name in SAMPLE_FILES:
        path = sample_dir / name
        if not path.exists():
            raise FileNotFoundError(f"the bundled sample is incomplete: {path} is missing")
        profile = sample_dir / "profiles" / (Path(name).stem + ".toml")
        pairs.append((path, profile if profile.exists() else None))
    return pairs


def load_sample(con: duckdb.DuckDBPyConnection, sample_dir: Path = SAMPLE_DIR) -> list:
    """Import every sample file (staff, candidates, events, activities) into ``con``, as one batch
    (``candidate_funnel`` rebuilt once at the end, one new data version), then build the derived
    tables the pages read (``warmup.prepare``)."""
    pairs = sample_paths(sample_dir)
    results = importer.import_many(con, [p for p, _ in pairs], [prof for _, prof in pairs])
    warmup.prepare(con)  # the pages open without building their derived tables first
    return results
