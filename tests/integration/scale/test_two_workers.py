"""Two worker processes share each night's steps on one PostgreSQL database over 20,000 claims,
taking person partitions with SELECT … FOR UPDATE SKIP LOCKED (services.nightly.leasing). Each claim
moves once per transition and is paid once, and the end state equals the set-based floor's."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import claims_executable
from tests.integration.scale.once import (
    FLOOR_APPROVER,
    assert_floor_agrees,
    assert_moved_and_paid_once,
    import_backlog,
    run_calendar,
)
from tests.release import cli_release

CLAIMS = 20_000
PARTITION = 400
ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _workers(url: str, day: date, payments: Path) -> list[str]:
    env = {**os.environ, "CLAIMS_PAYMENT_DIR": str(payments), "CLAIMS_DATABASE_URL": url}
    procs = [subprocess.Popen(
        [claims_executable(), "nightly", "worker", "--as-of", str(day), "--run-key", f"night-{day}",
         "--worker", f"w{n}", "--chunk-size", str(PARTITION)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for n in (1, 2)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        outputs.append(out)
    return outputs


def test_two_workers_move_and_pay_each_claim_once(pg_url: str, tmp_path: Path) -> None:
    backlog = import_backlog(pg_url, tmp_path, CLAIMS)
    took = {"w1": 0, "w2": 0}

    def night(day: date) -> None:
        for out in _workers(pg_url, day, tmp_path / "payments"):
            for line in out.splitlines():
                worker, _, rest = line.partition(" ")
                took[worker] += int(rest.split(": ")[1].split(" partitions")[0])
        # approval is on by default: the floor's approver releases, as the floor does
        cli_release(pg_url, day, FLOOR_APPROVER, env={"CLAIMS_PAYMENT_DIR": str(tmp_path / "payments")})

    run_calendar(backlog, night)
    assert took["w1"] > 0 and took["w2"] > 0, f"both workers should have taken partitions: {took}"
    assert_moved_and_paid_once(backlog)
    assert_floor_agrees(backlog, tmp_path, size=PARTITION, several_workers=True)
