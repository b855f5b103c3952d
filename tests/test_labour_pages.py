"""The 分業体制 / Division of labour page in the real app: sample store, empty store, and a store
imported without its activity log (a note instead of the minutes section, never an error)."""

from __future__ import annotations

import pytest

from app_helpers import errors, run_page
from dashboard import demo, importer, store
from dashboard.i18n import t


@pytest.fixture(scope="module")
def store_without_activity_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("no_activities") / "no_activities.duckdb"
    con = store.connect(path)
    for export, profile in demo.sample_paths():
        if export.name != "架電ログ.csv":
            importer.import_file(con, export, profile=profile)
    assert store.table_counts(con)["activities"] == 0
    con.close()
    return path


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_labour_page_on_the_sample(sample_store_path, lang):
    at = run_page(sample_store_path, "labour", lang=lang)
    assert errors(at) == []
    assert at.title[0].value == ("分業体制" if lang == "ja" else "Division of labour")
    assert len(at.get("plotly_chart")) >= 4
    assert t("labour.no_activity_log", lang=lang) not in [i.value for i in at.info]
    team_table = at.dataframe[0].value
    assert len(team_table) >= 3  # one row per team


def test_labour_page_without_an_activity_log_explains_instead_of_failing(store_without_activity_log):
    at = run_page(store_without_activity_log, "labour")
    assert errors(at) == []
    assert t("labour.no_activity_log", lang="ja") in [i.value for i in at.info]
    assert len(at.get("plotly_chart")) >= 3  # the rest of the page is still there


def test_labour_page_on_an_empty_store(tmp_path):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    at = run_page(path, "labour")
    assert errors(at) == []
    assert at.info and "まだデータがありません" in at.info[0].value
