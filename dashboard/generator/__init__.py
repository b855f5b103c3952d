"""The seeded generator of realistic CRM exports with planted ground truth (sample-data.md).

``generate`` writes the four exports of export-contract.md, an import profile for each and
``truth.json`` (what was planted: advisor skill, segment yield, yellow zone, routing gap, lead
decay, operating models, form fill rates, export artefacts). ``simulate`` returns the same world in
memory with its latent variables, for tests that need more than the truth file says.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from dashboard.generator import export, truth
from dashboard.generator.params import Params
from dashboard.generator.simulate import World, simulate as _simulate

__all__ = ["generate", "simulate", "Params", "World"]


def _params(weeks: int | None, start: date | None, params: Params | None) -> Params:
    base = params or Params()
    return replace(base, weeks=weeks or base.weeks, start=start or base.start)


def simulate(registrations: int, seed: int, weeks: int | None = None, start: date | None = None,
             params: Params | None = None) -> World:
    """The simulated world behind ``generate`` (same arguments, same world), kept in memory."""
    return _simulate(registrations, seed, _params(weeks, start, params))


def generate(registrations: int, seed: int, out_dir: Path, weeks: int | None = None,
             start: date | None = None, params: Params | None = None) -> dict:
    """Write the exports, their profiles and truth.json into ``out_dir``; return the truth dict.

    ``weeks`` is the span (default 78) and registrations arrive at ``registrations / weeks`` per
    week on average (seasonality on top); ``start`` defaults to a fixed Monday, and as_of is the end
    of the span. The same arguments give the same bytes.
    """
    world = simulate(registrations, seed, weeks, start, params)
    out_dir = Path(out_dir)
    artefacts, files = export.write(world, out_dir, world.export_rng)
    result = truth.build(world, artefacts, files)
    (out_dir / "truth.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return result

