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


def test_scaleout_fails_when_a_worker_count_ends_differently(
        pg_available: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    """The check is real: one claim changed after the two-worker night makes the run fail."""
    if not pg_available:
        pytest.skip("no PostgreSQL (set CLAIMS_TEST_DATABASE_URL)")
    from sqlalchemy import text

    import bench.scaleout as scaleout
    from tests.conftest import PG_URL

    real = scaleout.run_workers

    def one_claim_changed_after_two(database, server_url, workers, size, payments):  # type: ignore[no-untyped-def]
        measured = real(database, server_url, workers, size, payments)
        if workers == 2:
            with database.engine.begin() as conn:
                conn.execute(text("UPDATE claim SET state = 'rejected' WHERE id = (SELECT MIN(id) FROM claim)"))
        return measured

    monkeypatch.setattr(scaleout, "run_workers", one_claim_changed_after_two)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))  # main sets it; restored after
    code = scaleout.main(["--claims", "300", "--workers", "1,2", "--chunk-size", "100", "--database-url", PG_URL])
    out, err = capsys.readouterr()
    assert code == 1
    assert "END STATES DIFFER: W=2 against W=1" in err and "claim row differs" in err
    assert json.loads(out.strip().splitlines()[-1])["agree"] is False
