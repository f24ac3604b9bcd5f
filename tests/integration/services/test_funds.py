"""The fund ledger: a night pays what fits in the budget in filing order and holds the rest with a
reason; two workers drawing on one account at once never overspend it."""

from __future__ import annotations

import csv
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from models.oversight import FUND
from services.money.funds import draw, unlimited_warning
from services.nightly.runner import run_night
from services.settings import Settings
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import claims_by_id, payments

READY = dict(inspection_result="pass", inspected_on=date(2020, 6, 1))
KEY = ("huludao-2019", 2020, "211402")


def _drawn(engine: Engine) -> Decimal:
    with engine.connect() as conn:
        return Decimal(conn.execute(select(FUND.c.drawn)).scalar_one())


def test_a_night_pays_what_fits_in_filing_order_and_holds_the_rest(
        engine: Engine, db_url: str, payment_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text('funds: {huludao-2019: {2020: {"211402": 5000}}}\n', encoding="utf-8")
    monkeypatch.setenv("CLAIMS_SETTINGS", str(settings))
    with engine.begin() as conn:
        insert_claims(conn, *(claim_row(f"G{i}", person_id=f"21140219900101123{i}", filed_on=date(2020, 5, 4 - i),
                                        **READY) for i in (3, 2, 1)))
    run_night(engine, date(2020, 6, 1))
    run_night(engine, date(2020, 6, 8))
    claims = claims_by_id(engine)
    assert [claims[c].state for c in ("G3", "G2", "G1")] == ["paid", "paid", "approved"]  # G3 filed first
    assert "fund budget huludao-2019 2020 211402" in (claims["G1"].set_aside_reason or "")
    assert payments(engine, "G1") == [] and _drawn(engine) == Decimal("4000.00")
    settings.write_text('funds: {huludao-2019: {2020: {"211402": 6000}}}\n', encoding="utf-8")
    run_night(engine, date(2020, 6, 9))
    assert claims_by_id(engine)["G1"].state == "paid" and _drawn(engine) == Decimal("6000.00")
    out = tmp_path / "funds.csv"
    done = run_claims("report", "funds", "--year", "2020", "--out", str(out), "--chart", str(tmp_path / "f.png"),
                      db=db_url, env={"CLAIMS_SETTINGS": str(settings)})
    assert done.returncode == 0, done.stderr
    [line] = [r for r in csv.reader(out.open(encoding="utf-8-sig")) if r and r[0] == "huludao-2019"]
    assert line[2:] == ["211402", "6000.00", "0.00", "6000.00", "0.00", "6000.00", "0.00"]
    assert (tmp_path / "f.png").stat().st_size > 0


def test_two_workers_never_overspend_one_account(engine: Engine) -> None:
    settings = Settings(fund_budgets={KEY: Decimal("3000.00")})
    assert unlimited_warning(settings) is None and unlimited_warning(Settings()) is not None
    accepted: list[int] = []
    held: list[str] = []
    start = threading.Barrier(2)

    def worker(n: int) -> None:
        row: Any = SimpleNamespace(policy=KEY[0], region=KEY[2], filed_on=date(2020, 5, 1), claim_id=f"W{n}")
        start.wait()
        with engine.begin() as conn:
            out = draw(conn, [(row, "final", 1, Decimal("2000.00"))], date(2020, 6, 8), settings,
                       lambda r, why: held.append(why))
            time.sleep(0.5)  # hold the transaction open while the other worker tries
            accepted.extend(n for _ in out)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 1 and len(held) == 1
    assert _drawn(engine) == Decimal("2000.00")
