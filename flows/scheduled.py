"""Entry flows for deployments: they work out the business date at run time from the run's
scheduled start (not the clock), then call the flow that does the work."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.runtime import flow_run

from flows.nightly import nightly
from services.nightly.business_day import day_just_ended
from services.nightly.steps import StepResult


def _as_of(given: date | str | None) -> date:
    if given is None:
        return day_just_ended(flow_run.get_scheduled_start_time())
    return given if isinstance(given, date) else date.fromisoformat(given)


def _run_name() -> str:
    return f"scheduled-nightly-{_as_of(flow_run.get_parameters().get('as_of'))}"


@flow(name="scheduled-nightly", flow_run_name=_run_name, persist_result=False)
def scheduled_nightly(as_of: date | None = None, database_url: str | None = None,
                      chunk_size: int | None = None, hosts: int = 0) -> dict[str, StepResult]:
    """The 02:00 Asia/Shanghai run: the night of the business day that just ended (or `as_of`);
    `hosts` > 0 fans it out to that many nightly-worker runs (flows/nightly.py)."""
    return nightly(as_of=_as_of(as_of), database_url=database_url, chunk_size=chunk_size, hosts=hosts)
