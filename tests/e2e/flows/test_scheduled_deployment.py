"""The 02:00 deployment's run is the night itself: served as deployment `nightly` of flow
`nightly`, a run scheduled for 2020-06-05 02:00 Shanghai works on 2020-06-04, is named and
tagged by that date and its database, and carries the night's artifacts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.states import Scheduled

from models.db import make_engine
from models.schema import upgrade

from .helpers import artifacts

pytestmark = pytest.mark.prefect

ROOT = Path(__file__).resolve().parents[3]


def test_a_scheduled_deployment_run_is_the_night_with_its_artifacts_and_tags(
        prefect_api: str, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'claims.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    env = {**os.environ, "CLAIMS_DATABASE_URL": db_url, "PREFECT_RUNNER_POLL_FREQUENCY": "2",
           "CLAIMS_PAYMENT_DIR": str(tmp_path / "pay")}
    served = subprocess.Popen(
        [sys.executable, "-c", "from flows.nightly import nightly; nightly.serve(name='nightly')"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "serve.log").open("w"))
    try:
        deadline = time.monotonic() + 120
        with get_client(sync_client=True) as client:
            while True:
                try:
                    deployment = client.read_deployment_by_name("nightly/nightly")
                    break
                except Exception:
                    assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-2000:]
                    time.sleep(1)
            two_am_shanghai = datetime(2020, 6, 4, 18, 0, tzinfo=UTC)
            run = client.create_flow_run_from_deployment(
                deployment.id, state=Scheduled(scheduled_time=two_am_shanghai))
            while True:
                run = client.read_flow_run(run.id)
                if run.state is not None and run.state.is_final():
                    break
                assert time.monotonic() < deadline + 120, (tmp_path / "serve.log").read_text()[-2000:]
                time.sleep(1)
        assert run.state.is_completed(), run.state.message
        assert run.name == "nightly-2020-06-04"
        assert {"as_of:2020-06-04", "db:sqlite/claims.db"} <= set(run.tags)
        found = artifacts(run.id)
        assert {"nightly-20200604", "nightly-summary-20200604", "nightly-progress-20200604",
                "nightly-postings-20200604", "nightly-week-2020-w23"} <= set(found)
        assert "completed" in found["nightly-20200604"].data
    finally:
        served.terminate()
        served.wait(30)
