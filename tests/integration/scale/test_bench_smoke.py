"""The benchmark as a user runs it: one command, its figures, the CONTRACT §5 line last."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bench import databases
from bench.verify import differences

ROOT = Path(__file__).resolve().parents[3]


def _bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench.lifecycle", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_benchmark_prints_the_contract_line_and_agrees_with_the_floor(tmp_path: Path) -> None:
    done = _bench("--claims", "2000", "--workdir", str(tmp_path / "run"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    contract = {"claims", "seconds", "floor_seconds", "ratio", "import_rows_per_s", "peak_rss_mb",  # CONTRACT §5
                "cpu_ratio", "import_floor_rows_per_s", "import_ratio"}
    assert contract <= set(last), contract - set(last)
    assert {"cpu_seconds", "floor_cpu_seconds", "commits", "floor_commits"} <= set(last)
    assert last["commits"] > 0 and last["floor_commits"] > 0 and "commits" in done.stdout
    assert last["import_ratio"] == pytest.approx(last["import_floor_rows_per_s"] / last["import_rows_per_s"], rel=0.02)
    assert last["cpu_ratio"] == pytest.approx(last["cpu_seconds"] / last["floor_cpu_seconds"], rel=0.01)
    assert last["import_ratio"] > 0 and "import floor" in done.stdout
    assert last["claims"] == 2000
    steps = last["step_cpu_seconds"]
    assert {"assess", "pay_due", "release"} <= set(steps)
    assert {"assess", "release"} <= set(last["floor_step_cpu_seconds"])
    assert 0 < sum(steps.values()) <= last["cpu_seconds"] * 1.01  # the steps are within the lifecycle's cpu
    assert last["ratio"] == pytest.approx(last["seconds"] / last["floor_seconds"], rel=0.01)
    assert "end states agree" in done.stdout
    assert "pay_due" in done.stdout and "rows/s" in done.stdout


@pytest.mark.postgres
@pytest.mark.slow
def test_benchmark_on_postgresql(pg_available: bool, tmp_path: Path) -> None:
    if not pg_available:
        pytest.skip("no PostgreSQL (set CLAIMS_TEST_DATABASE_URL)")
    from tests.conftest import PG_URL

    done = _bench("--claims", "1000", "--database-url", PG_URL, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["claims"] == 1000 and last["floor_seconds"] > 0
    assert last["cpu_ratio"] > 0 and last["import_ratio"] > 0
    assert "end states agree" in done.stdout


def test_the_comparison_names_a_claim_whose_end_state_differs(tmp_path: Path) -> None:
    a = databases.fresh(None, tmp_path, "a")
    b = databases.fresh(None, tmp_path, "b")
    from tests.factories import claim_row, insert_claims

    for db, state in ((a, "paid"), (b, "rejected")):
        with db.engine.begin() as conn:
            insert_claims(conn, claim_row("G1", state="paid"), claim_row("G2", state=state))
    assert differences(a.engine, a.engine) == []
    found = differences(a.engine, b.engine)
    assert any("claims per state" in f for f in found)
    assert any("claim row differs" in f and "rejected" in f for f in found)
    with b.engine.begin() as conn:
        conn.execute(text("UPDATE claim SET state = 'paid'"))
    assert differences(a.engine, b.engine) == []
