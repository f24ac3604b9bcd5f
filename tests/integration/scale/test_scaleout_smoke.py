"""The scale-out benchmark as a user runs it: 2,000 claims, the first night with one and then two
`claims nightly worker` processes on PostgreSQL, its figures and the JSON line last; both nights
end in the same state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_scaleout_runs_one_and_two_workers_to_the_same_end_state(pg_available: bool, tmp_path: Path) -> None:
    if not pg_available:
        pytest.skip("no PostgreSQL (set CLAIMS_TEST_DATABASE_URL)")
    from tests.conftest import PG_URL

    done = subprocess.run(
        [sys.executable, "-m", "bench.scaleout", "--claims", "2000", "--workers", "1,2", "--chunk-size", "400",
         "--database-url", PG_URL, "--workdir", str(tmp_path / "run")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"claims", "workers", "seconds", "claims_per_s", "speedup", "worker_cpu_seconds",
            "server_cpu_seconds"} <= set(last)
    assert last["claims"] == 2000 and last["workers"] == [1, 2] and last["agree"] is True
    for key in ("seconds", "claims_per_s", "speedup", "worker_cpu_seconds", "server_cpu_seconds", "claims_moved"):
        assert len(last[key]) == 2, key
    # the same night: the same claim moves whatever the number of workers (several per claim)
    moved = last["claims_moved"]
    assert moved[0] == moved[1] > 2000
    assert last["speedup"][0] == 1.0 and all(s > 0 for s in last["seconds"])
    assert last["claims_per_s"][0] == pytest.approx(moved[0] / last["seconds"][0], rel=0.01)
    # two processes started from a Python interpreter each cost more cpu than one
    assert last["worker_cpu_seconds"][1] > last["worker_cpu_seconds"][0] > 0
    assert "end states agree with W=1's" in done.stdout
    assert "w1 " in done.stdout and "w2 " in done.stdout.split("partitions taken")[-1]


def test_scaleout_refuses_sqlite() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.scaleout", "--claims", "10"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "SQLite has one writer" in done.stderr
