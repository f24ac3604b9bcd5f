"""Crash drill: `claims nightly` SIGKILLed at each kill point, then run again.

Each drill files the same synthetic claims, runs `claims nightly --no-prefect` for D0 and D1 as a
subprocess with CLAIMS_KILL_AT set until the process dies there (return code -9, the marker file
names the point), checks the database right after the crash, runs the remaining nights again
and compares everything with a night that was never interrupted.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models.tables import LEASE
from services.oversight.audit import verify
from services.oversight.reconcile import reconcile
from tests.conftest import run_claims
from tests.e2e.reliability import scenario
from tests.e2e.reliability.scenario import NIGHTS, Snapshot
from tests.release import cli_release

KILL_POINTS: tuple[str, ...] = (
    "pay_advances.chunk_start",        # before the step's first chunk
    "pay_advances.after_payments",     # advance rows written, claims not yet moved
    "pay_advances.before_commit",      # all written, not committed
    "apply_inspections.chunk_start:3",  # between chunks
    "apply_inspections.before_commit:2",
    "assess.before_flush:2",           # decided, nothing written
    "assess.before_commit:4",
    "moves.before_events:9",           # claims updated, their events not yet inserted
    "post.before_commit:3",
    "close_postings.chunk_start:2",
    "close_postings.before_commit:5",
    "pay_due.before_flush:2",          # payments handed to the channel, nothing recorded
    "pay_due.after_payments:3",        # final rows written, claims not yet moved to paid
    "pay_due.before_commit:6",
    "outbox.after_seal",               # orders committed and sealed in a batch, no file yet
    "outbox.after_file",               # a batch file written, its handover not yet recorded
)


def _night_env(payment_dir: Path, point: str) -> dict[str, str]:
    """The drill's settings. A night writes batch files itself only where no release is required
    (a deployment may turn approval off): the night's `outbox.after_file` point runs that way; with
    approval on (the default) the file is written by the release, killed in
    test_killed_release_followed_by_a_night_sends_every_order_in_exactly_one_file."""
    env = scenario.night_env(payment_dir)
    if point.startswith("outbox.after_file"):
        env["CLAIMS_PAYMENT_APPROVAL_REQUIRED"] = "false"
    return env


def test_there_are_at_least_ten_kill_points_across_every_step() -> None:
    steps = {point.split(".")[0] for point in KILL_POINTS}
    assert len(KILL_POINTS) >= 10
    assert {"pay_advances", "apply_inspections", "assess", "post", "close_postings", "pay_due"} <= steps


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_night_rerun_loses_nothing_and_pays_nothing_twice(
        point: str, db_url: str, tmp_path: Path, reference: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    payment_dir = tmp_path / "payments"
    env = _night_env(payment_dir, point)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files")
    marker = tmp_path / "killed-at"

    killed_on = None
    for index, day in enumerate(NIGHTS):
        done = run_claims("nightly", "--as-of", day.isoformat(), "--no-prefect", "--chunk-size",
                          str(scenario.CHUNK), db=db_url,
                          env={**env, "CLAIMS_KILL_AT": point, "CLAIMS_KILL_MARKER": str(marker)})
        if done.returncode == -9:
            killed_on = index
            break
        assert done.returncode == 0, done.stderr
        cli_release(db_url, day, env=env)
    assert killed_on is not None, f"the night never reached kill point {point}"
    name, _, count = point.partition(":")
    assert marker.read_text(encoding="utf-8").strip() == f"{name}:{count or 1}"

    # Right after the crash: the interrupted chunk left nothing half-written.
    with engine.connect() as conn:
        assert conn.execute(select(LEASE)).first() is not None, "a killed run cannot release its lease"
    after_crash = reconcile(engine)
    assert after_crash.holds, after_crash.breaches[:5]
    assert verify(engine).intact

    for day in NIGHTS[killed_on:]:
        scenario.night(engine, day, "rerun")

    snap = scenario.snapshot(engine)
    assert snap.claims == reference.claims
    assert snap.payments == reference.payments
    assert snap.trails == reference.trails
    report = reconcile(engine)
    assert report.holds, report.breaches[:5]
    audit = verify(engine)
    assert audit.intact, audit.problems[:5]
    batch = scenario.batch_keys(payment_dir)
    assert max(batch.values()) == 1, "a payment went into the batch file twice"
    assert set(batch) == scenario.sent_keys(engine), "batch file and payment rows disagree"
    engine.dispose()



MONEY_KILL_POINTS: tuple[str, ...] = (
    "pay_advances.before_commit",   # orders written, not committed
    "outbox.after_seal",            # orders and their batch committed, no file
    "outbox.after_file",            # file written, handover not recorded
    "pay_due.after_payments:2",     # final orders written, claims not yet moved
)


@pytest.mark.slow
@pytest.mark.parametrize("point", MONEY_KILL_POINTS)
def test_killed_night_followed_by_the_next_days_night_sends_every_order_in_exactly_one_file(
        point: str, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed on D0 (or D1) at a money point, the same night is NOT run again: the next business
    day's night (installed `claims`) must write what the killed one left, and nothing twice."""
    payment_dir = tmp_path / "payments"
    env = _night_env(payment_dir, point)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files")
    killed_on = None
    for index, day in enumerate(NIGHTS):
        done = run_claims("nightly", "--as-of", day.isoformat(), "--no-prefect", "--chunk-size",
                          str(scenario.CHUNK), db=db_url, env={**env, "CLAIMS_KILL_AT": point})
        if done.returncode == -9:
            killed_on = index
            break
        assert done.returncode == 0, done.stderr
        cli_release(db_url, day, env=env)
    assert killed_on is not None, f"the night never reached kill point {point}"
    next_day = NIGHTS[killed_on] + timedelta(days=1)
    done = run_claims("nightly", "--as-of", next_day.isoformat(), "--no-prefect", "--chunk-size",
                      str(scenario.CHUNK), db=db_url, env=env)
    assert done.returncode == 0, done.stderr
    cli_release(db_url, next_day, env=env)
    checked = run_claims("reconcile", db=db_url, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    batch = scenario.batch_keys(payment_dir)
    assert batch and max(batch.values()) == 1, "an order went into the batch files twice"
    assert set(batch) == scenario.sent_keys(engine), "batch files and orders disagree"
    engine.dispose()


RELEASE_KILL_POINTS: tuple[str, ...] = (
    "release.after_release",        # the release committed (orders released), no file yet
    "outbox.after_file",            # the released batch's file written, handover not recorded
)


@pytest.mark.slow
@pytest.mark.parametrize("then", ["same night", "next day's night"])
@pytest.mark.parametrize("point", RELEASE_KILL_POINTS)
def test_killed_release_followed_by_a_night_sends_every_order_in_exactly_one_file(
        point: str, then: str, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Approval on (the default): each night orders and seals, `claims approve` releases and sends.
    The release of D1 killed between its commit and the file (or the file and its handover), then
    the same night run again or the next business day's night, then a release: every order in
    exactly one file, the released batch not sent twice, reconcile exit 0."""
    payment_dir = tmp_path / "payments"
    env = scenario.night_env(payment_dir)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files")
    for day in NIGHTS:
        done = run_claims("nightly", "--as-of", day.isoformat(), "--no-prefect", "--chunk-size",
                          str(scenario.CHUNK), db=db_url, env=env)
        assert done.returncode == 0, done.stderr
        if day != NIGHTS[-1]:
            cli_release(db_url, day, env=env)
    killed = run_claims("approve", "--date", NIGHTS[-1].isoformat(), "--actor", "钱审批", db=db_url,
                        env={**env, "CLAIMS_KILL_AT": point})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert run_claims("reconcile", db=db_url, env=env).returncode == 0, "reconcile right after the kill"

    again = NIGHTS[-1] if then == "same night" else NIGHTS[-1] + timedelta(days=1)
    done = run_claims("nightly", "--as-of", again.isoformat(), "--no-prefect", "--chunk-size",
                      str(scenario.CHUNK), db=db_url, env=env)
    assert done.returncode == 0, done.stderr
    cli_release(db_url, again, env=env)
    checked = run_claims("reconcile", db=db_url, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    batch = scenario.batch_keys(payment_dir)
    assert batch and max(batch.values()) == 1, "an order went into the batch files twice"
    assert set(batch) == scenario.sent_keys(engine), "batch files and orders disagree"
    engine.dispose()
