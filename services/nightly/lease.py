"""One nightly run per database at a time: a row in `lease`, taken with an INSERT.

The primary key makes the INSERT the arbiter: of two runs starting together exactly one
inserts. The row names its holder (host, pid, flow run id) and carries a generation number.
A lease lapses a short while (`lease_duration()`) after its last heartbeat; `held()` renews it
from a heartbeat thread while the run lives. A lease is taken over at once (generation + 1)
when it lapsed, when its holder's process is gone (checked by pid on the same host only), or
when the taker is the same flow run (Prefect's retry of that run).

Fencing: `fence(conn)`, called inside every transaction that writes orders, batches or moves,
checks that the lease this process took still has its generation; a stalled holder that wakes up
after a take-over raises `LeaseLost` there and its transaction rolls back instead of paying.
Plain Python over an Engine, no Prefect: `claims nightly --no-prefect` takes the same lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from intake.messages import explained
from models.tables import LEASE

LEASE_NAME = "nightly"

DEFAULT_LAPSE_SECONDS = 120.0
"""a lease lapses this long after its last heartbeat (an operational setting, not a policy number:
CLAIMS_LEASE_LAPSE_SECONDS); the heartbeat renews it four times per lapse"""

DEFAULT_WAIT_SECONDS = 30.0
"""how long a command that needs the lease (claims retry, claims bank import, ...) waits for a
running night before it stops with a message (CLAIMS_LEASE_WAIT_SECONDS)"""

log = logging.getLogger(__name__)


def lease_duration() -> timedelta:
    hours = os.environ.get("CLAIMS_NIGHTLY_LEASE_HOURS")  # older setting, still honoured
    if hours:
        return timedelta(hours=float(hours))
    return timedelta(seconds=float(os.environ.get("CLAIMS_LEASE_LAPSE_SECONDS", DEFAULT_LAPSE_SECONDS)))


def wait_seconds() -> float:
    return float(os.environ.get("CLAIMS_LEASE_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))


class LeaseHeld(RuntimeError):
    """Another run holds the lease."""


class LeaseLost(RuntimeError):
    """This run's lease lapsed and was taken by another run (or released by an administrator)."""


@dataclass(frozen=True, slots=True)
class Holding:
    name: str
    holder: str
    host: str
    pid: int
    run_id: str | None
    generation: int
    acquired_at: datetime
    expires_at: datetime


_held: dict[tuple[str, str], int] = {}
"""(database url, lease name) -> generation of the leases this process holds"""
_held_lock = threading.Lock()


def _key(engine: Engine | Connection, name: str) -> tuple[str, str]:
    return (engine.engine.url.render_as_string(hide_password=True), name)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def holder_name(label: str) -> str:
    return f"{label} on {socket.gethostname()} pid {os.getpid()}"[:100]


