"""Transitions written in bulk with their chained events; inspections and completions recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from intake.readers import read_rows
from models.tables import CLAIM, COMPLETION, EVENT, INSPECTION
from services.access.actors import SYSTEM, Actor
from services.claim_view import claim_view
from services.importing.rosters import record_completions, record_inspections
from services.nightly.moves import StaleClaims, event_hash_v2, money_text, plan_move, write_moves
from tests.factories import claim_row, insert_claims

ON = date(2020, 6, 4)


def _claims(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {r.claim_id: r for r in conn.execute(select(CLAIM)).all()}


def test_moves_update_claims_and_chain_events(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("A1"), claim_row("A2", person_id="211402199001021231"))
    for trigger in ("pass_inspection", "assess"):
        with engine.begin() as conn:
            rows = conn.execute(select(CLAIM)).all()
            moves = [plan_move(r, trigger, reason=f"{trigger} test") for r in rows]
            assert write_moves(conn, moves, actor=SYSTEM, on=ON, run_id="run-1") == 2
    claims = _claims(engine)
    claims_by_pk = {c.id: c for c in claims.values()}
    assert {c.state for c in claims.values()} == {"assessed"}
    with engine.connect() as conn:
        events = conn.execute(select(EVENT).order_by(EVENT.c.claim_pk, EVENT.c.seq)).all()
    assert len(events) == 4
    by_claim: dict[int, list[object]] = {}
    for e in events:
        by_claim.setdefault(e.claim_pk, []).append(e)
    for chain in by_claim.values():
        first, second = chain  # type: ignore[misc]
        assert (first.from_state, first.to_state) == ("filed", "on_site_inspected")
        assert second.prev_hash == first.hash
        assert (second.version, second.money) == (2, money_text(claims_by_pk[second.claim_pk]._mapping))
        assert second.hash == event_hash_v2(first.hash, second.claim_pk, 2, "on_site_inspected", "assessed",
                                            "assess", "nightly", "system", ON, "run-1", "assess test",
                                            second.money)
    heads = {c.id: c.event_head for c in claims.values()}
    assert all(heads[pk] == chain[-1].hash for pk, chain in by_claim.items())


def test_a_claim_changed_meanwhile_is_not_overwritten(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("B1"))
    with engine.connect() as conn:
        row = conn.execute(select(CLAIM)).one()
    move = plan_move(row, "pass_inspection")
    with engine.begin() as conn:  # someone else moves it first
        conn.execute(update(CLAIM).values(event_seq=1, state="withdrawn"))
    if engine.dialect.supports_sane_multi_rowcount:
        with pytest.raises(StaleClaims), engine.begin() as conn:
            write_moves(conn, [move], actor=SYSTEM, on=ON)
        with engine.connect() as conn:
            assert conn.execute(select(CLAIM.c.state)).scalar_one() == "withdrawn"
            assert conn.execute(select(EVENT)).all() == []


def test_inspections_are_recorded_once_and_checked(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("C1"), claim_row("C2"), claim_row("C3", state="assessed"))
    rows = [
        (2, {"claim_id": "C1", "inspected_on": "2020-06-01", "inspector": "李检查", "result": "pass"}),
        (3, {"claim_id": "C2", "inspected_on": "2020-06-01", "result": "fail", "note": "无人"}),
        (4, {"claim_id": "C3", "inspected_on": "2020-06-01", "result": "pass"}),
        (5, {"claim_id": "NOPE", "inspected_on": "2020-06-01", "result": "pass"}),
        (6, {"claim_id": "C1", "inspected_on": "2020-13-01", "result": "maybe"}),
    ]
    inspector = Actor("赵录入", "inspector")
    report = record_inspections(engine, rows, actor=inspector)
    assert report.recorded == 2
    assert sorted((p.row, p.field) for p in report.problems) == [
        (4, "claim_id"), (5, "claim_id"), (6, "inspected_on"), (6, "result")]
    again = record_inspections(engine, rows[:2], actor=inspector)
    assert (again.recorded, again.unchanged) == (0, 2)
    claims = _claims(engine)
    assert claims["C1"].inspection_result == "pass"
    assert claims["C2"].inspection_result == "fail"
    assert claims["C1"].state == "filed"
    with engine.connect() as conn:
        inspectors = sorted(conn.execute(select(INSPECTION.c.inspector)).scalars())
    assert inspectors == ["李检查", "赵录入"]


def test_completion_sets_facts_and_logs_an_event(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(
            conn,
            claim_row("D1", state="advance_paid", certificate_date=None, level=None,
                      advance_paid=Decimal("1000.00"), advance_requested=True),
            claim_row("D2", state="paid"),
        )
    rows = [
        (2, {"claim_id": "D1", "certificate_no": "Z2020-01", "certificate_date": "2020-06-20",
             "level": "L3", "result": "pass"}),
        (3, {"claim_id": "D2", "certificate_date": "2020-06-20", "result": "pass"}),
        (4, {"claim_id": "D1", "certificate_date": "2020-07-20", "level": "L9", "result": "pass"}),
    ]
    clerk = Actor("王经办", "clerk")
    report = record_completions(engine, rows, actor=clerk, on=date(2020, 6, 30))
    assert report.recorded == 1
    assert sorted((p.row, p.field) for p in report.problems) == [
        (3, "claim_id"), (4, "certificate_date"), (4, "level")]
    view = claim_view(engine, "D1")
    assert view["state"] == "advance_paid"
    assert view["certificate_date"] == "2020-06-20" and view["level"] == "L3"
    assert view["completion_result"] == "pass"
    assert [(h["from"], h["to"], h["trigger"], h["actor"]) for h in view["history"]] == [
        ("advance_paid", "advance_paid", "record_completion", "王经办")]
    assert view["person_id"] == "211402********1234"
    assert record_completions(engine, rows[:1], actor=clerk, on=date(2020, 6, 30)).unchanged == 1
    with engine.connect() as conn:
        assert len(conn.execute(select(COMPLETION)).all()) == 1


def test_an_inspection_without_its_date_takes_the_business_date(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("E1"), claim_row("E2"))
    inspector = Actor("李检查", "inspector")
    rows = [(2, {"claim_id": "E1", "result": "pass"}), (3, {"claim_id": "E2", "result": "pass"})]
    report = record_inspections(engine, rows[:1], actor=inspector)
    assert [(p.row, p.field, p.message) for p in report.problems] == [
        (2, "inspected_on", "missing (or give --on)")]
    report = record_inspections(engine, rows, actor=inspector, on=ON)
    assert report.recorded == 2
    assert {c.inspected_on for c in _claims(engine).values()} == {ON}


def test_rosters_as_offices_write_them(engine: Engine, tmp_path: Path) -> None:
    """Chinese headers, 通过/不通过, Excel's date forms and level labels (issue 20)."""
    with engine.begin() as conn:
        insert_claims(conn, claim_row("F1"), claim_row("F2"), claim_row("F3"),
                      claim_row("G1", state="advance_paid", certificate_date=None, level=None,
                                advance_paid=Decimal("1000.00"), advance_requested=True))
    path = tmp_path / "检查.csv"
    path.write_text("申报编号,检查日期,检查结果,检查人\nF1,2020/6/1,通过,李检查\n"
                    "F2,2020年6月2日,不通过,李检查\nF3,2020-6-3,也许,李检查\n", encoding="gb18030")
    report = record_inspections(engine, read_rows(path), actor=Actor("赵录入", "inspector"))
    assert report.recorded == 2
    assert [(p.row, p.field) for p in report.problems] == [(4, "result")]
    claims = _claims(engine)
    assert (claims["F1"].inspection_result, claims["F1"].inspected_on) == ("pass", date(2020, 6, 1))
    assert (claims["F2"].inspection_result, claims["F2"].inspected_on) == ("fail", date(2020, 6, 2))
    roster = tmp_path / "结业.csv"
    roster.write_text("申报编号,证书编号,发证日期,等级,考核结果\nG1,Z1,2020/6/20,高级工（三级）,合格\n",
                      encoding="utf-8-sig")
    done = record_completions(engine, read_rows(roster), actor=Actor("王经办", "clerk"),
                              on=date(2020, 6, 30))
    assert (done.recorded, done.problems) == (1, [])
    view = claim_view(engine, "G1")
    assert (view["level"], view["certificate_date"]) == ("L3", "2020-06-20")


