"""The nightly lease: one run per database at a time, lapsing after a crash (no Prefect)."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update

from models.tables import LEASE
from services.nightly import lease


def test_second_holder_is_refused_until_release(engine: Engine) -> None:
    lease.acquire(engine, "run A")
    with pytest.raises(lease.LeaseHeld, match=r"another nightly run holds the lease since .* \(run A\)"):
        lease.acquire(engine, "run B")
    lease.release(engine, "run B")  # not B's to release: A still holds it
    with pytest.raises(lease.LeaseHeld):
        lease.acquire(engine, "run B")
    lease.release(engine, "run A")
    lease.acquire(engine, "run B")


def test_a_lapsed_lease_is_taken_over_and_its_holder_told(engine: Engine) -> None:
    lease.acquire(engine, "crashed run", duration=timedelta(seconds=-1))
    lease.acquire(engine, "next run")
    with pytest.raises(lease.LeaseLost):
        lease.renew(engine, "crashed run")
    lease.renew(engine, "next run")


def _holder_row(engine: Engine) -> lease.Holding:
    current = lease.show(engine)
    assert current is not None
    return current


def test_a_lease_whose_process_is_gone_is_taken_over_at_once_with_a_new_generation(engine: Engine) -> None:
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    first = lease.acquire(engine, "killed run")
    with engine.begin() as conn:  # as if a process that has since died had taken it
        conn.execute(update(LEASE).values(pid=gone.pid))
    second = lease.acquire(engine, "next run")
    assert second > first
    assert _holder_row(engine).holder == "next run"
    assert _holder_row(engine).pid == os.getpid()


def test_a_live_holder_on_the_same_host_is_not_taken_over(engine: Engine) -> None:
    lease.acquire(engine, "live run")
    with pytest.raises(lease.LeaseHeld, match="claims lease show"):
        lease.acquire(engine, "other run")
    with pytest.raises(lease.LeaseHeld):
        lease.acquire(engine, "other run", wait=0.3)
    assert _holder_row(engine).holder == "live run"


def test_another_hosts_dead_pid_is_not_trusted_but_its_lapse_is(engine: Engine) -> None:
    lease.acquire(engine, "remote run", duration=timedelta(seconds=0.5))
    with engine.begin() as conn:
        conn.execute(update(LEASE).values(host="another-host", pid=999_999))
    with pytest.raises(lease.LeaseHeld):
        lease.acquire(engine, "local run")
    time.sleep(0.6)
    lease.acquire(engine, "local run")


def test_the_same_flow_run_takes_over_its_own_lease(engine: Engine) -> None:
    first = lease.acquire(engine, "flow run X try 1", run_id="run-x")
    second = lease.acquire(engine, "flow run X try 2", run_id="run-x")
    assert second > first
    with pytest.raises(lease.LeaseHeld):
        lease.acquire(engine, "flow run Y", run_id="run-y")


def test_fence_aborts_a_stalled_holder_after_a_take_over(engine: Engine) -> None:
    lease.acquire(engine, "stalled run")
    with engine.begin() as conn:
        lease.fence(conn)  # still its own
    with engine.begin() as conn:  # another run takes it over (the stalled one's heartbeat lapsed)
        conn.execute(update(LEASE).values(holder="new run", generation=LEASE.c.generation + 1))
    with pytest.raises(lease.LeaseLost, match="taken over"), engine.begin() as conn:
        lease.fence(conn)
    with pytest.raises(lease.LeaseLost):
        lease.renew(engine, "stalled run")


def test_heartbeat_keeps_a_short_lease_alive_and_release_frees_it(engine: Engine) -> None:
    with lease.held(engine, "long run", duration=timedelta(seconds=0.4)):
        time.sleep(1.0)  # two and a half lapses: only the heartbeat keeps it
        with pytest.raises(lease.LeaseHeld):
            lease.acquire(engine, "impatient run")
    assert lease.show(engine) is None


def test_a_release_error_never_hides_the_runs_own_error(engine: Engine,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(lease, "release", broken)
    with pytest.raises(ValueError, match="the night's own error"), lease.held(engine, "failing run"):
        raise ValueError("the night's own error")
    assert _holder_row(engine).holder == "failing run"  # left to lapse or be taken over
    lease.force_release(engine)
    with pytest.raises(RuntimeError, match="database went away"), lease.held(engine, "clean run 2",
                                                                             run_id="r2"):
        pass


def test_a_worker_adopts_the_nights_generation_and_stops_after_a_take_over(engine: Engine) -> None:
    assert lease.adopt(engine) is None  # no night holds it: nothing to fence
    generation = lease.acquire(engine, "coordinating night")
    assert lease.adopt(engine) is None  # the holder itself keeps its own entry
    lease._held.clear()  # as a worker process on another host starts: it holds nothing
    assert lease.adopt(engine) == generation
    with engine.begin() as conn:
        lease.fence(conn)
    with engine.begin() as conn:  # the night's lease is taken over
        conn.execute(update(LEASE).values(generation=LEASE.c.generation + 1))
    with pytest.raises(lease.LeaseLost), engine.begin() as conn:
        lease.fence(conn)
    lease.forget(engine)
    with engine.begin() as conn:
        lease.fence(conn)  # forgotten: nothing to fence
