"""`claims rules replay`: an amended pack lists exactly the claims it changes, with totals, and
changes nothing in the database."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from models.tables import CLAIM, EVENT
from services.nightly.runner import run_night
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims

READY = dict(inspection_result="pass", inspected_on=date(2020, 6, 1))
PACK = Path(__file__).resolve().parents[3] / "rules" / "packs" / "huludao-2019.yaml"


def _snapshot(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(CLAIM.c.claim_id, CLAIM.c.state, CLAIM.c.amount,
                                                      CLAIM.c.final_paid).order_by(CLAIM.c.id))] + \
            [tuple(r) for r in conn.execute(select(EVENT.c.id, EVENT.c.hash).order_by(EVENT.c.id))]


def test_replay_lists_the_amended_level_only(engine: Engine, db_url: str, payment_dir: Path,
                                            tmp_path: Path) -> None:
    with engine.begin() as conn:
        insert_claims(
            conn,
            claim_row("L4-PAID", **READY),
            claim_row("L3-SAME", level="L3", person_id="211402199102021232", **READY),
            # refused for a failed inspection: no amendment changes it, so it is not listed
            claim_row("L4-FAILED", person_id="211402199304041234", inspection_result="fail",
                      inspected_on=date(2020, 6, 1)),
        )
    run_night(engine, date(2020, 6, 1))
    run_night(engine, date(2020, 6, 8))  # L4-PAID and L3-SAME paid after the posting
    with engine.begin() as conn:
        insert_claims(conn, claim_row("L4-OPEN", person_id="211402199203031238", filed_on=date(2020, 6, 5), **READY))
    run_night(engine, date(2020, 6, 9))  # L4-OPEN assessed and posted
    before = _snapshot(engine)
    amended = tmp_path / "huludao-2019.yaml"
    text = PACK.read_text(encoding="utf-8")
    assert "value: 2000," in text
    amended.write_text(text.replace("value: 2000,", "value: 1800,", 1), encoding="utf-8")
    out = tmp_path / "replay.csv"
    done = run_claims("rules", "replay", "--pack", str(amended), "--out", str(out),
                      "--chart", str(tmp_path / "replay.png"), db=db_url)
    assert done.returncode == 0, done.stderr
    assert "2 claims would change" in done.stdout and "recovery 200.00" in done.stdout
    with out.open(encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if r]
    listed = {r[0]: r for r in rows if r[0].startswith("L")}
    assert set(listed) == {"L4-PAID", "L4-OPEN"}
    assert listed["L4-PAID"][10] == "追回" and Decimal(listed["L4-PAID"][9]) == Decimal("-200.00")
    assert listed["L4-OPEN"][10] == "待审核调整"
    assert (tmp_path / "replay.png").stat().st_size > 0
    assert rows[-1][0] == "合计" and Decimal(rows[-1][9]) == Decimal("-400.00")
    assert _snapshot(engine) == before