def _pid_gone(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _new_generation(previous: int | None) -> int:
    """Strictly above the previous holder's; a fresh row starts from the clock (milliseconds),
    so a generation is never handed out twice even after the row was released and deleted."""
    stamp = time.time_ns() // 1_000_000
    return max(stamp, (previous or 0) + 1)


def _holding(row: Any) -> Holding:
    return Holding(row.name, row.holder, row.host or "", row.pid or 0, row.run_id, row.generation or 0,
                   _aware(row.acquired_at), _aware(row.expires_at))


def show(engine: Engine, name: str = LEASE_NAME) -> Holding | None:
    with engine.connect() as conn:
        row = conn.execute(select(LEASE).where(LEASE.c.name == name)).first()
    return _holding(row) if row is not None else None


def takeover_reason(current: Holding, *, run_id: str | None, now: datetime | None = None) -> str | None:
    """Why `current` may be taken over at once, or None while its holder lives."""
    now = now or _now()
    if current.expires_at <= now:
        return "its heartbeat lapsed"
    if current.host == socket.gethostname() and _pid_gone(current.pid):
        return f"its process (pid {current.pid}) is gone"
    if run_id is not None and current.run_id == run_id:
        return "it is the same flow run (a retry)"
    return None


def acquire(engine: Engine, holder: str, *, name: str = LEASE_NAME, duration: timedelta | None = None,
            run_id: str | None = None, wait: float = 0.0) -> int:
    """Take the lease; returns its generation. Waits up to `wait` seconds for a live holder."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return _try_acquire(engine, holder, name=name, duration=duration, run_id=run_id)
        except LeaseHeld:
            if time.monotonic() >= deadline:
                raise
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))


def _try_acquire(engine: Engine, holder: str, *, name: str, duration: timedelta | None,
                 run_id: str | None) -> int:
    now = _now()
    expires = now + (duration or lease_duration())
    values = {"holder": holder, "host": socket.gethostname()[:100], "pid": os.getpid(),
              "run_id": run_id, "acquired_at": now, "expires_at": expires}
    with engine.connect() as conn:
        row = conn.execute(select(LEASE).where(LEASE.c.name == name)).first()
    if row is None:
        generation = _new_generation(None)
        try:
            with engine.begin() as conn:
                conn.execute(insert(LEASE).values(name=name, generation=generation, **values))
        except IntegrityError:
            return _try_acquire(engine, holder, name=name, duration=duration, run_id=run_id)
    else:
        current = _holding(row)
        reason = takeover_reason(current, run_id=run_id, now=now)
        if reason is None:
            raise explained(LeaseHeld, "lease.held", since=f"{current.acquired_at:%Y-%m-%d %H:%M:%S}",
                            holder=current.holder, until=f"{current.expires_at:%Y-%m-%d %H:%M:%S}")
        generation = _new_generation(current.generation)
        with engine.begin() as conn:
            taken = conn.execute(update(LEASE)
                                 .where(LEASE.c.name == name, LEASE.c.generation == current.generation)
                                 .values(generation=generation, **values)).rowcount
        if taken != 1:  # someone else took it over first: look again
            return _try_acquire(engine, holder, name=name, duration=duration, run_id=run_id)
        log.warning("lease %s taken over from %s (%s), generation %d", name, current.holder, reason,
                    generation)
    with _held_lock:
        _held[_key(engine, name)] = generation
    return generation


def renew(engine: Engine, holder: str, *, name: str = LEASE_NAME,
          duration: timedelta | None = None) -> None:
    expires = _now() + (duration or lease_duration())
    generation = _held.get(_key(engine, name))
    condition = [LEASE.c.name == name, LEASE.c.holder == holder]
    if generation is not None:
        condition.append(LEASE.c.generation == generation)
    with engine.begin() as conn:
        result = conn.execute(update(LEASE).where(*condition).values(expires_at=expires))
    if result.rowcount == 0:
        raise explained(LeaseLost, "lease.lapsed", holder=holder)


def release(engine: Engine, holder: str, *, name: str = LEASE_NAME) -> None:
    with _held_lock:
        generation = _held.pop(_key(engine, name), None)
    condition = [LEASE.c.name == name, LEASE.c.holder == holder]
    if generation is not None:
        condition.append(LEASE.c.generation == generation)
    with engine.begin() as conn:
        conn.execute(delete(LEASE).where(*condition))


def force_release(engine: Engine, *, name: str = LEASE_NAME) -> Holding | None:
    """An administrator's release (`claims lease release`): whatever holds it loses it."""
    current = show(engine, name)
    if current is None:
        return None
    with engine.begin() as conn:
        conn.execute(delete(LEASE).where(LEASE.c.name == name, LEASE.c.generation == current.generation))
    return current


def fence(conn: Connection, *, name: str = LEASE_NAME) -> None:
    """Inside a transaction that writes orders, batches or moves: if this process took the lease,
    it must still hold that generation, else `LeaseLost` (the transaction rolls back). On
    PostgreSQL the row is read FOR SHARE, so a take-over waits for this transaction to end."""
    generation = _held.get(_key(conn, name))
    if generation is None:
        return
    stmt = select(LEASE.c.generation).where(LEASE.c.name == name)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(read=True)
    current = conn.execute(stmt).scalar()
    if current != generation:
        if current is None:
            raise explained(LeaseLost, "lease.released_under", generation=generation)
        raise explained(LeaseLost, "lease.taken_over", generation=generation, current=current)


def adopt(engine: Engine, *, name: str = LEASE_NAME) -> int | None:
    """A worker of a fanned-out night (another process, maybe another host): fence its chunks
    with the generation of the lease the coordinating night holds now; None when none is held."""
    current = show(engine, name)
    if current is None:
        return None
    with _held_lock:
        if _key(engine, name) in _held:  # this process holds it itself (the coordinating run)
            return None
        _held[_key(engine, name)] = current.generation
    return current.generation


def forget(engine: Engine, *, name: str = LEASE_NAME) -> None:
    with _held_lock:
        _held.pop(_key(engine, name), None)


class Heartbeat:
    """Renews a held lease from a daemon thread until stopped; remembers a loss."""

    def __init__(self, engine: Engine, holder: str, *, name: str = LEASE_NAME,
                 duration: timedelta | None = None) -> None:
        self.engine, self.holder, self.name = engine, holder, name
        self.duration = duration or lease_duration()
        self.lost: LeaseLost | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-heartbeat-{name}", daemon=True)

    def _beat(self) -> None:
        interval = max(0.05, self.duration.total_seconds() / 4)
        while not self._stop.wait(interval):
            try:
                renew(self.engine, self.holder, name=self.name, duration=self.duration)
            except LeaseLost as exc:
                self.lost = exc
                return
            except Exception:  # a database blip: the next beat tries again before the lapse
                log.warning("lease heartbeat failed", exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@contextmanager
def held(engine: Engine, holder: str, *, name: str = LEASE_NAME, run_id: str | None = None,
         wait: float = 0.0, duration: timedelta | None = None) -> Iterator[int]:
    """Hold the lease with a heartbeat while the block runs; yields the generation. An error
    releasing the lease is logged, never raised over the block's own error."""
    generation = acquire(engine, holder, name=name, run_id=run_id, wait=wait, duration=duration)
    failed = True
    try:
        with Heartbeat(engine, holder, name=name, duration=duration):
            yield generation
        failed = False
    finally:
        release_quietly(engine, holder, name=name, raise_errors=not failed)


def release_quietly(engine: Engine, holder: str, *, name: str = LEASE_NAME, raise_errors: bool = False) -> None:
    """Release; when the run already failed, a release error is logged and not raised, so the
    run's own error is the one reported (the lease then lapses or is taken over)."""
    try:
        release(engine, holder, name=name)
    except Exception:
        if raise_errors:
            raise
        log.warning("releasing the lease %s failed after the run's own error", name, exc_info=True)
