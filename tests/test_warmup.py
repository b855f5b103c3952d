"""warmup.prepare: the derived tables a page would build on its first open, built after an import."""

from __future__ import annotations

import pytest

from dashboard import demo, importer, segments, store, warmup
from dashboard.filters import Filters, resolve_as_of
from dashboard.metrics import form, handoff, labour
from dashboard.settings import DEFAULT


@pytest.fixture()
def imported(tmp_path):
    # The sample imported as a batch, without the warm-up load_sample adds.
    con = store.connect(tmp_path / "store.duckdb")
    pairs = demo.sample_paths()
    importer.import_many(con, [p for p, _ in pairs], [prof for _, prof in pairs])
    yield con
    con.close()


def test_after_prepare_the_pages_default_figures_build_nothing(imported, monkeypatch):
    con = imported
    targets = warmup.default_targets()
    spent = warmup.prepare(con)
    assert set(spent) == {"segments", "response_clocks", "labour_facts", "form_value_counts",
                          "form_fill_counts", "form_unknown_counts"}

    def no_build(*args, **kwargs):
        raise AssertionError("a page built a derived table after prepare")

    monkeypatch.setattr(form, "_build_once", no_build)
    # labour/facts and handoff/clocks are the only statements the labour and handoff pages run
    monkeypatch.setattr(labour.sql, "execute", no_build)
    filters = Filters(as_of=resolve_as_of(con))
    key = segments.ensure(con, targets)
    assert form.field_summary(con, filters, DEFAULT, targets) is not None
    assert not form.fill_rates(con, filters, key).empty
    assert form.identifiability(con, filters, targets)["registrations"] > 0
    assert not labour.out_of_target_minutes(con, filters, targets).empty
    assert handoff.prefetch(con, filters, DEFAULT)
    assert handoff.response_time(con, filters, DEFAULT).iloc[0]["contacted"] > 0


def test_without_prepare_the_first_page_open_builds_them(imported, monkeypatch):
    # The same calls on a store nobody prepared do build (so the test above can fail).
    con = imported
    built = []
    real = form._build_once
    monkeypatch.setattr(form, "_build_once", lambda *a, **k: built.append(a[1]) or real(*a, **k))
    filters = Filters(as_of=resolve_as_of(con))
    form.field_summary(con, filters, DEFAULT, warmup.default_targets())
    assert "value" in built
    clocks = []
    real_clocks = handoff.sql.execute
    monkeypatch.setattr(handoff.sql, "execute", lambda cur, name, **kw: clocks.append(name) or real_clocks(cur, name, **kw))
    handoff.prefetch(con, filters, DEFAULT)
    assert clocks == ["handoff/clocks"]


def test_prepare_on_an_empty_store_does_nothing():
    assert warmup.prepare(store.connect(None)) == {}


def test_an_undo_from_the_upload_page_prepares_the_new_data_version(imported):
    from dashboard import upload

    con = imported
    last = con.execute("select max(import_id) from imports").fetchone()[0]
    upload.undo(con, last)
    assert labour._facts_version(con) == labour._wanted_version(con)  # built for the version after the undo
    calendar = handoff.business_hours.calendar_key(DEFAULT)
    assert handoff._clocks_version(con, calendar) == handoff._wanted_clocks_version(con)
