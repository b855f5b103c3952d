"""The planted ground truth of a simulated world, in the shape of sample-data.md's truth.json.

Figures are computed from the true parameters (cell placement probabilities) and the realised
meetings, under the product's own definitions (metrics.md): the advisor index is segment-adjusted,
the yellow zone is top-third advisors x top-third segments, the best routing keeps every advisor's
meeting count (a transportation problem).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from scipy.optimize import linprog

from dashboard.generator.clock import MINUTES_PER_DAY
from dashboard.generator.params import CHANNEL_FILL, CHANNEL_TILT, CHANNELS, TEAMS, lead_decay
from dashboard.generator.simulate import World, affinity, placement_probability

DECAY_POINTS_MINUTES = (5, 60, 180, 1440, 4320, 10080)
MATURE_PLACEMENT_DAYS = 120


def _r(x: float, digits: int = 6) -> float:
    return round(float(x), digits)


def best_routing(cell_probability: np.ndarray, meetings: np.ndarray) -> float:
    """Expected placements of the best reassignment of the same meetings: each advisor keeps their
    meeting count, each segment its meeting count (rows: advisors, columns: segments)."""
    n_adv, n_seg = cell_probability.shape
    a_eq = np.zeros((n_adv + n_seg, n_adv * n_seg))
    for a in range(n_adv):
        a_eq[a, a * n_seg:(a + 1) * n_seg] = 1
    for s in range(n_seg):
        a_eq[n_adv + s, s::n_seg] = 1
    b_eq = np.concatenate([meetings.sum(axis=1), meetings.sum(axis=0)])
    result = linprog(-cell_probability.ravel(), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if not result.success:
        raise RuntimeError(f"routing optimum not found: {result.message}")
    return float(-result.fun)


def _routing(world: World, held_mask: np.ndarray) -> dict:
    cand = world.candidates
    n_adv, n_seg = world.cell_probability.shape
    meetings = np.zeros((n_adv, n_seg))
    np.add.at(meetings, (cand["advisor"].to_numpy()[held_mask], cand["segment"].to_numpy()[held_mask]), 1)
    actual = float((meetings * world.cell_probability).sum())
    best = best_routing(world.cell_probability, meetings) if meetings.sum() else 0.0
    return {"meetings": int(meetings.sum()), "expected_placements_actual": _r(actual, 3),
            "expected_placements_best": _r(best, 3), "gap": _r(best - actual, 3),
            "gap_share": _r((best - actual) / actual if actual else 0.0, 4)}, meetings


def _top(values: np.ndarray, share: float) -> np.ndarray:
    count = max(1, int(round(len(values) * share)))
    return np.argsort(-values, kind="stable")[:count]


def _fill_rates(world: World) -> dict:
    """True fill probability of each field when optional, by segment and by channel."""
    p = world.params
    channels = list(CHANNELS)
    out = {}
    for f in p.form_fields:
        by_seg, by_channel_num, by_channel_den = {}, dict.fromkeys(channels, 0.0), dict.fromkeys(channels, 0.0)
        for s in p.segments:
            tilt = np.array([CHANNELS[c] * CHANNEL_TILT.get(c, {}).get(s.id, 1.0) for c in channels])
            tilt /= tilt.sum()
            chance = np.minimum(0.98, f.fill_if_optional * np.array([CHANNEL_FILL[c] for c in channels]) * s.fill_factor)
            by_seg[s.name] = _r((tilt * chance).sum(), 4)
            for i, c in enumerate(channels):
                by_channel_num[c] += s.mix * tilt[i] * chance[i]
                by_channel_den[c] += s.mix * tilt[i]
        out[f.header] = {
            "attribute": f.attribute,
            "required_in": list(f.required_in),
            "fill_rate_if_optional": f.fill_if_optional,
            "fill_rate_by_segment": by_seg,
            "fill_rate_by_channel": {c: _r(by_channel_num[c] / by_channel_den[c], 4) for c in channels},
        }
    return out


def _share(hits: np.ndarray, among: np.ndarray) -> float | None:
    """Share of ``among`` rows that are ``hits``; None when there are none (JSON has no NaN)."""
    n = int(among.sum())
    return _r((hits & among).sum() / n, 4) if n else None


def _realised(world: World) -> dict:
    """Sanity figures of the realised data (sample-data.md §6.9), on mature cohorts."""
    cand, pipe = world.candidates, world.pipeline
    t_reg = cand["registered_at"].to_numpy()
    meeting_mature = t_reg <= world.as_of - 30 * MINUTES_PER_DAY
    place_mature = t_reg <= world.as_of - 240 * MINUTES_PER_DAY
    booked = ~np.isnan(cand["booked_at"].to_numpy())
    held = ~np.isnan(cand["held_at"].to_numpy())
    contacted = ~np.isnan(cand["contacted_at"].to_numpy())
    live = held & (cand["held_at"].to_numpy() - cand["contacted_at"].to_numpy() <= 30)

    def reached(stage: str) -> np.ndarray:
        out = np.zeros(len(cand), dtype=bool)
        out[pipe.loc[pipe[stage] >= 0, "candidate"].to_numpy()] = True
        return out

    placed, offered, accepted = reached("joined"), reached("offer"), reached("accepted")
    rec = pipe[pipe["candidate"].isin(np.flatnonzero(place_mature))]
    every_row = np.ones(len(rec), dtype=bool)
    team = cand["team"].to_numpy()
    by_team = {}
    for ti, name in enumerate(TEAMS):
        m = meeting_mature & (team == ti)
        by_team[name] = {
            "registrations": int(m.sum()),
            "contact_rate": _share(contacted, m),
            "meeting_booked_rate": _share(booked, m),
            "meeting_rate": _share(held, m),
            "live_transfer_share": _share(live, m & held),
            "placement_rate_per_registration": _share(placed, place_mature & (team == ti)),
        }
    months = world.params.weeks * 7 / 30.4
    return {
        "note": "meeting figures on registrations at least 30 days before as_of; "
                "placement figures at least 240 days before",
        "meeting_booked_rate": _share(booked, meeting_mature),
        "show_rate": _share(held, meeting_mature & booked),
        "meeting_rate": _share(held, meeting_mature),
        "doc_pass_rate": _share(rec["doc_passed"].to_numpy() >= 0, every_row),
        "offers_per_recommendation": _share(rec["offer"].to_numpy() >= 0, every_row),
        "offer_acceptance_rate": _share(accepted, place_mature & offered),
        "placement_rate_per_registration": _share(placed, place_mature),
        "placements_per_advisor_month": _r(placed.sum() / len(world.advisors) / months, 3),
        "by_team": by_team,
    }


def build(world: World, artefacts: dict, files: dict) -> dict:
    p = world.params
    cand = world.candidates
    adv = world.advisors.reset_index(drop=True)
    seg_names = [s.name for s in p.segments]
    held_mask = ~np.isnan(cand["held_at"].to_numpy())
    routing, meetings = _routing(world, held_mask)
    mature = held_mask & (cand["held_at"].to_numpy() <= world.as_of - MATURE_PLACEMENT_DAYS * MINUTES_PER_DAY)
    routing_mature, _ = _routing(world, mature)

    probs = world.cell_probability
    seg_meetings = meetings.sum(axis=0)
    seg_rate = np.where(seg_meetings > 0, (meetings * probs).sum(axis=0) / np.maximum(seg_meetings, 1),
                        probs.mean(axis=0))
    expected = (meetings * seg_rate).sum(axis=1)
    actual = (meetings * probs).sum(axis=1)
    index = np.where(expected > 0, actual / np.maximum(expected, 1e-12), 0.0)
    top_advisors = _top(index, 1 / 3)
    top_segments = _top(seg_rate, 1 / 3)
    base = placement_probability(p, np.arange(len(p.segments)), np.zeros(len(p.segments)), np.zeros(len(p.segments)))
    aff = affinity(p, adv)
    start = p.start
    as_of_date = start + timedelta(days=7 * p.weeks)
    v2_date = start + timedelta(minutes=world.form_v2_from)

    return {
        "seed": world.seed,
        "registrations": int(len(cand)),
        "start": start.isoformat(),
        "weeks": p.weeks,
        "as_of": f"{as_of_date.isoformat()}T00:00:00",
        "segments": {
            s.name: {"id": s.id, "target": s.target, "base_placement_rate": _r(base[i], 4),
                     "placement_rate_per_meeting": _r(seg_rate[i], 4), "mix": s.mix,
                     "meetings": int(seg_meetings[i])}
            for i, s in enumerate(p.segments)
        },
        "advisors": {
            row["name"]: {"skill": _r(row["skill"], 3), "home_segments": [seg_names[[x.id for x in p.segments].index(h)]
                                                                            for h in row["home"]],
                          "team": row["team"], "level": row["level"], "index": _r(index[a], 4),
                          "meetings": int(meetings[a].sum()),
                          "expected_placement_rate": _r(actual[a] / max(1, meetings[a].sum()), 4)}
            for a, row in adv.iterrows()
        },
        "handlers": {row["name"]: {"team": row["team"], "skill": _r(row["skill"], 3)}
                     for _, row in world.handlers.iterrows()},
        "high_converting_advisors": [adv["name"][a] for a in top_advisors],
        "high_yield_segments": [seg_names[s] for s in top_segments],
        "yellow_zone_cells": [{"advisor": adv["name"][a], "segment": seg_names[s]}
                              for a in top_advisors for s in top_segments],
        "cells": [{"advisor": adv["name"][a], "segment": seg_names[s], "placement_probability": _r(probs[a, s]),
                   "is_home": bool(aff[a, s] > 0), "meetings": int(meetings[a, s])}
                  for a in range(len(adv)) for s in range(len(seg_names))],
        "routing": routing,
        "routing_mature": {**routing_mature, "note": f"meetings held at least {MATURE_PLACEMENT_DAYS} days before as_of"},
        "lead_decay": [{"response_minutes": m, "factor": _r(lead_decay(m / 60), 4)} for m in DECAY_POINTS_MINUTES],
        "lead_decay_time_scale": {s.name: s.decay_time_scale for s in p.segments},
        "operating_models": {team: model for team, (model, _) in TEAMS.items()},
        "form": {
            "versions": {
                "v1": {"from": start.isoformat(), "until": v2_date.isoformat(),
                       "required": [f.header for f in p.form_fields if "v1" in f.required_in]},
                "v2": {"from": v2_date.isoformat(), "until": as_of_date.isoformat(),
                       "required": [f.header for f in p.form_fields if "v2" in f.required_in]},
            },
            "fields": _fill_rates(world),
            "segment_fields": ["転職回数", "現年収(万円)", "年齢", "経験職種"],
        },
        "artefacts": artefacts,
        "files": files,
        "realised": _realised(world),
    }
