"""The import-file and retry-failed deployment flows, run against the session's Prefect server
with the real service layer: what they do and what they show (masked)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from flows.import_file import import_claims_file
from flows.nightly import nightly
from flows.retry import retry_failed
from models.tables import CLAIM
from services.nightly.report import database_label
from tests.unit.intake.claimrows import write_csv

from .helpers import artifacts, flow_run_name
from .test_nightly_cli import ROWS, ZHU

pytestmark = pytest.mark.prefect

BAD_ID = ZHU[:-1] + ("0" if ZHU[-1] != "0" else "1")


def test_import_then_a_set_aside_claim_retried(
        engine: Engine, db_url: str, prefect_api: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_LOCAL_OVERRIDES", "")
    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "pay"))
    bad = {**ROWS[2], "claim_id": "Z2", "person_id": BAD_ID, "payee_id": BAD_ID}
    path = write_csv(tmp_path / "claims-june.csv", [ROWS[2], bad])

    imported = import_claims_file(path=str(path), on=date(2020, 5, 10), actor="张三",
                                  database_url=db_url, return_state=True)

    assert imported.is_completed(), imported.message
    run = imported.state_details.flow_run_id
    assert flow_run_name(run) == "import-claims-june.csv"
    shown = artifacts(run)
    assert "| 2 | 1 | 0 | 0 | 1 |" in shown["import-summary"].data
    [rejected] = json.loads(shown["import-rejections"].data)
    assert rejected["claim_id"] == "Z2" and "person_id" in rejected["errors"]
    assert BAD_ID not in shown["import-rejections"].data

    with engine.begin() as conn:
        conn.execute(update(CLAIM).values(inspection_result="pass", inspected_on=date(2020, 6, 1)))
    assert nightly(as_of=date(2020, 6, 1), database_url=db_url,
                   return_state=True).is_completed()

    retried = retry_failed(on=date(2020, 6, 2), actor="root", database_url=db_url,
                           return_state=True)

    assert retried.is_completed(), retried.message
    run = retried.state_details.flow_run_id
    assert flow_run_name(run) == "retry-all"
    [row] = json.loads(artifacts(run)["retry-failed"].data)
    assert (row["claim_id"], row["step"], row["now"]) == ("Z1", "assess", "still set aside")
    assert "missing_parameter" in row["was"]
    with engine.connect() as conn:
        assert conn.execute(select(CLAIM.c.set_aside_step)).scalar_one() == "assess"


def test_an_admin_retry_shows_in_the_event_feed_with_actor_and_counts(
        engine: Engine, db_url: str, prefect_api: str) -> None:
    from prefect.client.orchestration import get_client

    from tests.conftest import run_claims

    done = run_claims("retry", "--all", "--on", "2020-06-02", "--actor", "系统管理员", db=db_url)
    assert done.returncode == 0, done.stderr
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15  # the server stores events a moment after taking them
    while not events and time.monotonic() < deadline:
        time.sleep(0.5)
        with get_client(sync_client=True) as client:
            response = client.request("POST", "/events/filter", json={  # type: ignore[arg-type]
                "filter": {"event": {"name": ["claims.retry.ran"]},
                           "any_resource": {"id": [f"claims.database.{database_label(db_url)}"]}},
                "limit": 10})
        events = response.json()["events"]
    assert any(e["payload"]["actor"] == "系统管理员" and "moved" in e["payload"] for e in events), events
