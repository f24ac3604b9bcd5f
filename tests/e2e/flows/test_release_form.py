"""The release-payments flow on a real Prefect server: it pauses with the batch; a resume with a
wrong code or by someone who inspected a claim releases nothing; the approver's name and code
release the batch, bound to its hash, and send it at once through the outbox (the same function as
`claims approve`); a form nobody fills leaves the batch held."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.flow_runs import resume_flow_run
from sqlalchemy import insert, select

from flows.release import release_payments
from models.db import make_engine
from models.schema import upgrade
from models.tables import BATCH_RELEASE, INSPECTION, OUTBOX_BATCH, PAYMENT
from services.money.channel import FileChannel, use_channel
from services.money.release_codes import set_code
from services.nightly.runner import run_night
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import claims_by_id

pytestmark = pytest.mark.prefect

READY = dict(inspection_result="pass", inspected_on=date(2020, 9, 1))
CLOSES = date(2020, 9, 8)


def _paused(name: str, after: set[UUID], wait: float = 60) -> UUID:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))
        for run in runs:
            if run.id not in after and run.state is not None and run.state.is_paused():
                return run.id
        time.sleep(0.5)
    raise AssertionError(f"no paused run {name}")


def _paused_or_any(name: str) -> UUID:
    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))
    return run.id


def _start(db_url: str, wait_minutes: float) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        out["state"] = release_payments(on=CLOSES, database_url=db_url, wait_minutes=wait_minutes,
                                        return_state=True)
    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_the_release_form_resumes_only_for_the_approver_and_pays(
        prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    actors = tmp_path / "actors.yaml"
    actors.write_text("赵审批: [approver]\n李检查: [approver, inspector]\n", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_ACTORS", str(actors))
    monkeypatch.setenv("CLAIMS_PAYMENT_APPROVAL_REQUIRED", "true")
    set_code("赵审批", "zhao-2468")
    set_code("李检查", "li-13579")
    assert "zhao-2468" not in (tmp_path / "actors.codes.yaml").read_text(encoding="utf-8")
    use_channel(FileChannel(tmp_path / "payments"))
    db_url = f"sqlite:///{tmp_path / 'claims.db'}"
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            insert_claims(conn, claim_row("G1", person_id="211402199001010011", **READY),
                          claim_row("G2", person_id="211402199001010027", **READY))
        run_night(engine, date(2020, 9, 1))
        with engine.begin() as conn:
            conn.execute(insert(INSPECTION).values(claim_pk=claims_by_id(engine)["G1"].id,
                                                   inspected_on=date(2020, 9, 1), inspector="李检查",
                                                   result="pass"))
        run_night(engine, CLOSES)
        with engine.connect() as conn:
            assert set(conn.execute(select(PAYMENT.c.status)).scalars()) == {"ordered"}  # held for a release
        name = f"release-payments-{CLOSES}"
        seen: set[UUID] = set()

        thread, out = _start(db_url, 0.05)  # 3 s, and nobody comes
        thread.join(120)
        assert out["state"].is_completed()
        assert "stays held" in out["state"].result()
        with engine.connect() as conn:
            assert conn.execute(select(BATCH_RELEASE)).all() == []
        seen |= {_paused_or_any(name)}

        for approver, code in (("赵审批", "wrong-code"), ("李检查", "li-13579")):
            thread, out = _start(db_url, 10)
            run_id = _paused(name, seen)
            seen.add(run_id)
            resume_flow_run(run_id, run_input={"approver": approver, "release_code": code})
            thread.join(60)
            assert out["state"].is_failed(), approver
            with engine.connect() as conn:
                assert conn.execute(select(BATCH_RELEASE)).all() == [], approver

        thread, out = _start(db_url, 10)
        run_id = _paused(name, seen)
        seen.add(run_id)
        resume_flow_run(run_id, run_input={"approver": "赵审批", "release_code": "zhao-2468"})
        thread.join(60)
        assert out["state"].is_completed(), out["state"].message
        assert "released by 赵审批" in out["state"].result()
        with engine.connect() as conn:
            batch = conn.execute(select(OUTBOX_BATCH)).one()
            assert [(r.approver, r.claims, r.batch_id, r.hash) for r in conn.execute(select(BATCH_RELEASE))] == [
                ("赵审批", 2, batch.id, batch.hash)]
            assert set(conn.execute(select(PAYMENT.c.status)).scalars()) == {"sent"}  # sent by the release
        assert {c.state for c in claims_by_id(engine).values()} == {"paid"}
        assert (tmp_path / "payments" / batch.file_name).exists()

    finally:
        use_channel(None)
        engine.dispose()
