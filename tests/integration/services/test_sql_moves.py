"""Moves the lifecycle table decides alone (post, close postings, a passed inspection) are written in
SQL (services/nightly/sql_moves.py). They must write what the Python path writes, byte for byte —
states, columns, event reasons, money snapshots, hash chains, payments and batch files — and must
never bless money edited by hand into the chain: such a claim is left to the Python path, whose
event keeps the recorded values, and `claims audit verify` names it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update

from bench import databases
from bench.product import run_lifecycle
from bench.schedule import IMPORT_DAY
from bench.synthetic import generate
from bench.verify import differences
from models.tables import CLAIM, EVENT
from services.access.actors import Actor
from services.nightly import apply_inspections, base, close_postings, post
from services.nightly.moves import filing_event_heads, filing_money, parse_money
from services.nightly.runner import run_step
from services.oversight.audit import verify
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import event_heads

CLERK = Actor("clerk", "clerk")
SQL_STEPS = (apply_inspections, close_postings, post)


def _spy(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many claims each trigger moved in SQL."""
    moved: Counter[str] = Counter()
    real = base.move_in_sql

    def counted(conn: Any, chunk: Any, move: Any, result: Any, **kwargs: Any) -> int:
        done = real(conn, chunk, move, result, **kwargs)
        moved[move.trigger] += done
        return done

    monkeypatch.setattr(base, "move_in_sql", counted)
    return moved



def test_moves_in_sql_write_exactly_what_the_python_path_writes(
        db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.importing.filing import import_file

    files = generate(300, tmp_path / "input")
    assert import_file(engine, files.claims, actor=CLERK, on=IMPORT_DAY).filed == 300
    schema = db_url.split("search_path%3D")[1].split("&")[0] if "search_path" in db_url else None
    server = db_url.split("?")[0] if schema else None
    python_only = databases.clone_imported(databases.BenchDatabase(db_url, engine, schema), server, tmp_path, "py")
    moved = _spy(monkeypatch)

    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))
    run_lifecycle(engine, db_url, files, size=100, log=lambda _: None)
    assert moved["pass_inspection"] > 250 and moved["post"] > 200 and moved["close_posting"] > 200

    in_sql = dict(moved)
    with monkeypatch.context() as python:
        for module in SQL_STEPS:
            python.delattr(module, "sql_moves")
        python.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "python-payments"))
        run_lifecycle(python_only.engine, python_only.url, files, size=100, log=lambda _: None)
    assert dict(moved) == in_sql  # the second run took no move in SQL

    assert event_heads(engine) == event_heads(python_only.engine)
    assert differences(engine, python_only.engine, (tmp_path / "payments", tmp_path / "python-payments")) == []
    for side in (engine, python_only.engine):
        assert verify(side).intact


def _filed(engine: Engine, *rows: dict[str, Any]) -> None:
    """Claims as the import files them: each with its first event (format 2) recording its money."""
    on = date(2020, 5, 1)
    with engine.begin() as conn:
        insert_claims(conn, *rows)
        claims = conn.execute(select(CLAIM).order_by(CLAIM.c.id)).all()
        moneys = [filing_money(str(c.months or ""), str(c.days or ""), c.payee_type, c.payee_id,
                               c.payee_name or "", c.bank_account or "") for c in claims]
        heads = filing_event_heads([c.id for c in claims], moneys, CLERK, on)
        conn.execute(insert(EVENT), [
            {"claim_pk": c.id, "seq": 1, "from_state": "", "to_state": "filed", "trigger": "file",
             "actor": CLERK.name, "role": CLERK.role, "on": on, "at": datetime.now(UTC), "run_id": None,
             "reason": None, "prev_hash": "", "hash": head, "version": 2, "money": money}
            for c, head, money in zip(claims, heads, moneys, strict=True)])
        for c, head in zip(claims, heads, strict=True):
            conn.execute(update(CLAIM).where(CLAIM.c.id == c.id).values(event_seq=1, event_head=head))


def test_a_bank_account_edited_by_hand_is_not_moved_in_sql_and_the_audit_names_it(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    passed = {"inspection_result": "pass", "inspected_on": date(2020, 5, 20)}
    _filed(engine, *(claim_row(f"K{n}", person_id=f"21140219900101{n:04d}", payee_id=f"21140219900101{n:04d}",
                               **passed) for n in range(1, 4)))
    assert verify(engine).intact
    with engine.begin() as conn:  # Excel garbled one account, and somebody pasted it into the database
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == "K2").values(bank_account="6.217E+18"))
    moved = _spy(monkeypatch)

    result = run_step(engine, "apply_inspections", date(2020, 5, 21))

    assert moved["pass_inspection"] == 2  # K1 and K3; K2 went the Python way
    assert result.claims_seen == 3 and sum(result.moved.values()) == 3
    with engine.connect() as conn:
        states = dict(conn.execute(select(CLAIM.c.claim_id, CLAIM.c.state)).all())
        last = conn.execute(select(EVENT.c.money, EVENT.c.reason).join(CLAIM, CLAIM.c.id == EVENT.c.claim_pk)
                            .where(CLAIM.c.claim_id == "K2", EVENT.c.seq == 2)).one()
    assert states == {"K1": "on_site_inspected", "K2": "on_site_inspected", "K3": "on_site_inspected"}
    assert parse_money(last.money)["bank_account"] == "6217000000000000001"  # the recorded account, not the edit
    assert last.reason == "on-site inspection passed on 2020-05-20"
    problems = verify(engine).problems
    assert problems and all("K2" in problem for problem in problems)
