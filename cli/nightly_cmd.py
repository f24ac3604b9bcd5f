"""`claims nightly --as-of DATE`: the night's six steps, as a Prefect flow run (default) or,
with --no-prefect, as plain Python (benchmarks, emergencies when no Prefect is available).
`claims nightly worker`: one worker of a night shared by several (person-partition leases)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from cli.common import Table, business_date, console, fail, ready_engine
from flows.settings import EPHEMERAL_STARTUP_SECONDS
from intake.messages import count, msg
from services.access.scrub import scrub
from services.nightly.report import summary_rows
from services.nightly.steps import STEP_ORDER, STEP_ZH, Partition, StepResult

nightly_app = typer.Typer(no_args_is_help=False, add_completion=False)


def register(app: typer.Typer) -> None:
    nightly_app.callback(invoke_without_command=True)(nightly)
    nightly_app.command("worker")(worker)
    app.add_typer(nightly_app, name="nightly")


def nightly(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help="the business day to run, YYYY-MM-DD (required)"),
    chunk_size: int | None = typer.Option(
        None, "--chunk-size", min=1,
        help="claims per partition (default: the chunk_size setting); the steps that write in SQL take "
             "sql_partition_factor times as many (CLAIMS_SQL_PARTITION_FACTOR, default 10)"),
    workers: int | None = typer.Option(
        None, "--workers", min=1,
        help="partitions at once (default 1 on SQLite, 4 on PostgreSQL; CLAIMS_NIGHTLY_WORKERS)"),
    no_prefect: bool = typer.Option(
        False, "--no-prefect",
        help="run the steps as plain Python, without a Prefect flow run (no artifacts, no UI)"),
    hosts: int = typer.Option(
        0, "--hosts", min=0,
        help="PostgreSQL + a Prefect server: spread the night over this many nightly-worker "
             "deployment runs, one per worker host (docs/scaling.md); 0 runs it in this process"),
) -> None:
    """Run the night of business day --as-of: advances, inspections, assessment, postings, pay.

    Running it again for the same date changes nothing; one night runs per database at a time.

    A Prefect flow run named nightly-DATE, on the server at PREFECT_API_URL when set,
    else on Prefect's embedded server (20-30 s to start in each new process).

    Examples:
      claims nightly --as-of 2020-06-04
      PREFECT_API_URL=http://prefect-host:4200/api claims nightly --as-of 2020-06-04 --hosts 3
      claims nightly worker --as-of 2020-06-04 --run-key night-2020-06-04 --worker host-1
    """
    if ctx.invoked_subcommand is not None:
        return
    if as_of is None:
        fail(msg("cli.as_of_required"), code=2)
        return
    day = business_date(as_of)
    if hosts and no_prefect:
        fail(msg("cli.hosts_no_prefect"), 2)
    if hosts and not os.environ.get("PREFECT_API_URL"):
        fail(msg("cli.hosts_need_server"), 3)
    engine = ready_engine()
    results = (_without_prefect(engine, day, chunk_size) if no_prefect
               else _with_prefect(day, chunk_size, workers, hosts))
    _print_summary(day, results)


def worker(
    as_of: str = typer.Option(..., "--as-of", help="the business day to run, YYYY-MM-DD"),
    run_key: str = typer.Option(..., "--run-key", help="the same for every worker of the night"),
    name: str = typer.Option(..., "--worker", help="this worker's name (host and number)"),
    chunk_size: int | None = typer.Option(
        None, "--chunk-size", "--size", min=1,
        help="claims per partition (default: the chunk_size setting; the same for every worker)"),
) -> None:
    """Run one worker of a night that several workers share: each takes person partitions of each
    step until none is left (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED), waits for the others at
    the end of every step, and the last one anchors the audit log. docs/scaling.md.

    Example (on each of two hosts, the same run key):
      claims nightly worker --as-of 2020-05-06 --run-key night-2020-05-06 --worker "$(hostname)-1"
    """
    from services.nightly.leasing import check_names
    from services.nightly.leasing import run_night as run_shared_night
    from services.settings import chunk_size as configured_chunk_size

    try:
        check_names(run_key=run_key, worker=name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    day = business_date(as_of)
    engine = ready_engine()
    results = run_shared_night(engine, day, run_key=run_key, worker=name,
                               size=chunk_size or configured_chunk_size())
    for step, result in results.items():
        moved = sum(result.moved.values())
        console.print(msg("nightly.worker_step", name=name, step=step, chunks=result.chunks, seen=result.claims_seen,
                          moved=moved))


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[note]}"), console=console)


def _step_label(step: str) -> str:
    return f"{STEP_ORDER.index(step) + 1}. {step} {STEP_ZH[step]}"


def _with_prefect(day: date, chunk_size: int | None, workers: int | None,
                  hosts: int = 0) -> dict[str, StepResult]:
    if not os.environ.get("PREFECT_API_URL"):
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
                              str(EPHEMERAL_STARTUP_SECONDS))
        # the embedded server's telemetry writes race its own SQLite file and log "database is locked"
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        console.print(f"[dim]{msg('nightly.embedded_server')}[/dim]")
    # Prefect's own INFO chatter stays in the flow run's log; the console shows warnings up
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from flows.nightly import ChunkProgress, add_listener
    from flows.nightly import nightly as nightly_flow

    with _progress() as progress:
        bars: dict[str, TaskID] = {}

        def show(event: ChunkProgress) -> None:
            bar = bars.get(event.step)
            if bar is None:
                bar = bars[event.step] = progress.add_task(
                    _step_label(event.step), total=event.total or 1, note="",
                    completed=0 if event.total else 1)
            if event.done:
                moved = sum(event.result.moved.values()) if event.result else 0
                progress.update(bar, completed=event.done,
                                note=msg("nightly.moved", moved=moved) if event.result
                                else f"[red]{msg('nightly.step_failed')}[/red]")

        remove = add_listener(show)
        try:
            state: Any = nightly_flow(as_of=day, chunk_size=chunk_size, workers=workers,
                                      hosts=hosts, return_state=True)
        except Exception as exc:  # the flow's own errors come back as its state: this is Prefect
            fail(msg("cli.prefect_failed", problem=scrub(str(exc))), 3)
            raise
        finally:
            remove()
    console.print(msg("nightly.flow_run", day=day, state=state.name) +
                  f" [dim]({state.state_details.flow_run_id})[/dim]")
    outcome = state.result(raise_on_failure=False)
    if not state.is_completed():
        fail(str(outcome) if isinstance(outcome, BaseException) else str(state.message))
    return dict(outcome)


def _without_prefect(engine: Any, day: date, chunk_size: int | None) -> dict[str, StepResult]:
    from services.nightly import lease
    from services.nightly.runner import run_night
    from services.oversight.audit import write_anchor
    from services.settings import load_settings

    run_id = f"no-prefect-{uuid.uuid4()}"
    size = chunk_size or load_settings().chunk_size
    holder = lease.holder_name(f"nightly-{day} {run_id}")
    with _progress() as progress:
        bars: dict[str, TaskID] = {}

        def show(partition: Partition, result: StepResult) -> None:
            step = result.step
            if step not in bars:
                bars[step] = progress.add_task(_step_label(step), total=None, note="")
            progress.advance(bars[step])
            progress.update(bars[step], note=msg("nightly.last_partition", claims=result.claims_seen))

        try:
            with lease.held(engine, holder, run_id=run_id):
                results = run_night(engine, day, run_id=run_id, size=size, on_chunk=show)
                write_anchor(engine, day, run_id)
        except lease.LeaseHeld as exc:
            fail(exc, 3)
            raise
    return results


def _print_summary(day: date, results: Mapping[str, StepResult]) -> None:
    table = Table(title=f"nightly-{day}")
    rows = summary_rows(results)
    columns = ["step", "policy", "claims moved", "to state", "money (yuan)", "set aside"]
    for column, heading in zip(columns, msg("nightly.header").split("|"), strict=True):
        table.add_column(heading, justify="right" if column in ("claims moved", "set aside")
                         else "left")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)
    aside = sum(len(r.set_aside) for r in results.values())
    if aside:
        console.print(msg("nightly.set_aside", claims=count(aside, "claim")), markup=False)
    from services.money.funds import unlimited_warning
    from services.settings import load_settings

    if unlimited_warning(load_settings()):
        console.print(f"[yellow]{msg('import.warning')}[/yellow] {msg('funds.unlimited')}")
    from services.oversight.holds import waiting_count

    if waiting := waiting_count(ready_engine()):
        console.print(msg("nightly.held_for_review", claims=count(waiting, "claim")), markup=False)

