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
    money_lines = {(m.policy, m.payment_kind): (m.payments, m.amount) for m in f.money}
    assert money_lines == {
        ("huludao-2019", "advance"): (1, Decimal("750.25")),
        ("huludao-2019", "final"): (2, Decimal("3500.00")),
        ("huludao-2019", "recovery"): (1, Decimal("500.00")),
        ("heilongjiang-2019", "final"): (1, Decimal("1800.00")),
    }
    assert f.money_by_policy() == {"heilongjiang-2019": Decimal("1800.00"),
                                   "huludao-2019": Decimal("3750.25")}
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
    net = {r[0]: money(r[4]) for r in book["资金"] if r and str(r[0]).endswith("净拨付")}
    assert net["葫芦岛市（huludao-2019） 净拨付"] == money("3750.25")
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
