"""`claims report summary` and `summary_figures`, the figures the nightly run attaches."""

from __future__ import annotations

import json
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from exports.charts import BarGroup, funnel_chart, target_chart
from exports.summary import summary_figures
from tests.conftest import run_claims
from tests.e2e.exports.files import money, sheets
from tests.e2e.exports.helpers import standard_scenario


def test_summary_figures_by_state_funnel_money_and_outstanding(engine: Engine) -> None:
    standard_scenario(engine)
    f = summary_figures(engine, date(2020, 1, 1), date(2020, 12, 31))
    assert f.claims == 11
    assert {s: n for s, n in f.by_state.items() if n} == {
        "paid": 3, "publicly_posted": 1, "objected": 1, "rejected": 1, "assessed": 2,
        "recovery_due": 1, "advance_paid": 1, "filed": 1}
    funnel = {code: n for code, _, n in f.funnel}
    # H004 was inspected before it was rejected (its history says so)
    assert funnel == {"filed": 11, "on_site_inspected": 8, "assessed": 7,
                      "publicly_posted": 5, "approved": 3, "paid": 3}
    by_policy = {p: (t.payments, t.advance, t.final, t.recovered, t.owed)
                 for p, t in f.totals_by_policy().items()}
    assert by_policy == {
        "huludao-2019": (3, Decimal("750.25"), Decimal("3500.00"), Decimal("0.00"), Decimal("500.00")),
        "heilongjiang-2019": (1, Decimal("0.00"), Decimal("1800.00"), Decimal("0.00"), Decimal("0.00")),
    }
    # a recovery demanded is owed, not money back: net paid is paid less what came back (nothing yet)
    assert f.money_by_policy() == {"heilongjiang-2019": Decimal("1800.00"),
                                   "huludao-2019": Decimal("4250.25")}
    assert [(o.policy, o.claims, o.amount) for o in f.advances_outstanding] == [
        ("huludao-2019", 1, Decimal("750.25"))]
    assert [(o.policy, o.claims, o.amount) for o in f.recoveries_outstanding] == [
        ("huludao-2019", 1, Decimal("500.00"))]
    tables = f.as_tables()
    json.dumps(tables)  # plain data, ready for a Prefect table artifact
    assert tables["funnel"][0] == {"stage": "filed", "stage_zh": "受理", "claims": 11}
    empty = summary_figures(engine, date(2018, 1, 1), date(2018, 12, 31))
    assert empty.claims == 0 and all(n == 0 for _, _, n in empty.funnel)


def test_summary_report_writes_xlsx_and_a_funnel_png(engine: Engine, db_url: str,
                                                     tmp_path: Path) -> None:
    standard_scenario(engine)
    done = run_claims("report", "summary", "--from", "2020-01-01", "--to", "2020-12-31",
                      "--out", str(tmp_path), db=db_url)
    assert done.returncode == 0, done.stderr
    assert "11 claims filed" in done.stdout
    book = sheets(tmp_path / "summary.xlsx")
    assert list(book) == ["按状态", "进度漏斗", "资金", "待清算预支", "待追回"]
    states = {r[1]: r[2] for r in book["按状态"] if r and len(r) > 2}
    assert states["paid"] == 3 and states["rejected"] == 1
    total = next(r for r in book["按状态"] if r and r[0] == "合计")
    assert total[2] == 11
    funnel = [r for r in book["进度漏斗"] if len(r) > 2 and r[1] in ("filed", "paid")]
    assert [(r[0], r[2]) for r in funnel] == [("受理", 11), ("已拨付", 3)]
    header = next(r for r in book["资金"] if r and r[0] == "政策")
    column = header.index("净拨付（元）")
    net = {r[0]: money(r[column]) for r in book["资金"] if r and str(r[0]).endswith("合计")}
    assert net["葫芦岛市（huludao-2019） 合计"] == money("4250.25")
    assert (tmp_path / "summary.png").read_bytes()[:4] == b"\x89PNG"
    backwards = run_claims("report", "summary", "--from", "2020-12-31", "--to", "2020-01-01",
                           "--out", str(tmp_path), db=db_url)
    assert backwards.returncode != 0 and "swap" in backwards.stderr


def test_charts_draw_chinese_without_any_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        funnel_chart([("受理", 10), ("现场检查通过", 8), ("已拨付", 3)], tmp_path / "f.png",
                     "申报进度", money=[("葫芦岛市", 3750.25)])
        target_chart([BarGroup("葫芦岛市2019年职业技能提升行动任务分配表", ["市直", "总计"],
                               [5620.0, 10000.0], [1.0, 5.0], [1.0, 2.0])], tmp_path / "t.png")
    assert (tmp_path / "f.png").stat().st_size > 5_000
    assert (tmp_path / "t.png").stat().st_size > 5_000


def test_a_glyph_the_font_lacks_stops_the_drawing(tmp_path: Path) -> None:
    with pytest.raises(UserWarning, match="missing from font"):
        funnel_chart([("受理\U0001F642", 1)], tmp_path / "bad.png", "申报进度")


def test_summary_net_paid_equals_the_target_reports(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """A recovery demanded and partly returned is subtracted once, where the money came back: the
    summary's net paid and the target report's money paid are the same figure (one query,
    services/money/totals.py)."""
    from sqlalchemy import update

    from models.tables import CLAIM
    from tests.e2e.exports.helpers import add_payments

    scenario = standard_scenario(engine)
    h006 = scenario.pks["H006"]
    add_payments(engine, {"claim_pk": h006, "kind": "recovery", "attempt": 0, "amount": Decimal("200.00"),
                          "status": "returned", "payee_type": "enterprise", "payee_id": "x",
                          "business_date": date(2020, 8, 3), "idempotency_key": "H006:returned:1"})
    with engine.begin() as conn:
        conn.execute(update(CLAIM).where(CLAIM.c.id == h006).values(recovered=Decimal("200.00")))
    summary = run_claims("report", "summary", "--from", "2019-01-01", "--to", "2020-12-31",
                         "--out", str(tmp_path / "s"), db=db_url)
    targets = run_claims("report", "targets", "--policy", "huludao-2019", "--year", "2019",
                         "--out", str(tmp_path / "t"), db=db_url)
    assert summary.returncode == 0 and targets.returncode == 0, summary.stderr + targets.stderr
    book = sheets(tmp_path / "s" / "summary.xlsx")
    header = next(r for r in book["资金"] if r and r[0] == "政策")
    total = next(r for r in book["资金"] if r and r[0] == "葫芦岛市（huludao-2019） 合计")
    names = ("净拨付（元）", "已追回（元）", "待追回（元）")
    net, recovered, owed = (money(total[header.index(name)]) for name in names)
    district = sheets(tmp_path / "t" / "targets.xlsx")["葫芦岛市2019年职业技能提升行动任务分配表"]
    target_total = next(r for r in district if r and r[0] == "总计")
    assert net == money(target_total[4]) == money("4550.25")  # 4750.25 paid − 200.00 back
    assert (recovered, owed) == (money("200.00"), money("300.00"))
    owed_sheet = {r[0]: money(r[2]) for r in book["待追回"] if r and str(r[0]).startswith("葫芦岛")}
    assert owed_sheet == {"葫芦岛市（huludao-2019）": money("300.00")}
