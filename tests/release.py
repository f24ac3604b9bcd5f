"""Payment approval is on by default (services/settings.py): a test that pays money runs the night
and then releases the batches as an approver of its own, who handled none of the claims.

`night_then_release` (in process) and `cli_night_then_release` (through the installed `claims`)
keep that one line in each test; `release` alone releases whatever waits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from services.access.actors import Actor
from services.money.approval import ApprovalReport, approve_batch, waiting_batches
from services.nightly.runner import run_night

APPROVER = "钱审批"
"""a distinct approver: no test names them as importer, inspector, reviewer or clerk"""


def release(engine: Engine, on: date, approver: str = APPROVER) -> ApprovalReport:
    """Release every batch waiting up to `on` as `approver` (nothing when none waits)."""
    with engine.connect() as conn:
        if not waiting_batches(conn, on=on):
            return ApprovalReport()
    return approve_batch(engine, on=on, actor=Actor(approver, "approver"))


def night_then_release(engine: Engine, on: date, approver: str = APPROVER, **night: Any) -> dict[str, Any]:
    """The night of `on`, then the release of what it ordered, as `approver`."""
    results = run_night(engine, on, **night)
    release(engine, on, approver)
    return results


def cli_release(db: str, on: date | str, approver: str = APPROVER, **run: Any) -> Any:
    """`claims approve --date ON --actor APPROVER` (says so when no batch waits); the finished process."""
    from tests.conftest import run_claims

    day = on if isinstance(on, str) else on.isoformat()
    done = run_claims("approve", "--date", day, "--actor", approver, db=db, **run)
    assert done.returncode == 0, done.stderr
    return done


def cli_night_then_release(db: str, on: date | str, *night: str, approver: str = APPROVER, **run: Any) -> Any:
    """`claims nightly --as-of ON --no-prefect [night…]` then `cli_release`; the night's finished process."""
    from tests.conftest import run_claims

    day = on if isinstance(on, str) else on.isoformat()
    done = run_claims("nightly", "--as-of", day, "--no-prefect", *night, db=db, **run)
    cli_release(db, day, approver, **run)
    return done
