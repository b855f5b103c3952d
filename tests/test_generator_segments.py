"""The default target list (data/targets.toml) classifies every generated registrant back into the
segment the generator planted, whenever the fields it needs are filled in; otherwise `unknown`,
never a wrong segment."""

from __future__ import annotations

import pytest

from dashboard import segments
from dashboard.generator import generate, simulate
from dashboard.paths import DEFAULT_TARGETS
from generator_helpers import Export, record

ARGS = {"registrations": 3000, "seed": 3, "weeks": 52}
NEEDED = ("age", "job_category", "current_income", "job_changes")


@pytest.fixture(scope="module")
def classified(tmp_path_factory):
    """(export, targets, rows): per registrant its id, form record, planted and classified segment."""
    folder = tmp_path_factory.mktemp("segments")
    generate(**ARGS, out_dir=folder)
    export = Export(folder)
    world = simulate(**ARGS)
    names = [s.name for s in world.params.segments]
    planted = {f"J{i + 1:07d}": names[s] for i, s in enumerate(world.candidates["segment"])}
    assert set(planted) == set(export.candidates.index)
    targets = segments.load_target_list(DEFAULT_TARGETS)
    rows = []
    for candidate_id, row in export.candidates.iterrows():
        form = record(row)
        got, is_target = segments.classify(targets, form)
        rows.append((candidate_id, form, planted[candidate_id], got, is_target))
    return export, targets, rows


def test_the_target_list_names_the_planted_segments(classified):
    export, targets, _ = classified
    planted = export.truth["segments"]
    assert set(targets.segment_names()) == set(planted)
    for rule in targets.rules:
        assert rule.target == planted[rule.name]["target"], rule.name


def test_every_fully_filled_row_classifies_back_to_its_planted_segment(classified):
    export, _, rows = classified
    full = [r for r in rows if all(r[1][k] is not None for k in NEEDED)]
    assert len(full) > 0.5 * len(rows)
    wrong = [(cid, rec, truth, got) for cid, rec, truth, got, _ in full if got != truth]
    assert not wrong, wrong[:5]
    # Every planted segment occurs, so the check above covered all six rules.
    assert {truth for _, _, truth, _, _ in full} == set(export.truth["segments"])


def test_rows_with_a_needed_field_missing_are_unknown_or_right_never_wrong(classified):
    _, _, rows = classified
    partial = [r for r in rows if any(r[1][k] is None for k in NEEDED)]
    assert partial, "the short form version should leave some segments undecidable"
    outcomes = {got == truth or got == segments.UNKNOWN for _, _, truth, got, _ in partial}
    assert outcomes == {True}
    assert sum(got == segments.UNKNOWN for _, _, _, got, _ in partial) > 0.8 * len(partial)


def test_the_target_flag_follows_the_segment(classified):
    export, _, rows = classified
    planted = export.truth["segments"]
    for _, _, _, got, is_target in rows:
        if got == segments.UNKNOWN:
            assert is_target is None
        else:
            assert is_target == planted[got]["target"], got
