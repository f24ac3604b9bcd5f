"""Deployment flow: file the claims of one file (`claims import` as a Prefect run)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from flows.settings import concrete_annotations, night_timeout_seconds
from intake.messages import msg
from models.db import database_url as configured_url
from models.db import engine_for
from models.schema import require_current
from services.access.actors import actor_from
from services.access.scrub import scrub
from services.importing.filing import ImportReport, import_file
from services.nightly.business_day import local_day

REJECTIONS_LISTED = 1000
"""rejected rows listed in the artifact; all of them are kept in the database"""


def _run_name() -> str:
    return f"import-{Path(str(flow_run.get_parameters().get('path', ''))).name}"


@flow(name="import-file", flow_run_name=_run_name, persist_result=False, timeout_seconds=night_timeout_seconds())
def import_claims_file(path: str, on: date | None = None, actor: str | None = None,
                       database_url: str | None = None) -> ImportReport:
    """File every valid row of `path` on business date `on` (default: the run's scheduled day
    in Asia/Shanghai); invalid rows are kept with their reasons (`claims export rejected`)."""
    logger = get_run_logger()
    engine = engine_for(database_url or configured_url())
    require_current(engine)
    day = on or local_day(flow_run.get_scheduled_start_time())
    report = import_file(engine, Path(path), actor=actor_from(actor, "clerk"), on=day)
    logger.info("%s: %d rows — filed %d, skipped %d, conflicts %d, rejected %d", report.file_name,
                report.rows, report.filed, report.skipped, report.conflicts, report.rejected)
    create_markdown_artifact(
        key="import-summary", description=msg("artifact.import", file=report.file_name, day=day),
        markdown=(f"# {report.file_name} (batch {report.batch_id})\n\n"
                  "| rows | filed | skipped | conflicts | rejected |\n|---:|---:|---:|---:|---:|\n"
                  f"| {report.rows} | {report.filed} | {report.skipped} | {report.conflicts} | "
                  f"{report.rejected} |\n"
                  + "".join(f"\n- {scrub(w)}" for w in report.warnings)))
    if report.rejections:
        create_table_artifact(key="import-rejections", table=[
            {"row": r.row, "claim_id": r.claim_id or "", "kind": r.kind,
             "errors": scrub("; ".join(str(e) for e in r.errors))}
            for r in report.rejections[:REJECTIONS_LISTED]],
            description=msg("artifact.import_rejections", file=report.file_name))
    return report


concrete_annotations(import_claims_file.fn)
