"""Waiving the on-site check of claims a plan did not draw, through the installed `claims`: off by
default (refused, nothing moves); switched on, each claim not drawn passes with an event naming the
plan and the seed clause, and a claim with an advance still waits for its check."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from models.db import make_engine
from models.tables import CLAIM, EVENT
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims


def _claim(n: int, **extra: object) -> dict[str, object]:
    pid = f"21140219900101{n:04d}"
    extra.setdefault("payee_id", pid)
    return claim_row(f"W-{n:02d}", person_id=pid, class_id=f"K{n:02d}", organizer=f"机构{n % 3}",
                     person_key=int(hashlib.sha1(pid.encode()).hexdigest()[:7], 16), **extra)


def test_waiver_is_off_by_default_and_names_plan_and_clause(tmp_path: Path, db_url: str) -> None:
    done = run_claims("init", db=db_url)
    assert done.returncode == 0, done.stderr
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            insert_claims(conn, *(_claim(n) for n in range(1, 11)),
                          _claim(11, advance_requested=True, payee_type="institution", payee_id="91211400MA0000000X"))
        plan = ("inspect", "plan", "--on", "2020-06-02", "--rate", "20%", "--seed", "w1", "--waive",
                "--actor", "李检查", "--out", str(tmp_path / "plan.csv"))
        off = run_claims(*plan, db=db_url)
        assert off.returncode == 2 and "waive_unsampled" in off.stderr + off.stdout
        with engine.connect() as conn:
            assert set(conn.execute(select(CLAIM.c.state)).scalars()) == {"filed"}

        on = run_claims(*plan, db=db_url, env={"CLAIMS_INSPECTION_WAIVE_UNSAMPLED": "true"})
        assert on.returncode == 0, on.stderr + on.stdout
        roster = (tmp_path / "plan.csv").read_text(encoding="utf-8-sig")
        drawn = {f"W-{n:02d}" for n in range(1, 12) if f"W-{n:02d}," in roster}
        with engine.connect() as conn:
            states = dict(conn.execute(select(CLAIM.c.claim_id, CLAIM.c.state)).all())
            reasons = conn.execute(select(EVENT.c.reason, EVENT.c.role).where(
                EVENT.c.trigger == "pass_inspection")).all()
    finally:
        engine.dispose()
    assert drawn and states["W-11"] == "filed"  # the advance waits for its check, drawn or not
    waived = {c for c, s in states.items() if s == "on_site_inspected"}
    assert waived == {f"W-{n:02d}" for n in range(1, 11)} - drawn
    assert f"waived for {len(waived)} claims" in on.stdout
    assert len(reasons) == len(waived) and all(
        "抽查计划 2020-06-02 比例20% 种子w1" in r and "000_024512f998c4ead0.txt 五(十五)" in r and role == "inspector"
        for r, role in reasons)
