"""AppTest: the Handoff page on the sample store and on an empty store, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_helpers import errors, run_page
from dashboard import store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def populated_store(request, tmp_path_factory) -> Path:
    """The bundled sample store; until data/sample/ ships, the generated export stands in."""
    if (REPO / "data" / "sample" / "求職者一覧.csv").exists():
        return request.getfixturevalue("sample_store_path")
    from dashboard import demo

    out, _ = request.getfixturevalue("generated_export")
    path = tmp_path_factory.mktemp("pages") / "generated.duckdb"
    con = store.connect(path)
    demo.load_sample(con, sample_dir=out)
    con.close()
    return path


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_handoff_on_the_sample_store(populated_store, lang):
    at = run_page(populated_store, "handoff", lang=lang)
    assert errors(at) == []
    assert at.title[0].value == ("連携スピード" if lang == "ja" else "Handoff")
    assert len(at.get("plotly_chart")) == 8
    assert at.metric[0].value not in ("–", "")  # a median response time is shown


def test_handoff_business_basis_and_heatmap_switch_rerun_cleanly(populated_store):
    at = run_page(populated_store, "handoff", lang="ja")
    at.radio(key="handoff_basis").set_value("business").run()
    at.radio(key="handoff_heatmap_value").set_value("response").run()
    assert errors(at) == []


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_handoff_on_an_empty_store(tmp_path, lang):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    at = run_page(path, "handoff", lang=lang)
    assert errors(at) == []
    assert at.info
