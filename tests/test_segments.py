"""Target-list segments: the SQL materialisation agrees with the plain-Python reference."""

from __future__ import annotations

import itertools

import pytest

from dashboard import segments
from dashboard.segments import TargetListError, classify, parse_target_list

TARGETS = parse_target_list(
    """
[[segment]]
name = "30代専門職"
target = true
age = [30, 39]
job_category = ["ITエンジニア", "経理"]

[[segment]]
name = "20代経験者"
target = true
age = [24, 29]
channel = "sco_bizreach"

[[segment]]
name = "非ターゲット"
target = false
job_changes = [4, 99]
"""
)


def test_first_matching_rule_wins_and_missing_needed_attribute_is_unknown():
    assert classify(TARGETS, {"age": 31, "job_category": "経理"}) == ("30代専門職", True)
    # age missing while job_category still fits rule 1: cannot be decided -> unknown
    assert classify(TARGETS, {"job_category": "経理"}) == ("unknown", None)
    # a present attribute already fails rule 1, so its missing one does not matter
    assert classify(TARGETS, {"age": 25, "channel": "sco_bizreach"}) == ("20代経験者", True)
    assert classify(TARGETS, {"age": 45, "job_changes": 5}) == ("非ターゲット", False)
    assert classify(TARGETS, {"age": 45, "job_changes": 1}) == ("other", False)
    assert classify(TARGETS, {"age": 45}) == ("unknown", None)


def test_sql_materialisation_matches_reference_on_every_combination(given):
    ages = [None, 25, 31, 45]
    jobs = [None, "経理", "営業", "  "]
    channels = [None, "sco_bizreach", "paid_google"]
    changes = [None, 1, 5]
    rows = []
    for i, (age, job, channel, jc) in enumerate(itertools.product(ages, jobs, channels, changes)):
        rows.append({"candidate_id": f"c{i}", "registered_at": "2024-04-01 10:00", "channel": channel,
                     "age": age, "job_category": job, "job_changes": jc})
    con = given(candidates=rows, attributes={"age": "DOUBLE", "job_category": "VARCHAR", "job_changes": "DOUBLE"})
    key = segments.ensure(con, TARGETS)
    got = dict(
        (cid, (seg, tgt))
        for cid, seg, tgt in con.execute(
            "select candidate_id, segment, is_target from candidate_segments where segmentation = $k", {"k": key}
        ).fetchall()
    )
    expected = {r["candidate_id"]: classify(TARGETS, r) for r in rows}
    assert got == expected
    assert {s for s, _ in got.values()} >= {"30代専門職", "20代経験者", "非ターゲット", "other", "unknown"}


def test_ensure_is_cached_per_data_version_and_rebuilt_after_a_change(given):
    con = given(candidates=[{"candidate_id": "a", "registered_at": "2024-04-01", "age": 31, "job_category": "経理"}],
                attributes={"age": "DOUBLE", "job_category": "VARCHAR"})
    key = segments.ensure(con, TARGETS)
    assert segments.ensure(con, TARGETS) == key
    assert con.execute("select count(*) from candidate_segments").fetchone()[0] == 1
    from dashboard import store

    con.execute("insert into candidates (candidate_id, registered_at, import_id, age) values ('b', '2024-04-02', 0, 45)")
    store.refresh_derived(con)  # as every write does (segments follow candidate_funnel's keys)
    store.bump_version(con)
    segments.ensure(con, TARGETS)
    assert con.execute("select count(*) from candidate_segments where segmentation = $k", {"k": key}).fetchone()[0] == 2


def test_memberships_carry_the_funnel_columns_and_rows_without_them_are_rebuilt(given):
    """Each membership row carries its candidate's funnel columns (the segment queries read them
    without a join); rows written before those columns existed (null) are rebuilt by ensure."""
    con = given(candidates=[{"candidate_id": "a", "registered_at": "2024-04-01 09:00", "age": 31, "job_category": "経理"},
                            {"candidate_id": "b", "registered_at": "2024-04-02 10:00", "age": 45, "job_category": "営業"}],
                events=[{"candidate_id": "a", "stage": "meeting_held", "occurred_at": "2024-04-03 11:00", "staff_id": "A1"}],
                attributes={"age": "DOUBLE", "job_category": "VARCHAR"})
    key = segments.ensure(con, TARGETS)
    columns = ", ".join(segments.FUNNEL_COLUMNS)
    copied = con.execute(f"select candidate_id, {columns} from candidate_segments where segmentation = $k "
                         "order by 1", {"k": key}).fetchall()
    assert copied == con.execute(f"select candidate_id, {columns} from candidate_funnel order by 1").fetchall()
    assert copied[0][segments.FUNNEL_COLUMNS.index("meeting_advisor_id") + 1] == "A1"
    con.execute(f"update candidate_segments set {', '.join(c + ' = null' for c in segments.FUNNEL_COLUMNS)}")
    assert segments.ensure(con, TARGETS) == key
    assert con.execute(f"select candidate_id, {columns} from candidate_segments where segmentation = $k "
                       "order by 1", {"k": key}).fetchall() == copied


