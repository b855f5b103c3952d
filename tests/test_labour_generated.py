"""Division of labour on generated data: the planted operating models (live transfer, callback,
advisors doing everything) are what the division-of-labour figures find."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import paths, segments
from dashboard.filters import Filters, resolve_as_of
from dashboard.metrics import labour
from dashboard.settings import DEFAULT

SPLIT_MODELS = ("live_transfer", "callback")


@pytest.fixture(scope="module")
def world(generated_store):
    con, truth = generated_store
    filters = Filters(as_of=resolve_as_of(con))
    teams = labour.team_summary(con, filters, DEFAULT).set_index("team")
    return con, truth, filters, teams


def test_handler_share_is_high_where_handlers_call_and_zero_where_advisors_do(world):
    _, truth, _, teams = world
    models = truth["operating_models"]
    assert set(models) <= set(teams.index)
    for team, model in models.items():
        share = teams.loc[team, "handler_share"]
        if model in SPLIT_MODELS:
            assert share > 0.9, (team, model, share)
        else:
            assert share < 0.05, (team, model, share)


def test_live_transfer_team_leads_on_live_transfers_and_meetings(world):
    _, truth, _, teams = world
    models = truth["operating_models"]
    live = next(team for team, model in models.items() if model == "live_transfer")
    others = [team for team in models if team != live]
    for team in others:
        assert teams.loc[live, "live_transfer_share"] > teams.loc[team, "live_transfer_share"] + 0.2
        assert teams.loc[live, "meeting_rate"] > teams.loc[team, "meeting_rate"]
    realised = truth["realised"]["by_team"]
    for team in models:
        assert abs(teams.loc[team, "live_transfer_share"] - realised[team]["live_transfer_share"]) < 0.06, team


def test_only_advisors_of_advisor_direct_teams_still_make_first_contacts(world):
    con, truth, filters, _ = world
    models = truth["operating_models"]
    advisors = labour.advisor_summary(con, filters)
    for row in advisors.itertuples():
        if models.get(row.team) == "advisor_direct":
            assert row.first_contacts_per_week > 1, row
        else:
            assert row.first_contacts == 0, row
    by_role = labour.first_contact_by_role(con, filters, DEFAULT)
    overall = by_role[by_role["scope"] == "overall"].set_index("role")
    assert overall.loc["handler", "first_contacts"] + overall.loc["advisor", "first_contacts"] == overall[
        "first_contacts"
    ].sum()


def test_meetings_per_advisor_week_match_a_plain_count(world):
    con, _, filters, _ = world
    weeks = labour.advisor_weeks(con, filters)
    events = con.execute(
        "select e.staff_id, e.occurred_at from events e join staff s using (staff_id) "
        "where e.stage = 'meeting_held' and s.role = 'advisor'"
    ).df()
    per_advisor = events.groupby("staff_id").size()
    got = weeks.groupby("advisor")["meetings_held"].sum()
    pd.testing.assert_series_equal(got.sort_index(), per_advisor.sort_index(), check_names=False, check_dtype=False)


def test_out_of_target_minutes_match_an_independent_join(world):
    con, truth, filters, _ = world
    path = paths.targets_path()
    if not path.exists():
        pytest.skip(f"no default target list at {path}")
    targets = segments.load_target_list(path)
    minutes = labour.out_of_target_minutes(con, filters, targets)
    assert minutes is not None
    key = segments.ensure(con, targets)
    acts = con.execute(
        "select staff_id, candidate_id, minutes from activities where started_at <= $as_of", {"as_of": filters.as_of}
    ).df()
    staff = con.execute("select staff_id, role, team from staff").df()
    segs = con.execute(
        "select candidate_id, is_target from candidate_segments where segmentation = $k", {"k": key}
    ).df()
    ref = acts.merge(staff, on="staff_id").merge(segs, on="candidate_id", how="left")
    ref = ref[ref["role"].isin(["advisor", "both"])]
    out_ref = ref[ref["is_target"].eq(False)].groupby("staff_id")["minutes"].sum()
    got = minutes.groupby("advisor")["minutes_out_of_target"].sum()
    got = got[got > 0]
    pd.testing.assert_series_equal(got.sort_index(), out_ref.sort_index(), check_names=False, check_dtype=False)
    models = truth["operating_models"]
    teams_with_minutes = set(minutes.loc[minutes["minutes_out_of_target"] > 0, "team"])
    assert teams_with_minutes and all(models[t] == "advisor_direct" for t in teams_with_minutes)
