"""The 登録フォーム / Registration form page in the real app: sample store and empty store."""

from __future__ import annotations

import pytest

from app_helpers import errors, run_page
from dashboard import store


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_form_page_on_the_sample(sample_store_path, lang):
    at = run_page(sample_store_path, "form", lang=lang)
    assert errors(at) == []
    assert at.title[0].value == ("登録フォーム" if lang == "ja" else "Registration form")
    charts = at.get("plotly_chart")
    assert len(charts) >= 2  # the fill-rate x value scatter and the fill-rate breakdown
    tables = [d.value for d in at.dataframe]
    field_table = max(tables, key=len)
    assert len(field_table) >= 5
    recommendation = "提案" if lang == "ja" else "Recommendation"
    assert recommendation in field_table.columns
    allowed = {"必須", "任意", "削除"} if lang == "ja" else {"Required", "Optional", "Drop"}
    assert set(field_table[recommendation]) <= allowed


def test_form_page_on_an_empty_store(tmp_path):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    at = run_page(path, "form")
    assert errors(at) == []
    assert at.info and "まだデータがありません" in at.info[0].value