def test_segment_by_bands_numbers_and_combines_two_attributes(given):
    rows = [{"candidate_id": f"c{i}", "registered_at": "2024-04-01", "age": 20 + i, "job_category": "経理" if i % 2 else "営業"} for i in range(40)]
    rows.append({"candidate_id": "x", "registered_at": "2024-04-01", "age": None, "job_category": "経理"})
    con = given(candidates=rows, attributes={"age": "DOUBLE", "job_category": "VARCHAR"})
    key = segments.ensure(con, "age_band,job_category")
    assert key == "by:age,job_category"
    segs = dict(con.execute("select candidate_id, segment from candidate_segments where segmentation = $k", {"k": key}).fetchall())
    assert segs["x"] == "unknown"
    assert all(" × " in s for cid, s in segs.items() if cid != "x")
    bands = {s.split(" × ")[0] for cid, s in segs.items() if cid != "x"}
    assert 3 <= len(bands) <= 5
    # every age lands in the band whose bounds contain it
    for cid, s in segs.items():
        if cid == "x":
            continue
        age = 20 + int(cid[1:])
        band = s.split(" × ")[0]
        if band.startswith("<"):
            assert age < float(band[1:])
        elif band.endswith("+"):
            assert age >= float(band[:-1])
        else:
            lo, hi = band.split("–")
            assert float(lo) <= age < float(hi)


def test_segment_by_rejects_unknown_attribute(given):
    con = given(candidates=[{"candidate_id": "a", "registered_at": "2024-04-01"}])
    with pytest.raises(TargetListError, match="no attribute 'salary'"):
        segments.ensure(con, "salary")


@pytest.mark.parametrize(
    "text, message",
    [
        ("x = 1", "unknown top-level key"),
        ("[[segment]]\ntarget = true\nage = [1, 2]", "'name' is missing"),
        ('[[segment]]\nname = "a"\n[[segment]]\nname = "a"\nage = [1,2]', "no conditions"),
        ('[[segment]]\nname = "a"\nage = [40, 30]', "runs backwards"),
        ('[[segment]]\nname = "a"\ntarget = "yes"\nage = [1, 2]', "'target' must be true or false"),
        ('[[segment]]\nname = "other"\nage = [1, 2]', "reserved"),
        ("[[segment", "not valid TOML"),
    ],
)
def test_invalid_target_lists_name_the_offending_key(text, message):
    with pytest.raises(TargetListError, match=message):
        parse_target_list(text, source="targets.toml")


def test_sql_matches_the_reference_on_text_numbers_nan_and_huge_numbers(given):
    # A range over a text column with values that are not numbers ("不明", "30歳": there, but no
    # match), NaN in a number column (missing), and whole numbers beyond the integers' range under
    # an equals rule (their own text; the SQL used to fail casting them).
    targets = parse_target_list(
        '[[segment]]\nname = "A"\ntarget = true\nage = [30, 39]\n'
        '[[segment]]\nname = "B"\ntarget = false\nscore = 30\n'
        '[[segment]]\nname = "C"\ntarget = false\nscore = [25, 35]\n'
    )
    ages = [None, "31", "45", "不明", "30歳", "nan"]
    scores = [None, 30.0, 31.5, float("nan"), 9.3e18, -1e300]
    rows = [{"candidate_id": f"c{i}", "registered_at": "2024-04-01 10:00", "age": age, "score": score}
            for i, (age, score) in enumerate(itertools.product(ages, scores))]
    con = given(candidates=rows, attributes={"age": "VARCHAR", "score": "DOUBLE"})
    key = segments.ensure(con, targets)
    got = dict((cid, (seg, tgt)) for cid, seg, tgt in con.execute(
        "select candidate_id, segment, is_target from candidate_segments where segmentation = $k", {"k": key}).fetchall())
    expected = {r["candidate_id"]: classify(targets, r) for r in rows}
    assert got == expected
    assert {s for s, _ in got.values()} == {"A", "B", "C", "other", "unknown"}
    counts = segments.count_by_segment(con, targets)
    assert counts == {s: sum(1 for v in got.values() if v[0] == s) for s in counts}


def test_memberships_from_an_older_revision_of_the_sql_are_rebuilt(given):
    con = given(candidates=[{"candidate_id": "a", "registered_at": "2024-04-01", "age": 31, "job_category": "経理"}],
                attributes={"age": "DOUBLE", "job_category": "VARCHAR"})
    key = segments.ensure(con, TARGETS)
    other = segments.ensure(con, "job_category")
    con.execute("update candidate_segments set segment = 'stale'")
    assert segments.ensure(con, TARGETS) == key  # current: nothing rebuilt
    assert con.execute("select count(*) from candidate_segments where segment = 'stale'").fetchone()[0] == 2
    con.execute("update store_meta set value = '1' where key = 'segments_sql_revision'")
    segments.ensure(con, TARGETS)
    assert con.execute("select segment from candidate_segments where segmentation = $k", {"k": key}).fetchall() == [("30代専門職",)]
    assert con.execute("select count(*) from candidate_segments where segmentation = $k", {"k": other}).fetchone()[0] == 0
    assert segments.ensure(con, "job_category") == other  # built again when asked for
    assert con.execute("select segment from candidate_segments where segmentation = $k", {"k": other}).fetchall() == [("経理",)]
