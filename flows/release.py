"""The `release-payments` flow: the day's payment batch released from the Prefect UI.

It shows the batches waiting for a release (id, policy, orders, total) as an artifact, then
pauses with a form (ReleaseInput: approver name and personal release code). Resumed, it checks the
code (services/money/release_codes.py) and releases through the same function as `claims approve`
(services/money/approval.approve_batch: binds each release to its batch's hash, role and
segregation of duties, and sends the batch at once through the outbox). Not resumed within
`wait_minutes`, it ends and says the batches stay held.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

from flows.events import announce
from flows.settings import concrete_annotations
from intake.messages import msg
from models.db import database_url as configured_url
from models.db import engine_for
from services.access.actors import Actor
from services.money.approval import approve_batch
from services.money.release_codes import batch_markdown, check_code, waiting_for_release
from services.nightly import lease
from services.nightly.report import database_label


class ReleaseInput(RunInput):
    """拨付审批: your name as on the actor list, and your personal release code."""

    approver: str
    release_code: str


def release_key(on: date) -> str:
    return f"release-{on:%Y%m%d}"


@flow(name="release-payments", flow_run_name="release-payments-{on}", persist_result=False)
def release_payments(on: date, database_url: str | None = None, wait_minutes: float = 480) -> str:
    """Show the batch of `on`, wait for an approver's release, release it (or say it is held)."""
    logger = get_run_logger()
    url = database_url or configured_url()
    engine = engine_for(url)
    waiting = waiting_for_release(engine)
    if not waiting:
        return msg("release.none", day=on)
    create_markdown_artifact(markdown=batch_markdown(on, waiting), key=release_key(on),
                             description=msg("release.waiting", day=on))
    try:
        given = pause_flow_run(wait_for_input=ReleaseInput, timeout=max(1, int(wait_minutes * 60)),
                               key=release_key(on))
    except FlowPauseTimeout:
        message = msg("release.timeout", minutes=f"{wait_minutes:g}", day=on)
        create_markdown_artifact(markdown=batch_markdown(on, waiting) + f"\n**{message}**\n",
                                 key=release_key(on), description=message)
        logger.warning("%s", message)
        return message
    check_code(given.approver, given.release_code)
    with lease.held(engine, lease.holder_name("release-payments"), wait=lease.wait_seconds()):
        report = approve_batch(engine, on=on, actor=Actor(given.approver, "approver"))
    released = msg("release.list_separator").join(
        msg("release.item", batch=r.batch_id, policy=r.policy, count=r.claims, total=f"{r.amount:.2f}")
        for r in report.releases)
    message = msg("release.done", approver=given.approver, released=released)
    create_markdown_artifact(markdown=batch_markdown(on, waiting) + f"\n**{message}**\n",
                             key=release_key(on), description=message)
    announce("claims.payments.released", given.approver, database_label(url), on=on,
             releases=[{"batch": r.batch_id, "policy": r.policy, "claims": r.claims, "amount": r.amount}
                       for r in report.releases])
    logger.info("%s", message)
    return message


concrete_annotations(release_payments.fn)
