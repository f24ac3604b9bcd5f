"""`claims report targets`: the seed's own target tables, with progress, in xlsx and png."""

from __future__ import annotations

import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from exports.target_report import write_targets_report
from tests.conftest import run_claims
from tests.e2e.exports.files import money, sheets
from tests.e2e.exports.helpers import add_claims, add_payments, person, standard_scenario
from tests.factories import claim_row


def _rows_by_label(rows: list[list[object]]) -> dict[object, list[object]]:
    return {r[0]: r for r in rows if r}


def test_huludao_2019_by_district_with_the_seed_figures(engine: Engine, db_url: str,
                                                        tmp_path: Path) -> None:
    standard_scenario(engine)
    done = run_claims("report", "targets", "--policy", "huludao-2019", "--year", "2019",
                      "--out", str(tmp_path), db=db_url)
    assert done.returncode == 0, done.stderr
    book = sheets(tmp_path / "targets.xlsx")
    district = book["葫芦岛市2019年职业技能提升行动任务分配表"]
    assert district[0][0] == "葫芦岛市2019年职业技能提升行动任务分配表"
    header = next(r for r in district if r and r[0] == "地区")
    assert header[1:6] == ["目标（人次）", "已审核补贴（人次）", "已拨付（人次）", "已拨付金额（元）",
                           "完成率"]
    rows = _rows_by_label(district)
    assert [r for r in rows if r in ("市直", "连山区", "龙港区", "南票区", "兴城市", "绥中县",
                                     "建昌县")] == ["市直", "连山区", "龙港区", "南票区", "兴城市",
                                                    "绥中县", "建昌县"]
    assert rows["市直"][1:6] == [5620, 1, 1, 2000, "0.0%"]
    assert rows["连山区"][1:4] == [770, 2, 1]
    assert money(rows["兴城市"][4]) == money("750.25")  # an advance already paid
    assert money(rows["建昌县"][4]) == money("500.00")
    assert rows["总计"][1:4] == [10000, 5, 2]
    assert money(rows["总计"][4]) == money("4750.25")
    assert money(rows["总计"][4]) == sum(money(rows[k][4]) for k in rows
                                         if k in ("市直", "连山区", "龙港区", "南票区", "兴城市",
                                                  "绥中县", "建昌县"))
    assert "000_024512f998c4ead0.txt 附件" in rows["市直"][6]
    span = _rows_by_label(book["2019年至2021年开展各类职业技能培训"])
    assert span["总计"][1:3] == [30000, 5]
    png = tmp_path / "targets.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_heilongjiang_2019_by_city_first_four_digits(engine: Engine, db_url: str,
                                                    tmp_path: Path) -> None:
    standard_scenario(engine)
    done = run_claims("report", "targets", "--policy", "heilongjiang-2019", "--year", "2019",
                      "--out", str(tmp_path), db=db_url)
    assert done.returncode == 0, done.stderr
    (only,) = sheets(tmp_path / "targets.xlsx").values()
    rows = _rows_by_label(only)
    assert rows["市（地）"][0] == "市（地）"
    assert rows["哈尔滨"][1:4] == [100000, 1, 1]  # region 230102 is a district of 哈尔滨
    assert money(rows["哈尔滨"][4]) == money("1800.00")
    assert rows["齐齐哈尔"][1:3] == [42000, 1]
    assert rows["大兴安岭"][1] == 1000
    assert rows["总计"][1:3] == [300000, 2]
    assert "2 of 300000" in done.stdout


def test_ordos_by_department_for_the_year_and_by_stage(engine: Engine, tmp_path: Path) -> None:
    def claim(cid: str, organizer: str | None, year: int, state: str = "paid") -> dict[str, object]:
        pid = person("150602", int(cid[1:]))
        return claim_row(cid, policy="ordos-2019", region="150602", person_id=pid, payee_id=pid,
                         organizer=organizer, state=state, amount=Decimal("800.00"),
                         final_paid=Decimal("800.00") if state == "paid" else Decimal("0"),
                         certificate_date=date(year, 5, 1), filed_on=date(year, 5, 2))

    rows = [claim("O1", "人社局", 2019), claim("O2", "市人社局", 2020),
            claim("O3", "市应急管理局", 2020, "assessed"), claim("O4", "市林草局", 2020),
            claim("O5", None, 2021)]
    pks = add_claims(engine, *rows)
    # money paid is read from the payment rows (services/money/totals.py), as the product writes them
    add_payments(engine, *({"claim_pk": pks[str(r["claim_id"])], "kind": "final", "amount": Decimal("800.00"),
                            "payee_type": "individual", "payee_id": r["payee_id"],
                            "business_date": r["certificate_date"]} for r in rows if r["state"] == "paid"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, png, progress = write_targets_report(engine, policy="ordos-2019", year=2020,
                                                out_dir=tmp_path)
    departments, stages = progress
    assert (departments.first_year, departments.last_year) == (2020, 2020)  # an annual task
    by_label = {p.label: p for p in departments.rows}
    assert (by_label["市人社局"].target, by_label["市人社局"].subsidised) == (8900, 1)
    assert (by_label["市应急管理局"].subsidised, by_label["市应急管理局"].paid_claims) == (1, 0)
    assert departments.unmatched.subsidised == 1  # 市林草局 is not in the seed's table
    assert departments.total.target == 22600 and departments.total.subsidised == 3
    assert [(p.target, p.subsidised) for p in stages.rows] == [(15000, 1), (30000, 3), (20000, 0)]
    assert stages.total.subsidised == 4 and stages.total.money == Decimal("2400.00")
    book = sheets(tmp_path / "targets.xlsx")
    dept_rows = _rows_by_label(book["鄂尔多斯市职业技能提升补贴性培训分部门年度指导任务分解表"])
    assert dept_rows["未能归入本表各行的申报"][2] == 1
    assert dept_rows["总计"][1] == 22600
    assert png.exists()


def test_a_year_outside_every_table_says_which_years_exist(engine: Engine, db_url: str,
                                                          tmp_path: Path) -> None:
    done = run_claims("report", "targets", "--policy", "heilongjiang-2019", "--year", "2021",
                      "--out", str(tmp_path), db=db_url)
    assert done.returncode != 0
    assert "2019–2019" in done.stderr and "--year" in done.stderr
