"""The README's main job, `claims demo`, run as a newcomer runs it, and every file it writes opened
and checked: the notice, the payment batches, the rejected list, the target reports, the summary."""

from __future__ import annotations

import csv
import re
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import run_claims

ID_PATTERN = re.compile(r"\d{17}[\dX]")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("demo") / "demo-out"
    done = run_claims("demo", "--no-prefect", "--out", str(out), db="sqlite:///unused.db",
                      cwd=out.parent, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "demo finished" in done.stdout
    yield out


def _cells(path: Path) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return [(*row, None, None) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def _full_ids(demo: Path) -> set[str]:
    with (demo / "input" / "claims.csv").open(encoding="utf-8") as handle:
        return {row["person_id"] for row in csv.DictReader(handle) if row["person_id"]}


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_every_claim_ends_where_its_story_says(demo: Path) -> None:
    with sqlite3.connect(demo / "claims.db") as db:
        states = dict(db.execute("select claim_id, state || ':' || reasons from claim").fetchall())
        attempts = dict(db.execute("select claim_id, payment_attempt from claim").fetchall())
        rows = db.execute("select count(*) from import_rejection").fetchone()[0]
    assert len(states) == 32 and rows == 10  # five bad rows, kept from each of the two imports
    assert states["HLD-001"] == "paid:"
    assert states["HLD-004"] == "rejected:duplicate_occupation_level"
    assert states["HLD-010"] == "rejected:objection_upheld"
    assert states["HLD-011"] == "paid:"
    assert states["HLD-012"] == "paid:" and attempts["HLD-012"] == 2
    assert states["HLD-013"] == "recovered:fraud"
    assert states["HLD-014"] == "rejected:outside_policy_period"
    assert states["HLD-016"] == "paid:"
    assert states["HLD-017"] == "recovered:inspection_failed"
    assert states["HLD-023"] == "rejected:annual_limit"
    assert states["HLJ-006"] == "paid:"  # 8 months claimed, 6 paid: 核减 to 最长不超过6个月 (第19项)
    with sqlite3.connect(demo / "claims.db") as db:
        paid = db.execute("select amount, months_paid, decision_trace from claim "
                          "where claim_id = 'HLJ-006'").fetchone()
    assert (paid[0], paid[1]) == (300000, 6)  # amounts are stored in fen and "capped: claimed 8 months" in paid[2]
    assert states["NX-004"] == "rejected:ineligible_group"
    assert states["ZMD-002"] == "rejected:not_combinable"
    assert states["ORD-002"] == "paid:"


def test_the_posting_notice_masks_people_and_adds_up(demo: Path) -> None:
    rows = _cells(demo / "公示名单.xlsx")
    text = " ".join(str(c) for row in rows for c in row if c is not None)
    assert not (_full_ids(demo) & set(ID_PATTERN.findall(text)))
    assert "公示期：2019年9月27日至2019年10月10日（5个工作日）" in text  # across the National Day holiday
    assert "211402********" in text
    body = [r for r in rows if isinstance(r[0], int)]
    totals = [r for r in rows if r[0] == "合计"]
    assert body and sum(_money(r[7]) for r in body) == sum(_money(t[7]) for t in totals)


def test_the_payment_batch_reconciles_to_the_fen(demo: Path) -> None:
    rows = _cells(demo / "拨付清单-2019-10-10.xlsx")
    body = [r for r in rows if isinstance(r[0], int)]
    total = next(r for r in rows if r[0] == "合计")
    # the list shows the night's batch as the bank got it: HLD-012's first attempt, failed by the
    # bank the next day, stays in it with its status (its retry is a new order in a later batch)
    assert sum(_money(r[6]) for r in body) == _money(total[6]) == Decimal("52000.00")
    assert [(r[9], _money(r[6])) for r in body if r[11] == "失败"] == [("HLD-012", Decimal("5000.00"))]
    assert sum(_money(r[6]) for r in body if r[11] != "失败") == Decimal("47000.00")  # HLJ-006 核减
    assert all(str(r[4]).isdigit() and len(str(r[4])) == 19 for r in body)  # full accounts, only here
    assert all(ID_PATTERN.fullmatch(str(r[3])) or len(str(r[3])) == 18 for r in body)  # 收款人证件号码
    by_batch = [r for r in rows if r[0] == "按批次"]
    assert by_batch and sum(_money(r[6]) for r in by_batch) == _money(total[6])  # the batch files' totals
    settled = _cells(demo / "拨付清单-2019-11-01.xlsx")
    assert {r[9] for r in settled if isinstance(r[0], int)} == {"HLD-016", "ORD-002"}


def test_the_rejected_list_speaks_chinese(demo: Path) -> None:
    rows = _cells(demo / "不予补贴名单.xlsx")
    text = " ".join(str(c) for row in rows for c in row if c is not None)
    assert "每人每年享受职业培训补贴不超过3次" in text
    assert "同一职业同一等级" in text
    assert "is not a real calendar date" in text or "不是真实存在的日期" in text
    assert not (_full_ids(demo) & set(ID_PATTERN.findall(text)))


def test_target_reports_carry_the_seed_figures(demo: Path) -> None:
    huludao = _cells(demo / "targets" / "huludao-2019" / "targets.xlsx")
    assert ("市直", 5620) in {(r[0], r[1]) for r in huludao}
    assert ("总计", 10000) in {(r[0], r[1]) for r in huludao}
    heilongjiang = _cells(demo / "targets" / "heilongjiang-2019" / "targets.xlsx")
    assert ("哈尔滨", 100000) in {(r[0], r[1]) for r in heilongjiang}
    for policy in ("huludao-2019", "heilongjiang-2019", "nanxun-2019", "zhumadian-2019", "ordos-2019"):
        png = demo / "targets" / policy / "targets.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (demo / "summary-2019" / "summary.png").stat().st_size > 10_000
    summary = _cells(demo / "summary-2019" / "summary.xlsx")
    assert ("已拨付", "paid", 24) in {r[:3] for r in summary}


def test_summary_net_paid_equals_the_target_reports_on_the_demo(demo: Path) -> None:
    """One query (services/money/totals.py): each policy's net paid in the summary equals its target
    report's money paid (the demo's claims and payments all fall in 2019)."""
    book = openpyxl.load_workbook(demo / "summary-2019" / "summary.xlsx", read_only=True)
    money_rows = [r for r in book["资金"].iter_rows(values_only=True) if r and r[0]]
    header = next(r for r in money_rows if r[0] == "政策")
    net = {str(r[0]).removesuffix(" 合计"): _money(r[header.index("净拨付（元）")])
           for r in money_rows if str(r[0]).endswith(" 合计")}
    assert net, "the summary shows no money"
    for label, amount in net.items():
        policy = label[label.index("（") + 1:label.index("）")]
        targets = openpyxl.load_workbook(demo / "targets" / policy / "targets.xlsx", read_only=True)
        first = targets.worksheets[0]
        total = next(r for r in first.iter_rows(values_only=True) if r and r[0] == "总计")
        assert _money(total[4]) == amount, (policy, total, amount)
