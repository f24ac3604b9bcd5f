"""Product settings only the Prefect flows read (not policy parameters: no seed fixes any of them).

The lease's lapse is services.nightly.lease's, the time zone services.nightly.business_day's.

The chunk size is services.settings' (CLAIMS_CHUNK_SIZE). Each is documented in
docs/operations.md as the product's default and can be changed with the
environment variable named beside it.
"""

from __future__ import annotations

import os
import typing
from typing import Any

DEFAULT_CHUNK_RETRIES = 3
DEFAULT_RETRY_DELAYS = (2, 10, 30)
"""seconds before each retry of a chunk that failed on database I/O"""

EPHEMERAL_STARTUP_SECONDS = 90
"""how long `claims nightly` lets Prefect's embedded server start (measured 17-28 s)"""

WORKER_DEPLOYMENT = "nightly-worker/nightly-worker"
"""the deployment (flow name/deployment name, prefect.yaml) a fanned-out night starts per host"""

WORKER_QUEUE = "nightly-worker"
"""its work queue in the pool: one worker per host serves it with --limit 1 (docs/scaling.md)"""

DEFAULT_FANOUT_START_SECONDS = 900
"""a worker run that no worker of the pool started within this is cancelled and the night fails"""

FANOUT_POLL_SECONDS = 1.0
"""how often a fanned-out night reads its worker runs' states and the partitions' progress"""

LEASE_RENEW_SECONDS = 60.0
"""how often a fanned-out night renews its lease while it waits for the workers"""


def default_workers(database_url: str) -> int:
    """Chunks run at once: SQLite has one writer, so 1 there; PostgreSQL takes a few."""
    configured = os.environ.get("CLAIMS_NIGHTLY_WORKERS")
    if configured:
        return max(1, int(configured))
    return 1 if database_url.startswith("sqlite") else 4


def fanout_start_seconds() -> float:
    return float(os.environ.get("CLAIMS_NIGHTLY_FANOUT_START_SECONDS", DEFAULT_FANOUT_START_SECONDS))


def retry_delays() -> tuple[float, ...]:
    configured = os.environ.get("CLAIMS_NIGHTLY_RETRY_DELAYS")
    if configured:
        return tuple(float(s) for s in configured.split(","))
    return DEFAULT_RETRY_DELAYS


DEFAULT_NIGHT_TIMEOUT_SECONDS = 4 * 3600
"""a night (the nightly flow) still running after this fails as TimedOut, so the morning's
alert fires instead of the night waiting for ever (CLAIMS_NIGHT_TIMEOUT_SECONDS)"""

DEFAULT_CHUNK_TIMEOUT_SECONDS = 1800
"""one partition's task (one transaction of a few thousand claims) still running after this
fails; the database's own statement timeout (models.db) normally stops it first
(CLAIMS_CHUNK_TIMEOUT_SECONDS)"""


def _seconds(name: str, default: float) -> float | None:
    """The env setting `name` in seconds; 0 means no limit."""
    value = float(os.environ.get(name, default))
    return value if value > 0 else None


def night_timeout_seconds() -> float | None:
    return _seconds("CLAIMS_NIGHT_TIMEOUT_SECONDS", DEFAULT_NIGHT_TIMEOUT_SECONDS)


def chunk_timeout_seconds() -> float | None:
    return _seconds("CLAIMS_CHUNK_TIMEOUT_SECONDS", DEFAULT_CHUNK_TIMEOUT_SECONDS)


def set_aside_alert_threshold() -> int:
    """A night that sets aside more claims than this emits claims.night.set-aside, which the
    `claims: set aside` automation turns into an alert (CLAIMS_ALERT_SET_ASIDE_THRESHOLD; unset:
    0, any claim set aside alerts — the bureau sets its own number). Claims held for a payment
    release are not set aside and never count."""
    return int(os.environ.get("CLAIMS_ALERT_SET_ASIDE_THRESHOLD", "0"))


def concrete_annotations(fn: Any) -> None:
    """Turn a flow function's string annotations (`from __future__ import annotations`) into the
    types themselves. A deployment's runner may carry the function to its subprocess by value,
    with only the globals its code uses: a parameter typed `date` then no longer resolves
    ("NightlyModel is not fully defined; define date") and the run fails before it starts."""
    fn.__annotations__ = typing.get_type_hints(fn)
