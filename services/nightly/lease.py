"""One nightly run per database at a time: a row in `lease`, taken with an INSERT.

The primary key makes the INSERT the arbiter: of two runs starting together exactly one
inserts. A lease lapses at `expires_at` (a crashed run frees the database by itself); a live
run renews it between chunks. Plain Python over an Engine, no Prefect: `claims nightly
--no-prefect` takes the same lease.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from models.tables import LEASE

LEASE_NAME = "nightly"

DEFAULT_LEASE_HOURS = 6
"""a nightly run's lease lapses this long after its last renewal (a crashed run frees it)"""


def lease_duration() -> timedelta:
    return timedelta(hours=float(os.environ.get("CLAIMS_NIGHTLY_LEASE_HOURS", DEFAULT_LEASE_HOURS)))


class LeaseHeld(RuntimeError):
    """Another run holds the lease."""


class LeaseLost(RuntimeError):
    """This run's lease lapsed and was taken by another run."""


def _now() -> datetime:
    return datetime.now(UTC)


def holder_name(label: str) -> str:
    return f"{label} on {socket.gethostname()} pid {os.getpid()}"[:100]


def acquire(engine: Engine, holder: str, *, name: str = LEASE_NAME,
            duration: timedelta | None = None) -> None:
    now = _now()
    expires = now + (duration or lease_duration())
    with engine.begin() as conn:
        conn.execute(delete(LEASE).where(LEASE.c.name == name, LEASE.c.expires_at <= now))
    try:
        with engine.begin() as conn:
            conn.execute(insert(LEASE).values(name=name, holder=holder, acquired_at=now,
                                              expires_at=expires))
    except IntegrityError:
        with engine.connect() as conn:
            row = conn.execute(select(LEASE).where(LEASE.c.name == name)).first()
        if row is None:  # released between our INSERT and this read: try once more
            return acquire(engine, holder, name=name, duration=duration)
        raise LeaseHeld(
            f"another nightly run holds the lease since {row.acquired_at:%Y-%m-%d %H:%M:%S} UTC "
            f"({row.holder}); it lapses at {row.expires_at:%Y-%m-%d %H:%M:%S} UTC unless renewed. "
            "Wait for that run to finish, or after a crash wait for the lapse."
        ) from None


def renew(engine: Engine, holder: str, *, name: str = LEASE_NAME,
          duration: timedelta | None = None) -> None:
    expires = _now() + (duration or lease_duration())
    with engine.begin() as conn:
        result = conn.execute(update(LEASE)
                              .where(LEASE.c.name == name, LEASE.c.holder == holder)
                              .values(expires_at=expires))
    if result.rowcount == 0:
        raise LeaseLost(f"the nightly lease of {holder} lapsed and another run took it; "
                        "this run stops before its next step")


def release(engine: Engine, holder: str, *, name: str = LEASE_NAME) -> None:
    with engine.begin() as conn:
        conn.execute(delete(LEASE).where(LEASE.c.name == name, LEASE.c.holder == holder))


@contextmanager
def held(engine: Engine, holder: str, *, name: str = LEASE_NAME) -> Iterator[None]:
    acquire(engine, holder, name=name)
    try:
        yield
    finally:
        release(engine, holder, name=name)
