"""AppTest: what the frame does for display across pages (language switch, first run)."""

from __future__ import annotations

import datetime as dt
import os

from streamlit.testing.v1 import AppTest

from app_helpers import APP, errors, run_page
from dashboard import store


def test_a_language_switch_keeps_every_choice(sample_store_path):
    """The switch writes the kept values back (so the browser shows them in the new language):
    the filters, the segmentation and the page's own choices must come out unchanged."""
    os.environ["ADVISOR_FUNNEL_DB"] = str(sample_store_path)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    team_key = next(s.key for s in at.sidebar.selectbox if s.key and s.key.startswith("team:"))
    team = at.selectbox(key=team_key)
    assert team.value == "" and team.format_func(team.value) == "すべて"
    picked = team.options[1]
    team.set_value(picked).run()
    at.selectbox(key="overview_week").select_index(3).run()
    older = at.selectbox(key="overview_week").value
    assert isinstance(older, dt.date)
    at.radio(key="overview_funnel_mode").set_value("share_of_previous").run()

    at.radio(key="lang").set_value("en").run()
    assert errors(at) == []
    assert at.selectbox(key=team_key).value == picked
    assert at.selectbox(key="overview_week").value == older
    assert at.radio(key="overview_funnel_mode").value == "share_of_previous"
    assert at.multiselect(key="segmentation").value == ["targets"]
    assert at.selectbox(key=team_key).format_func("") == "All"

    at.selectbox(key=team_key).set_value("").run()  # back to all teams
    assert errors(at) == []
    assert at.selectbox(key=team_key).value == ""


def test_overview_kpi_cards_keep_only_the_provisional_note(sample_store_path):
    at = run_page(sample_store_path, "overview", lang="en")
    assert errors(at) == []
    assert any("previous week" in c.value for c in at.caption)
    drill = at.dataframe[0].value
    assert "None" not in set(drill.astype(str).to_numpy().ravel())


def test_first_run_pages_link_to_the_data_page(tmp_path):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    for page in ("overview", "handoff", "yellow_zone", "my_segments", "form", "labour"):
        at = run_page(path, page, lang="en")
        assert errors(at) == []
        assert at.info and "No data yet" in at.info[0].value, page
        links = at.get("page_link")
        assert len(links) == 1 and links[0].proto.label == "Go to the Data page", page
    at = run_page(path, "data", lang="ja")
    assert errors(at) == []
    assert "「データ」ページで" not in at.info[0].value  # the Data page does not send you to itself


def test_filters_that_match_nothing_say_so_on_every_page(sample_store_path):
    """A team with a handler from another team: no registration is left. Every page explains
    instead of failing (the form page raised on the empty field summary's NaN counts)."""
    os.environ["ADVISOR_FUNNEL_DB"] = str(sample_store_path)
    for page in ("overview", "handoff", "yellow_zone", "my_segments", "form", "labour"):
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.run()
        keys = {s.key.split(":")[0]: s.key for s in at.sidebar.selectbox if s.key and ":" in s.key}
        assert "名古屋" in at.selectbox(key=keys["team"]).options and "井上" in at.selectbox(key=keys["handler"]).options
        at.selectbox(key=keys["team"]).set_value("名古屋").run()
        at.selectbox(key=keys["handler"]).set_value("井上").run()
        at.switch_page(f"views/{page}.py").run()
        assert errors(at) == [], page
        assert at.info, page


def test_segmentation_choices_read_as_the_export_names_them(sample_store_path):
    at = run_page(sample_store_path, "overview", lang="ja")
    picker = at.multiselect(key="segmentation")
    assert picker.options[0] == "ターゲットリスト"
    assert "流入経路" in picker.options and "年齢 (age)" in picker.options
    assert "channel" not in picker.options and "age" not in picker.options
    assert picker.proto.placeholder == "ターゲットリストか属性（2つまで）"
