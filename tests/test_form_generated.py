"""Registration form on generated data: the planted form (fill rates by channel and segment,
missing not at random, a shorter form version) is what the form metrics find."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from dashboard import paths, segments
from dashboard.filters import Filters, resolve_as_of
from dashboard.metrics import form
from dashboard.settings import DEFAULT


@pytest.fixture(scope="module")
def targets():
    path = paths.targets_path()
    if not path.exists():
        pytest.skip(f"no default target list at {path}")
    return segments.load_target_list(path)


@pytest.fixture(scope="module")
def world(generated_store, targets):
    con, truth = generated_store
    key = segments.ensure(con, targets)
    filters = Filters(as_of=resolve_as_of(con))
    fills = form.fill_rates(con, filters, key)
    summary = form.field_summary(con, filters, DEFAULT, targets).set_index("field")
    return con, truth, key, filters, fills, summary


def _always_optional(truth) -> dict[str, dict]:
    """Fields optional in every form version and kept by the importer: their fill is pure behaviour."""
    return {f["attribute"]: f for f in truth["form"]["fields"].values() if not f["required_in"]}


def _se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-4) / max(n, 1))


def test_fill_rates_agree_with_a_plain_count(world):
    con, _, _, _, fills, _ = world
    raw = con.execute("select * from candidates").df()
    overall = fills[fills["scope"] == "overall"].set_index("field")
    for field in overall.index:
        values = raw[field]
        filled = values.notna() & (values.astype(str).str.strip() != "")
        assert overall.loc[field, "filled"] == int(filled.sum()), field
        assert overall.loc[field, "candidates"] == len(raw)


def test_fill_rate_by_channel_recovers_the_planted_rates(world):
    con, truth, _, _, fills, _ = world
    stored = set(form.form_fields(con))
    checked = 0
    for attribute, planted in _always_optional(truth).items():
        if attribute not in stored:
            continue  # e.g. free text, dropped at import
        got = fills[(fills["scope"] == "channel") & (fills["field"] == attribute)].set_index("group_value")
        for channel, rate in planted["fill_rate_by_channel"].items():
            row = got.loc[channel]
            assert abs(row["fill_rate"] - rate) <= 4 * _se(rate, row["candidates"]) + 0.01, (attribute, channel)
            checked += 1
    assert checked >= 30


def test_low_yield_registrants_fill_fewer_fields(world):
    """Missing not at random: S3/S5 fill more (x1.2) and non-targets less (x0.8) on every
    optional field; the classified segments show the same order and roughly the planted rates."""
    con, truth, _, _, fills, _ = world
    stored = set(form.form_fields(con))
    non_target = [name for name, s in truth["segments"].items() if not s["target"]]
    high_fill = [name for name, s in truth["segments"].items() if s["id"] in ("S3", "S5")]
    for attribute, planted in _always_optional(truth).items():
        if attribute not in stored:
            continue
        got = fills[(fills["scope"] == "segment") & (fills["field"] == attribute)].set_index("group_value")
        for low in non_target:
            for high in high_fill:
                assert got.loc[low, "fill_rate"] < got.loc[high, "fill_rate"], (attribute, low, high)
        for segment, rate in planted["fill_rate_by_segment"].items():
            row = got.loc[segment]
            # classified registrants lean to the channels that fill more: a little slack on top
            assert abs(row["fill_rate"] - rate) <= 4 * _se(rate, row["candidates"]) + 0.04, (attribute, segment)


def test_the_shorter_form_version_leaves_its_optional_fields_emptier(world):
    con, truth, _, _, fills, _ = world
    stored = set(form.form_fields(con))
    by_version = fills[fills["scope"] == "form_version"].set_index(["field", "group_value"])["fill_rate"]
    relaxed = [f["attribute"] for f in truth["form"]["fields"].values()
               if f["required_in"] == ["v1"] and f["attribute"] in stored]
    assert relaxed
    for attribute in relaxed:
        assert by_version[(attribute, "v1")] > 0.9, attribute
        assert by_version[(attribute, "v2")] < by_version[(attribute, "v1")] - 0.2, attribute
    for attribute in (f["attribute"] for f in truth["form"]["fields"].values() if f["required_in"] == ["v1", "v2"]):
        assert by_version[(attribute, "v2")] > 0.9, attribute


def test_identifiability_falls_with_the_shorter_form_and_names_its_fields(world, targets):
    con, truth, _, filters, _, _ = world
    versions = truth["form"]["versions"]
    day = dt.timedelta(days=1)
    v1 = form.identifiability(
        con, filters.with_(start=dt.date.fromisoformat(versions["v1"]["from"]),
                           end=dt.date.fromisoformat(versions["v1"]["until"]) - day), targets)
    v2 = form.identifiability(
        con, filters.with_(start=dt.date.fromisoformat(versions["v2"]["from"])), targets)
    assert v1["identified"]["rate"] > 0.9
    assert v2["identified"]["rate"] < v1["identified"]["rate"] - 0.2
    made_optional = {f["attribute"] for f in truth["form"]["fields"].values() if f["required_in"] == ["v1"]}
    top_two = set(v2["missing"]["field"].head(2))
    assert top_two <= made_optional, v2["missing"]
    assert v2["missing"]["share_of_unknown"].sum() >= 0.99  # every unknown has at least one missing field


def test_registrants_who_fill_a_field_meet_more_often(world, targets):
    """Missing not at random, seen from the outcome: low-yield registrants leave optional fields
    empty, so for nearly every field that is optional somewhere the meeting rate is higher when it
    is filled; 転職回数 and 職務経歴書 add an intent bonus (+0.05 on booking) on top."""
    con, truth, _, _, _, summary = world
    stored = set(form.form_fields(con))
    optional = [f["attribute"] for f in truth["form"]["fields"].values()
                if f["required_in"] != ["v1", "v2"] and f["attribute"] in stored]
    higher = [a for a in optional if summary.loc[a, "meeting_rate_filled"] > summary.loc[a, "meeting_rate_empty"]]
    assert len(higher) >= len(optional) - 2, summary.loc[optional, ["meeting_rate_filled", "meeting_rate_empty"]]
    for attribute in ("job_changes", "has_resume"):
        assert attribute in higher, attribute


def test_value_ranks_the_non_target_detector_first(world):
    """転職回数 decides the non-target segment (and signals intent): no field tells more about a
    meeting. Fields the registrant fills the same whatever their segment tell the least."""
    _, _, _, _, _, summary = world
    ranked = summary["value"].sort_values(ascending=False)
    assert ranked.index[0] == "job_changes", ranked
    assert summary.loc["job_changes", "p_meeting"] < 1e-6


def test_every_field_gets_a_recommendation_and_target_fields_are_required(world, targets):
    _, _, _, _, _, summary = world
    assert summary["recommendation"].isin(form.RECOMMENDATIONS).all()
    for attribute in targets.attributes:
        if attribute in summary.index:
            assert summary.loc[attribute, "recommendation"] == "required", attribute
    assert pd.notna(summary["value"]).all()
