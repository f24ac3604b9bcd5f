"""The nightly lease: one run per database at a time, lapsing after a crash (no Prefect)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

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
