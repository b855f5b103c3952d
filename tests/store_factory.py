"""Stores built from hand-written rows ("given these rows, expect this frame").

A module of its own, not conftest.py, so any test can import it: tests/e2e/ has a conftest of its
own, and ``from conftest import ...`` would find whichever was imported first.
"""

from __future__ import annotations

from dashboard import store


def make_store(candidates=(), events=(), staff=(), activities=(), attributes: dict | None = None, path=None):
    """A store holding exactly the given rows.

    candidates: dicts with candidate_id, registered_at and optionally channel, form_version and
    attribute values (declare attribute types in ``attributes``: name -> DuckDB type).
    events: dicts with candidate_id, stage, occurred_at, optional staff_id, scheduled_for.
    staff: dicts with staff_id, role, team (name, started_on optional).
    activities: dicts with candidate_id, staff_id, started_at, kind, minutes.
    """
    con = store.connect(path)
    attributes = dict(attributes or {})
    for name, dtype in attributes.items():
        con.execute(f'alter table candidates add column "{name}" {dtype}')
        con.execute(
            "insert into candidate_columns values ($n, $t, $n, 0)", {"n": name, "t": dtype}
        )
    con.execute("begin transaction")
    for c in candidates:
        cols = ["candidate_id", "registered_at", "channel", "form_version", "import_id", *attributes]
        values = [c["candidate_id"], c["registered_at"], c.get("channel"), c.get("form_version"), 0]
        values += [c.get(a) for a in attributes]
        placeholders = ", ".join(f"${i + 1}" for i in range(len(cols)))
        quoted = ", ".join(f'"{col}"' for col in cols)
        con.execute(f"insert into candidates ({quoted}) values ({placeholders})", values)
    for e in events:
        con.execute(
            "insert into events values ($1, $2, $3, $4, $5, 0)",
            [e["candidate_id"], e["stage"], e["occurred_at"], e.get("staff_id"), e.get("scheduled_for")],
        )
    for s in staff:
        con.execute(
            "insert into staff values ($1, $2, $3, $4, $5, false, 0)",
            [s["staff_id"], s.get("name", s["staff_id"]), s.get("role"), s.get("team"), s.get("started_on")],
        )
    for a in activities:
        con.execute(
            "insert into activities values ($1, $2, $3, $4, $5, 0)",
            [a.get("candidate_id"), a.get("staff_id"), a["started_at"], a.get("kind"), a.get("minutes")],
        )
    store.refresh_derived(con)
    store.bump_version(con)
    con.execute("commit")
    return con
