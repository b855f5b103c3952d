"""The generator is deterministic: the same arguments give the same bytes, another seed other
bytes, and the bundled sample is exactly what the generator writes for its recorded arguments."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from dashboard.generator import generate
from dashboard.paths import SAMPLE_DIR

SMALL = {"registrations": 3000, "seed": 5, "weeks": 26}


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    first = generate(**SMALL, out_dir=tmp_path / "a")
    second = generate(**SMALL, out_dir=tmp_path / "b")
    assert first == second
    a, b = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert len(a) == 9  # four exports, four profiles, truth.json
    assert a == b


def test_another_seed_writes_other_bytes(tmp_path):
    generate(**SMALL, out_dir=tmp_path / "a")
    generate(**{**SMALL, "seed": SMALL["seed"] + 1}, out_dir=tmp_path / "b")
    a, b = digests(tmp_path / "a"), digests(tmp_path / "b")
    for name in ("求職者一覧.csv", "選考プロセス.csv", "架電ログ.csv", "担当者一覧.csv", "truth.json"):
        assert a[name] != b[name], name
    # The profiles describe the files' layout, which no seed changes.
    assert {k: v for k, v in a.items() if k.startswith("profiles")} == {
        k: v for k, v in b.items() if k.startswith("profiles")}


def test_the_bundled_sample_is_the_generators_output(tmp_path):
    truth = json.loads((SAMPLE_DIR / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 7 and truth["registrations"] == 20_000 and truth["weeks"] == 78
    generate(truth["registrations"], truth["seed"], tmp_path, weeks=truth["weeks"],
             start=date.fromisoformat(truth["start"]))
    # If this fails after a change to the generator, regenerate data/sample with these arguments.
    assert digests(tmp_path) == digests(SAMPLE_DIR)
