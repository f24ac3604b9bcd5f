"""`claims nightly --as-of D` end to end: the installed command, real steps and rule packs, on a
database filled by `claims import`/`claims inspect`, against the session's Prefect server."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import Engine, func, select

from intake.identity import make_credit_code, make_person_id
from models.db import make_engine
from models.tables import CLAIM, EVENT, PAYMENT
from services.nightly import lease
from tests.conftest import run_claims
from tests.release import cli_release
from tests.unit.intake.claimrows import write_csv

from .helpers import artifacts, flow_run_name

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

WIDE = {"COLUMNS": "200"}

WORKER = make_person_id("211402", date(1990, 1, 1), 1)
TRAINEE = make_person_id("211402", date(1991, 2, 3), 2)
ZHU = make_person_id("411702", date(1992, 3, 4), 3)
SCHOOL = make_credit_code(7, "211402")
BASE = {"filed_on": "2020-05-10", "person_name": "王小明", "groups": "enterprise_employee;unemployment_insured",
        "payee_name": "王小明", "bank_account": "6217000000000000019"}  # no order without a payee and account
ROWS = [
    {**BASE, "claim_id": "G1", "policy": "huludao-2019", "kind": "skill_upgrade",
     "person_id": WORKER, "region": "211402", "payee_type": "individual", "payee_id": WORKER,
     "occupation": "电工", "level": "L4", "certificate_date": "2020-04-20"},
    {**BASE, "claim_id": "P1", "policy": "huludao-2019", "kind": "project_training",
     "person_id": TRAINEE, "person_name": "李四", "region": "211402",
     "payee_type": "institution", "payee_id": SCHOOL, "payee_name": "葫芦岛职业培训学校", "advance_requested": "true",
     "class_id": "K-7", "catalog_standard": "1500", "groups": "rural_transfer",
     "occupation": "电工", "level": "L4"},
    {**BASE, "claim_id": "Z1", "policy": "zhumadian-2019", "kind": "skill_upgrade",
     "person_id": ZHU, "region": "411702", "payee_type": "individual", "payee_id": ZHU,
     "occupation": "电工", "level": "L4", "certificate_date": "2020-04-20"},
]


def _ok(*args: str, db: str, env: dict[str, str]) -> str:
    done = run_claims(*args, db=db, env={**WIDE, **env})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(EVENT)).scalar_one(),
                conn.execute(select(func.count()).select_from(PAYMENT)).scalar_one())


def _state(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with engine.connect() as conn:
        return {r.claim_id: (r.state, r.set_aside_step)
                for r in conn.execute(select(CLAIM.c.claim_id, CLAIM.c.state, CLAIM.c.set_aside_step))}


def _run_id(output: str) -> UUID:
    """The flow run the command reports: `flow run nightly-DATE: Completed (<id>)`."""
    found = re.search(r"flow run nightly-[\d-]+: Completed \(([0-9a-f-]{36})\)", output)
    assert found, output
    return UUID(found.group(1))


def test_nights_from_the_command_line(db_url: str, prefect_api: str, tmp_path: Path) -> None:
    env = {"PREFECT_API_URL": prefect_api, "CLAIMS_PAYMENT_DIR": str(tmp_path / "pay"),
           "CLAIMS_LOCAL_OVERRIDES": ""}
    _ok("init", db=db_url, env=env)
    _ok("import", str(write_csv(tmp_path / "claims.csv", ROWS)), "--on", "2020-05-10",
        db=db_url, env=env)
    (tmp_path / "inspections.csv").write_text(
        "claim_id,inspected_on,inspector,result,note\nG1,2020-06-01,李检查,pass,\n"
        "Z1,2020-06-01,李检查,pass,\n", encoding="utf-8")
    _ok("inspect", str(tmp_path / "inspections.csv"), db=db_url, env=env)
    engine = make_engine(db_url)
    try:
        first = _ok("nightly", "--as-of", "2020-06-01", db=db_url, env=env)
        assert "nightly-2020-06-01" in first and "Completed" in first
        assert "1 claim set aside: see `claims failed`" in first  # count grammar (issue 20)
        cli_release(db_url, "2020-06-01", env=env)  # approval is on by default
        assert _state(engine) == {"G1": ("publicly_posted", None), "P1": ("advance_paid", None),
                                  "Z1": ("on_site_inspected", "assess")}
        before = _counts(engine)

        again = _ok("nightly", "--as-of", "2020-06-01", db=db_url, env=env)
        assert _counts(engine) == before, "the same night again changes nothing"
        assert "publicly_posted" not in again

        run, rerun = _run_id(first), _run_id(again)
        assert flow_run_name(run) == flow_run_name(rerun) == "nightly-2020-06-01"
        shown = artifacts(run)
        postings = shown["nightly-postings-20200601"].data
        assert "| huludao-2019 | G1 | 王*明 | 211402********" in postings
        summary = json.loads(shown["nightly-summary-20200601"].data)
        assert {"step": "pay_advances", "policy": "huludao-2019", "money (yuan)": "advance 750.00"
                }.items() <= next(r for r in summary if r["step"] == "pay_advances").items()
        assert any(r["claim_id"] == "Z1" for r in json.loads(shown["nightly-set-aside-20200601"].data))
        page = shown["nightly-20200601"].data
        assert "| `payments-2020-06-01-B00000001.csv` | 1 | 750.00 | `" in page, page
        assert "(/artifacts/key/nightly-set-aside-20200601)" in page
        assert "(/artifacts/key/nightly-postings-20200601)" in page
        assert re.search(r"\| `payments-2020-06-01-B00000001.csv` \| 1 \| 750.00 \| `[0-9a-f]{64}` \|", page), page
        everything = json.dumps([a.data for a in [*shown.values(), *artifacts(rerun).values()]],
                                ensure_ascii=False)
        assert not any(pid in everything for pid in (WORKER, TRAINEE, ZHU))

        monday = _ok("nightly", "--as-of", "2020-06-08", db=db_url, env=env)
        cli_release(db_url, "2020-06-08", env=env)
        assert _state(engine)["G1"] == ("paid", None)
        week = json.loads(artifacts(_run_id(monday))["nightly-week-2020-w24"].data)
        assert week == [{"night": "2020-06-08", "advance (yuan)": 0.0, "final (yuan)": 2000.0, "paid (yuan)": 2000.0,
                         "recovery demanded (yuan)": 0.0, "recovered (yuan)": 0.0, "net (yuan)": 2000.0}], week
        with engine.connect() as conn:
            paid = conn.execute(select(PAYMENT.c.kind, PAYMENT.c.amount)
                                .order_by(PAYMENT.c.id)).all()
        assert [(k, str(a)) for k, a in paid] == [("advance", "750.00"), ("final", "2000.00")]

        lease.acquire(engine, "an operator's run")
        refused = run_claims("nightly", "--as-of", "2020-06-09", "--no-prefect", db=db_url,
                             env={**WIDE, **env})
        assert refused.returncode != 0
        assert "another nightly run holds the lease since" in refused.stderr
        lease.release(engine, "an operator's run")
        settled = _counts(engine)
        plain = _ok("nightly", "--as-of", "2020-06-08", "--no-prefect", db=db_url, env=env)
        assert "nightly-2020-06-08" in plain
        assert _counts(engine) == settled, "without Prefect, the same night changes nothing too"
    finally:
        engine.dispose()
