"""Lease drill: a night SIGKILLed holding the lease is run again at once (no lapse to wait for),
commands that change what a night changes wait for the lease and then stop with exit 3, and an
administrator's release is checked against the actor list and recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models.tables import LEASE_RELEASE
from services.nightly import lease
from services.oversight.audit import verify
from services.oversight.reconcile import reconcile
from tests.conftest import run_claims
from tests.e2e.reliability import scenario
from tests.e2e.reliability.scenario import D0, D1

KILL_POINTS = ("pay_advances.before_commit", "assess.before_commit:2", "pay_due.after_payments")


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_killed_night_is_run_again_at_once_and_finishes(point: str, db_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**scenario.night_env(tmp_path / "payments"), "CLAIMS_NIGHTLY_LEASE_HOURS": "",
           "CLAIMS_LEASE_LAPSE_SECONDS": "3600"}  # a lapse no drill waits for
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files", claims=80)
    night = ("nightly", "--no-prefect", "--chunk-size", str(scenario.CHUNK), "--as-of")
    killed = None
    for day in (D0, D1):
        done = run_claims(*night, day.isoformat(), db=db_url,
                          env={**env, "CLAIMS_KILL_AT": point, "CLAIMS_KILL_MARKER": str(tmp_path / "m")})
        if done.returncode == -9:
            killed = day
            break
        assert done.returncode == 0, done.stderr
    assert killed is not None, f"the night never reached {point}"
    shown = run_claims("lease", "show", db=db_url, env=env)
    assert shown.returncode == 0 and "nightly lease held" in shown.stdout, shown.stdout + shown.stderr
    held = lease.show(engine)
    assert held is not None and held.pid > 0 and held.generation > 0

    for day in (D0, D1) if killed == D0 else (D1,):  # at once: the dead holder's pid frees it
        again = run_claims(*night, day.isoformat(), db=db_url, env=env, timeout=120)
        assert again.returncode == 0, again.stderr
    assert lease.show(engine) is None
    assert reconcile(engine).holds
    assert verify(engine).intact
    engine.dispose()


def test_commands_wait_for_a_live_night_then_stop_with_exit_3_and_release_is_for_admins(
        db_url: str, tmp_path: Path) -> None:
    from models.db import make_engine
    from models.schema import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    actors = tmp_path / "actors.yaml"
    actors.write_text("系统管理员: [admin]\n王会计: [clerk]\n", encoding="utf-8")
    statement = tmp_path / "statement.csv"
    statement.write_text("reference,amount,status\n", encoding="utf-8")
    rows = tmp_path / "rows.csv"
    rows.write_text("claim_id,policy,amount\n", encoding="utf-8")
    env = {"CLAIMS_LEASE_WAIT_SECONDS": "1", "CLAIMS_ACTORS": str(actors), "CLAIMS_ACTOR": "系统管理员"}
    with lease.held(engine, "a live night in this test process"):
        # everything that changes claims a night changes waits for the lease, then stops with exit 3
        for command in (("retry", "--all", "--on", "2020-06-12"),
                        ("bank", "import", str(statement), "--on", "2020-06-12"),
                        ("recover", "G001", "--reason", "虚假培训"),
                        ("recovered", str(rows)),
                        ("approve", "--date", "2020-06-12"),
                        ("object", "G001", "--reason", "未到场"),
                        ("review", "G001", "--dismiss", "--reason", "已核实"),
                        ("amend", str(rows)),
                        ("withdraw", "G001", "--reason", "申请人撤回"),
                        ("inspect", "record", str(rows)),
                        ("complete", str(rows)),
                        ("nightly", "--no-prefect", "--as-of", "2020-06-12")):
            done = run_claims(*command, db=db_url, env=env)
            assert done.returncode == 3, (command, done.stdout, done.stderr)
            assert "a live night in this test process" in done.stderr, (command, done.stderr)
            assert "Traceback" not in done.stderr
        refused = run_claims("lease", "release", "--actor", "王会计", db=db_url, env=env)
        assert refused.returncode == 1 and "not as admin" in refused.stderr, refused.stderr
        assert lease.show(engine) is not None
        released = run_claims("lease", "release", "--actor", " 系统管理员 ", db=db_url, env=env)
        assert released.returncode == 0, released.stderr
        assert lease.show(engine) is None
        with pytest.raises(lease.LeaseLost), engine.begin() as conn:  # the old holder is fenced off
            lease.fence(conn)
    with engine.connect() as conn:
        rows = conn.execute(select(LEASE_RELEASE)).all()
    assert [(r.actor, r.holder) for r in rows] == [("系统管理员", "a live night in this test process")]
    shown = run_claims("lease", "show", db=db_url, env=env)
    assert "free" in shown.stdout
    engine.dispose()
