"""The event log's hash chains and anchors find a changed, inserted or deleted event."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from models.tables import CLAIM, EVENT
from services.access.actors import SYSTEM
from services.nightly.moves import event_hash, event_hash_v2, plan_move, write_moves
from services.oversight.audit import verify, write_anchor
from tests.factories import claim_row, insert_claims


@pytest.fixture
def history(engine: Engine) -> Engine:
    with engine.begin() as conn:
        insert_claims(conn, *(claim_row(f"H{i}") for i in range(5)))
    for day, trigger in ((date(2020, 6, 1), "pass_inspection"), (date(2020, 6, 2), "assess"),
                         (date(2020, 6, 3), "post")):
        with engine.begin() as conn:
            rows = conn.execute(select(CLAIM)).all()
            write_moves(conn, [plan_move(r, trigger) for r in rows], actor=SYSTEM, on=day, run_id=str(day))
        assert write_anchor(engine, day, str(day)) is not None
    assert write_anchor(engine, date(2020, 6, 4)) is None  # nothing new, no anchor
    return engine


def _problems(engine: Engine) -> list[str]:
    report = verify(engine)
    assert report.claims == 5
    return report.problems


def test_an_untouched_log_is_intact(history: Engine) -> None:
    report = verify(history)
    assert report.intact, report.problems
    assert (report.events, report.anchors) == (15, 3)


def test_a_changed_event_is_named(history: Engine) -> None:
    with history.begin() as conn:
        target = conn.execute(select(EVENT.c.id).where(EVENT.c.seq == 2).limit(1)).scalar_one()
        conn.execute(update(EVENT).where(EVENT.c.id == target).values(actor="intruder"))
    problems = _problems(history)
    assert any("#2" in p and "changed" in p for p in problems)
    assert any("anchor" not in p for p in problems)


def test_a_deleted_event_is_named(history: Engine) -> None:
    with history.begin() as conn:
        target = conn.execute(select(EVENT.c.id).where(EVENT.c.seq == 3).limit(1)).scalar_one()
        conn.execute(delete(EVENT).where(EVENT.c.id == target))
    problems = _problems(history)
    assert any("deleted" in p for p in problems)
    assert any(p.startswith("anchor 3") for p in problems)


def test_a_rewritten_chain_still_breaks_its_anchor(history: Engine) -> None:
    """Someone recomputes a claim's whole chain after changing an event: the anchor catches it."""
    with history.begin() as conn:
        claim = conn.execute(select(CLAIM).limit(1)).one()
        events = conn.execute(select(EVENT).where(EVENT.c.claim_pk == claim.id).order_by(EVENT.c.seq)).all()
        prev = ""
        for e in events:
            actor = "forger" if e.seq == 1 else e.actor
            fields = (prev, e.claim_pk, e.seq, e.from_state, e.to_state, e.trigger, actor, e.role, e.on,
                      e.run_id, e.reason)
            digest = event_hash_v2(*fields, e.money) if e.version == 2 else event_hash(*fields)
            conn.execute(update(EVENT).where(EVENT.c.id == e.id).values(actor=actor, prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(update(CLAIM).where(CLAIM.c.id == claim.id).values(event_head=prev))
    problems = _problems(history)
    assert problems and all(p.startswith("anchor") for p in problems)


def test_an_inserted_event_is_named(history: Engine) -> None:
    with history.begin() as conn:
        claim = conn.execute(select(CLAIM).limit(1)).one()
        conn.execute(insert(EVENT).values(
            claim_pk=claim.id, seq=4, from_state="publicly_posted", to_state="paid", trigger="pay",
            actor="x", role="admin", on=date(2020, 6, 5), prev_hash="", hash="f" * 64))
    problems = _problems(history)
    assert any(f"claim {claim.claim_id}" in p for p in problems)


def test_a_state_changed_without_an_event_is_named(history: Engine) -> None:
    with history.begin() as conn:
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == "H1").values(state="paid"))
    assert any("H1" in p and "differs" in p for p in _problems(history))
