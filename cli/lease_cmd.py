"""`claims lease show` / `claims lease release`, and the guard other commands take the lease with.

Commands that change claims a night changes (claims retry, claims bank import, claims recover,
claims recovered, claims approve) hold the nightly lease while they run: beside a running night
they wait (CLAIMS_LEASE_WAIT_SECONDS) and then stop with a sentence naming the holder, exit 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from sqlalchemy import insert

from cli.common import ActorOption, console, fail, ready_engine
from intake.messages import explain, msg
from models.tables import LEASE_RELEASE
from services.access.actors import actor_from
from services.access.roles import Forbidden, check_role
from services.nightly import lease

ENVIRONMENT = 3
"""exit code of a command stopped by its environment (lock, lease, server)"""


@contextmanager
def night_lease(engine: Any, label: str) -> Iterator[None]:
    """Hold the nightly lease for one command, waiting a bounded while for a running night."""
    holder = lease.holder_name(f"claims {label}")
    try:
        with lease.held(engine, holder, wait=lease.wait_seconds()):
            yield
    except lease.LeaseHeld as exc:
        fail(msg("cli.lease_wait", label=label, seconds=f"{lease.wait_seconds():.0f}", problem=explain(exc)),
             ENVIRONMENT)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The nightly lease (夜间批处理锁): who holds it; an administrator's release.\n\n"
                             "Example: claims lease show; claims lease release --actor 系统管理员",
                        no_args_is_help=True)
    group.command("show")(show)
    group.command("release")(release)
    app.add_typer(group, name="lease")


def show() -> None:
    """Who holds the nightly lease: host, pid, flow run id, generation, and when it lapses.

    Example: claims lease show
    """
    engine = ready_engine()
    current = lease.show(engine)
    if current is None:
        console.print(msg("lease.free"))
        return
    lapsed = current.expires_at <= datetime.now(UTC)
    console.print(msg("lease.shown_lapsed" if lapsed else "lease.shown_held", holder=current.holder))
    console.print(msg("lease.where", host=current.host or "-", pid=current.pid or "-", run_id=current.run_id or "-",
                      generation=current.generation))
    console.print(msg("lease.times", since=f"{current.acquired_at:%Y-%m-%d %H:%M:%S}",
                      until=f"{current.expires_at:%Y-%m-%d %H:%M:%S}"))


def release(actor: str | None = ActorOption) -> None:
    """Release the nightly lease by hand (administrator only; recorded in lease_release). The holder,
    if it still runs, stops at its next commit instead of writing (fencing).

    Example: claims lease release --actor 系统管理员
    """
    engine = ready_engine()
    who = actor_from(actor, "admin")
    try:
        check_role(who)
    except Forbidden as exc:
        fail(exc)
    current = lease.force_release(engine)
    if current is None:
        console.print(msg("lease.nothing_released"))
        return
    with engine.begin() as conn:
        conn.execute(insert(LEASE_RELEASE).values(name=current.name, holder=current.holder,
                                                  generation=current.generation, actor=who.name))
    from flows.events import announce
    from models.db import database_url
    from services.nightly.report import database_label

    announce("claims.lease.released", who.name, database_label(database_url()), holder=current.holder,
             generation=current.generation, released=1)
    console.print(msg("lease.released", holder=current.holder, generation=current.generation, actor=who.name))