def test_rosters_screen_their_texts_as_the_import_does(engine: Engine, tmp_path: Path) -> None:
    """A hostile roster: a claim id with a bidi override, a certificate number with a zero-width
    space (another certificate to the same-certificate cap), an inspector longer than its column
    and a formula — each row refused naming its field, the raw id never echoed; the rows beside
    them recorded."""
    with engine.begin() as conn:
        insert_claims(conn, claim_row("H1"), claim_row("H2"), claim_row("H3"), claim_row("H4"),
                      *(claim_row(f"K{i}", state="advance_paid", certificate_date=None, level=None,
                                  certificate_no=None, advance_paid=Decimal("1000.00"), advance_requested=True)
                        for i in (1, 2)))
    path = tmp_path / "检查.csv"
    path.write_text("申报编号,检查日期,检查结果,检查人,备注\n"
                    "H1\u202e,2020-06-01,通过,李检查,\n"
                    f"H2,2020-06-01,通过,{'李' * 101},\n"
                    "H3,2020-06-01,通过,=HYPERLINK(1),\n"
                    "H4,2020-06-01,通过,李检查,\"现场\n核对无误\u200b\"\n", encoding="utf-8")
    report = record_inspections(engine, read_rows(path), actor=Actor("赵录入", "inspector"))
    assert [(p.row, p.claim_id, p.field) for p in report.problems] == [
        (2, None, "claim_id"), (3, "H2", "inspector"), (4, "H3", "inspector"), (5, "H4", "note")]
    assert "202E" in report.problems[0].message and "\u202e" not in report.problems[0].message
    assert report.recorded == 0
    path.write_text("申报编号,检查日期,检查结果,检查人,备注\nH1,2020-06-01,通过,李检查,\"现场\n核对无误\"\n",
                    encoding="utf-8")
    assert record_inspections(engine, read_rows(path), actor=Actor("赵录入", "inspector")).recorded == 1
    assert _claims(engine)["H1"].inspection_result == "pass"

    roster = tmp_path / "结业.csv"
    roster.write_text("申报编号,证书编号,发证日期,考核结果\nK1,Z\u200b1,2020-06-20,合格\nK2,Z2,2020-06-20,合格\n",
                      encoding="utf-8")
    done = record_completions(engine, read_rows(roster), actor=Actor("王经办", "clerk"), on=date(2020, 6, 30))
    assert done.recorded == 1
    assert [(p.row, p.claim_id, p.field) for p in done.problems] == [(2, "K1", "certificate_no")]
    claims = _claims(engine)
    assert (claims["K1"].certificate_no, claims["K2"].certificate_no) == (None, "Z2")
