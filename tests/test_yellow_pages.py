"""The イエローゾーン / Yellow zone and 自分の成績 / My segments pages in the real app: the sample
store in both languages, an empty store, and a store with a single advisor."""

from __future__ import annotations

import datetime as dt

import pytest

from app_helpers import errors, run_page
from dashboard import store


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_yellow_zone_page_on_the_sample(sample_store_path, lang):
    at = run_page(sample_store_path, "yellow_zone", lang=lang)
    assert errors(at) == []
    assert at.title[0].value == ("イエローゾーン" if lang == "ja" else "Yellow zone")
    # Heatmap, coverage trend, funnel plot, gap by segment.
    assert len(at.get("plotly_chart")) == 4
    labels = [m.label for m in at.metric]
    assert labels[:2] == (["イエローゾーン・カバー率", "ルーティング・ギャップ"] if lang == "ja" else ["Yellow-zone coverage", "Routing gap (placements)"])
    assert at.metric[1].value.startswith("+")
    assert len(at.dataframe) >= 5  # missed matches, gap drivers, recommendation, segments, advisors
    assert len(at.get("download_button")) == 2  # missed matches and the recommendation


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_my_segments_page_on_the_sample(sample_store_path, lang):
    at = run_page(sample_store_path, "my_segments", lang=lang)
    assert errors(at) == []
    picker = at.selectbox(key="my_segments_advisor")
    assert len(picker.options) == 15
    assert len(at.get("plotly_chart")) == 1
    # Another advisor reruns cleanly.
    picker.set_value(picker.options[-1]).run()
    assert errors(at) == []
    assert [m.label for m in at.metric][:4] == (
        ["満了した面談", "成約", "指数", "区分"] if lang == "ja" else ["Mature meetings", "Placements", "Index", "Tier"]
    )


@pytest.mark.parametrize("page", ["yellow_zone", "my_segments"])
def test_pages_on_an_empty_store(tmp_path, page):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    at = run_page(path, page, lang="en")
    assert errors(at) == []
    assert at.info, "the empty store says what to do"


@pytest.fixture(scope="module")
def one_advisor_store(tmp_path_factory):
    """One advisor, 30 mature meetings in two target segments, two open registrants."""
    from store_factory import make_store

    as_of = dt.datetime(2025, 6, 30, 12)
    held = as_of - dt.timedelta(days=200)
    candidates, events = [], []
    for i in range(30):
        cid = f"c{i:02d}"
        pro = i % 2 == 0
        candidates.append({"candidate_id": cid, "registered_at": held - dt.timedelta(days=2), "age": 32 if pro else 26,
                           "job_category": "ITエンジニア" if pro else "個人営業", "job_changes": 1, "current_income": 450})
        events.append({"candidate_id": cid, "stage": "first_contact", "occurred_at": held - dt.timedelta(days=1), "staff_id": "H1"})
        events.append({"candidate_id": cid, "stage": "meeting_held", "occurred_at": held, "staff_id": "A1"})
        if i % 5 == 0:
            events.append({"candidate_id": cid, "stage": "placed", "occurred_at": held + dt.timedelta(days=60), "staff_id": "A1"})
    for i in range(2):
        cid = f"open{i}"
        candidates.append({"candidate_id": cid, "registered_at": as_of - dt.timedelta(days=1), "age": 32,
                           "job_category": "経理", "job_changes": 1, "current_income": 500})
    events.append({"candidate_id": "c01", "stage": "meeting_held", "occurred_at": as_of - dt.timedelta(days=2), "staff_id": "A1"})
    path = tmp_path_factory.mktemp("one") / "one_advisor.duckdb"
    con = make_store(
        candidates=candidates, events=events, path=path,
        staff=[{"staff_id": "A1", "role": "advisor", "team": "T1"}, {"staff_id": "H1", "role": "handler", "team": "T1"}],
        attributes={"age": "DOUBLE", "job_category": "VARCHAR", "job_changes": "DOUBLE", "current_income": "DOUBLE"},
    )
    con.close()
    return path


def test_yellow_zone_page_with_a_single_advisor(one_advisor_store):
    at = run_page(one_advisor_store, "yellow_zone", lang="en")
    assert errors(at) == []
    assert at.metric[0].value == "100.0%"  # the only advisor holds every high-yield meeting
    assert at.metric[1].value == "+0.0"  # nobody to swap meetings with
    assert at.metric[3].value == "0"  # no missed matches


def test_my_segments_page_with_a_single_advisor(one_advisor_store):
    at = run_page(one_advisor_store, "my_segments", lang="en")
    assert errors(at) == []
    assert at.selectbox(key="my_segments_advisor").options == ["A1"]
    assert at.metric[0].value == "30"
