"""Two worker processes share each night's steps on one PostgreSQL database over 20,000 claims,
taking person partitions with SELECT … FOR UPDATE SKIP LOCKED (services.leasing). Each claim
moves once per transition and is paid once, and the end state equals the set-based floor's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bench import databases
from bench.floor import Floor
from bench.product import raise_objections, review_objections, unsettled
from bench.schedule import COMPLETION_DAY, IMPORT_DAY, OBJECTION_DAY, REVIEW_DAY, nights
from bench.synthetic import generate
from bench.verify import differences
from models.db import make_engine
from models.schema import upgrade
from services.actors import Actor
from services.audit import verify

CLAIMS = 20_000
PARTITION = 400
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _workers(url: str, day: object, payments: Path) -> list[str]:
    env = {**os.environ, "CLAIMS_PAYMENT_DIR": str(payments), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "services.leasing", "--as-of", str(day), "--run-key", f"night-{day}",
         "--worker", f"w{n}", "--size", str(PARTITION), "--database-url", url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for n in (1, 2)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        outputs.append(out)
    return outputs


def _scalar(engine: object, sql: str) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text(sql)).scalar_one())


def test_two_workers_move_and_pay_each_claim_once(pg_url: str, tmp_path: Path) -> None:
    from intake.readers import read_rows
    from services.filing import import_file
    from services.records import record_completions, record_inspections

    engine = make_engine(pg_url)
    upgrade(engine)
    files = generate(CLAIMS, tmp_path / "input")
    report = import_file(engine, files.claims, actor=Actor("clerk", "clerk"), on=IMPORT_DAY)
    assert report.filed == CLAIMS
    floor_db = databases.clone_imported(databases.BenchDatabase(pg_url, engine, _schema(pg_url)),
                                        pg_url.split("?")[0], tmp_path, "floor2w")
    record_inspections(engine, read_rows(files.inspections), actor=Actor("bench-inspector", "inspector"))

    took = {"w1": 0, "w2": 0}
    for day in nights():
        if day == COMPLETION_DAY:
            record_completions(engine, read_rows(files.completions), actor=Actor("bench-clerk", "clerk"), on=day)
        if day == OBJECTION_DAY:
            raise_objections(engine, files.objections, day)
        if day == REVIEW_DAY:
            review_objections(engine, files.objections, day)
        for out in _workers(pg_url, day, tmp_path / "payments"):
            for line in out.splitlines():
                worker, _, rest = line.partition(" ")
                took[worker] += int(rest.split(": ")[1].split(" partitions")[0])
        if day >= REVIEW_DAY and unsettled(engine) == 0:
            break
    assert unsettled(engine) == 0
    assert took["w1"] > 0 and took["w2"] > 0, f"both workers should have taken partitions: {took}"

    # one event per transition: seq runs 1..event_seq on every claim, no nightly trigger twice
    assert _scalar(engine, "SELECT COUNT(*) FROM claim c WHERE c.event_seq <> "
                           "(SELECT COUNT(DISTINCT e.seq) FROM claim_event e WHERE e.claim_pk = c.id) "
                           "OR c.event_seq <> (SELECT COUNT(*) FROM claim_event e WHERE e.claim_pk = c.id)") == 0
    assert _scalar(engine, "SELECT COUNT(*) FROM (SELECT claim_pk, \"trigger\" FROM claim_event WHERE \"trigger\" IN "
                           "('pay_advance', 'pass_inspection', 'fail_inspection', 'assess', 'refuse', 'post', "
                           "'close_posting', 'pay') GROUP BY claim_pk, \"trigger\" HAVING COUNT(*) > 1) AS twice") == 0
    # paid once: one advance and one final payment at most per claim, totals as the claims say
    assert _scalar(engine, "SELECT COUNT(*) FROM (SELECT claim_pk, kind FROM payment GROUP BY claim_pk, kind "
                           "HAVING COUNT(*) > 1) AS twice") == 0
    assert _scalar(engine, "SELECT COUNT(*) - COUNT(DISTINCT idempotency_key) FROM payment") == 0
    assert _scalar(engine, "SELECT COALESCE(SUM(amount), 0) FROM payment WHERE kind = 'final'") == _scalar(
        engine, "SELECT COALESCE(SUM(amount - advance_paid), 0) FROM claim WHERE state = 'paid'")
    assert _scalar(engine, "SELECT COALESCE(SUM(amount), 0) FROM payment WHERE kind = 'advance'") == _scalar(
        engine, "SELECT COALESCE(SUM(advance_paid), 0) FROM claim")
    assert _scalar(engine, "SELECT COUNT(*) FROM claim WHERE state = 'paid'") > CLAIMS // 2

    # one audit anchor per night that wrote events, by one of the two workers; the chains are intact
    assert _scalar(engine, "SELECT COUNT(*) - COUNT(DISTINCT run_id) FROM audit_anchor") == 0
    assert _scalar(engine, "SELECT COUNT(*) FROM audit_anchor") >= 3
    assert verify(engine).intact

    # and the end state is the one plain set-based SQL reaches from the same claims
    Floor(floor_db.engine, files, tmp_path / "floor-payments").run()
    assert differences(engine, floor_db.engine) == []
    databases.drop(floor_db, pg_url.split("?")[0])
    engine.dispose()


def _schema(url: str) -> str:
    return url.split("search_path%3D")[1].split("&")[0]
