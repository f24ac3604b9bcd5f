"""Deployment flow: run again the step of claims set aside by a failed step (`claims retry`)."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from flows.settings import concrete_annotations, night_timeout_seconds
from intake.messages import msg
from models.db import database_url as configured_url
from models.db import engine_for
from models.schema import require_current
from services.access.actors import actor_from
from services.access.scrub import scrub
from services.nightly import lease
from services.nightly.business_day import local_day
from services.oversight.failures import RetryReport, retry


def _run_name() -> str:
    return f"retry-{flow_run.get_parameters().get('claim_id') or 'all'}"


@flow(name="retry-failed", flow_run_name=_run_name, persist_result=False, timeout_seconds=night_timeout_seconds())
def retry_failed(claim_id: str | None = None, policy: str | None = None, on: date | None = None,
                 actor: str | None = None, database_url: str | None = None) -> RetryReport:
    """Retry one set-aside claim (`claim_id`) or all of them (None), as an administrator, on
    business date `on` (default: the run's scheduled day in Asia/Shanghai). Holds the nightly
    lease, so it never runs beside a night."""
    logger = get_run_logger()
    engine = engine_for(database_url or configured_url())
    require_current(engine)
    day = on or local_day(flow_run.get_scheduled_start_time())
    run_id = flow_run.get_id()
    with lease.held(engine, lease.holder_name(f"retry flow run {run_id}"),
                    run_id=str(run_id) if run_id else None, wait=lease.wait_seconds()):
        report = retry(engine, actor=actor_from(actor, "admin"), on=day, claim_id=claim_id,
                       policy=policy, run_id=run_id)
    if report.note:
        logger.info("%s", report.note)
    still = {f.claim_pk for f in report.still_failed}
    logger.info("retried %d claims; %d still set aside", len(report.chosen), len(still))
    create_table_artifact(key="retry-failed", description=msg("artifact.retry", day=day), table=[
        {"claim_id": f.claim_id, "policy": f.policy, "step": f.step,
         "was": scrub(f.reason), "now": "still set aside" if f.claim_pk in still else "released"}
        for f in report.chosen] or [{"claim_id": "-", "policy": "-", "step": "-",
                                     "was": "nothing set aside", "now": "-"}])
    return report


concrete_annotations(retry_failed.fn)
