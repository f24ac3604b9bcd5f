"""The event log's hash chains and anchors find a changed, inserted or deleted event."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, MetaData, Table, delete, func, insert, select, update

from models.tables import CLAIM, EVENT
from services.access.actors import SYSTEM
from services.nightly.moves import event_hash, event_hash_v2, plan_move, write_moves
from services.oversight.audit import _digest, _heads_between, verify, write_anchor
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


def _as_before_migration_80(engine: Engine) -> None:
    """The history as a database before migration 80 held it: format 1 events, payments without a
    hash, anchors over heads only, and none of the new columns."""
    from sqlalchemy import text

    from models.tables import ANCHOR, PAYMENT
    from services.money.payments import payment_row

    with engine.begin() as conn:
        claim = conn.execute(select(CLAIM).order_by(CLAIM.c.id).limit(1)).one()
        conn.execute(insert(PAYMENT).values(payment_row(claim, "advance", 1, claim.advance_paid, date(2020, 6, 1),
                                                        status="sent")))
        conn.execute(delete(ANCHOR))
        for c in conn.execute(select(CLAIM)).all():
            prev = ""
            for e in conn.execute(select(EVENT).where(EVENT.c.claim_pk == c.id).order_by(EVENT.c.seq)).all():
                digest = event_hash(prev, e.claim_pk, e.seq, e.from_state, e.to_state, e.trigger, e.actor, e.role,
                                    e.on, e.run_id, e.reason)
                conn.execute(update(EVENT).where(EVENT.c.id == e.id).values(prev_hash=prev, hash=digest))
                prev = digest
            conn.execute(update(CLAIM).where(CLAIM.c.id == c.id).values(event_head=prev))
        for table, column in (("claim_event", "version"), ("claim_event", "money"), ("payment", "hash"),
                              ("audit_anchor", "first_payment_id"), ("audit_anchor", "last_payment_id")):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(text("DELETE FROM schema_version WHERE version = 80"))
    old = Table("audit_anchor", MetaData(), autoload_with=engine)  # as the old code wrote anchors
    with engine.begin() as conn:
        last = conn.execute(select(func.max(EVENT.c.id))).scalar_one()
        digest, heads = _digest("", _heads_between(conn, 0, last))
        conn.execute(insert(old).values(on=date(2020, 6, 3), run_id="old", first_event_id=0, last_event_id=last,
                                        heads=heads, digest=digest, prev_digest="", at=date(2020, 6, 3)))


def test_migration_80_keeps_old_chains_verifying_as_format_1_and_hashes_the_payments(history: Engine) -> None:
    from models.schema import upgrade
    from models.tables import PAYMENT

    _as_before_migration_80(history)
    history.dispose()
    assert [m.version for m in upgrade(history)] == [80]
    report = verify(history)
    assert report.intact, report.problems
    with history.connect() as conn:
        assert set(conn.execute(select(EVENT.c.version)).scalars()) == {1}
        assert conn.execute(select(PAYMENT.c.hash)).scalar_one() is not None
    # the next moves are format 2 and the next anchor covers payments; everything still verifies
    with history.begin() as conn:
        rows = conn.execute(select(CLAIM).where(CLAIM.c.state == "publicly_posted")).all()
        write_moves(conn, [plan_move(r, "close_posting") for r in rows], actor=SYSTEM, on=date(2020, 6, 8))
    assert write_anchor(history, date(2020, 6, 8)) is not None
    report = verify(history)
    assert report.intact, report.problems
    with history.connect() as conn:
        assert set(conn.execute(select(EVENT.c.version)).scalars()) == {1, 2}
    # an old format 1 event edited is still found
    with history.begin() as conn:
        conn.execute(update(EVENT).where(EVENT.c.version == 1, EVENT.c.seq == 1).values(actor="intruder"))
    assert any("#1" in p and "changed" in p for p in verify(history).problems)
