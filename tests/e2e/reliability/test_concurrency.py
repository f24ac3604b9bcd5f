"""Two `claims nightly` runs started at once for the same date: one runs, the other waits its turn
or refuses with the lease message and exit 1; nothing is written twice."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from services.oversight.audit import verify
from services.oversight.reconcile import reconcile
from tests.conftest import claims_executable
from tests.e2e.reliability import scenario
from tests.e2e.reliability.scenario import NIGHTS, Snapshot
from tests.release import release

REFUSAL = "another nightly run holds the lease"
RUNS_AT_ONCE = 2


def _start(day: str, url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {**os.environ, **env, "CLAIMS_DATABASE_URL": url, "CLAIMS_ACTOR": "drill"}
    return subprocess.Popen([claims_executable(), "nightly", "--as-of", day, "--no-prefect", "--chunk-size",
                             str(scenario.CHUNK)], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.mark.slow
def test_two_nightly_runs_at_once_do_nothing_twice(db_url: str, tmp_path: Path, reference: Snapshot,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    payment_dir = tmp_path / "payments"
    env = {**scenario.night_env(payment_dir), "CLAIMS_NIGHTLY_LEASE_HOURS": "6"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files")
    outcomes: list[int] = []
    for day in NIGHTS:
        runs = [_start(day.isoformat(), db_url, env) for _ in range(RUNS_AT_ONCE)]
        for run in runs:
            _out, err = run.communicate(timeout=600)
            assert run.returncode in (0, 3), err
            if run.returncode == 3:
                assert REFUSAL in " ".join(err.split()), err
                assert "Traceback" not in err
            outcomes.append(run.returncode)
        assert 0 in [r.returncode for r in runs], "one of the runs must do the night"
        for run in runs:
            if run.returncode == 3:  # the refused run (exit 3: environment), started again once the other finished
                again = _start(day.isoformat(), db_url, env)
                again.communicate(timeout=600)
                assert again.returncode == 0
        release(engine, day)  # approval is on by default: the night's batches go out on a release
    snap = scenario.snapshot(engine)
    assert snap.claims == reference.claims
    assert snap.payments == reference.payments
    assert snap.trails == reference.trails
    assert reconcile(engine).holds
    assert verify(engine).intact
    batch = scenario.batch_keys(payment_dir)
    assert max(batch.values()) == 1 and set(batch) == scenario.sent_keys(engine)
    print(f"concurrent nightly runs: exit codes {outcomes}")
    engine.dispose()
