"""The nightly Prefect flow: the six steps in order, each fanned out over person partitions.

A task runs one partition (a few thousand claims, one transaction) and retries on database
I/O; every step is idempotent in the database, so a retried chunk or a re-run night finds its
own finished work and does nothing twice. The flow holds the database's nightly lease, and
publishes what operations staff see: a progress artifact updated as partitions finish (at most
once a second), the night's summary table, the day's new postings (masked) and logs that name
claims by claim id only.

With `hosts=N` the night's partitions are not run here: the flow starts N runs of the
`nightly-worker` deployment (flows/nightly_worker.py, one per worker host of the process pool)
under one run key, its own flow run id, waits for all of them, and reads what they did back
from the database (services.nightly.leasing) for the same artifacts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.events import emit_event
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import flow_run
from prefect.states import Cancelled

from flows import registry
from flows.settings import (
    DEFAULT_CHUNK_RETRIES,
    FANOUT_POLL_SECONDS,
    LEASE_RENEW_SECONDS,
    WORKER_DEPLOYMENT,
    chunk_timeout_seconds,
    concrete_annotations,
    default_workers,
    fanout_start_seconds,
    night_timeout_seconds,
    retry_delays,
    set_aside_alert_threshold,
)
from intake.messages import msg
from models.db import database_url as configured_url
from models.db import engine_for
from models.schema import require_current
from services.access.scrub import scrub
from services.money.outbox import PAYING_STEPS, dispatch
from services.nightly import lease, leasing
from services.nightly.business_day import day_just_ended
from services.nightly.moves import RETRYABLE
from services.nightly.report import (
    batch_lines,
    night_markdown,
    postings_markdown,
    set_aside_count,
    set_aside_rows,
    summary_rows,
    week_rows,
)
from services.nightly.report import database_label as database_tag
from services.nightly.steps import STEP_ORDER, STEP_ZH, Partition, StepResult
from services.oversight.audit import write_anchor
from services.settings import load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

SET_ASIDE_LOGGED = 200
PROGRESS_EVERY_SECONDS = 1.0
"""the progress artifact is updated after a partition at most this often, and when a step ends: an
update is a call to the Prefect API, and a night of a province has thousands of partitions"""
"""set-aside claims named one per log line; beyond that the log points to `claims failed`"""



class ChunkFailed(RuntimeError):
    """A partition's transaction failed; the message is scrubbed of identity numbers."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class NightStopped(RuntimeError):
    """A step could not finish every partition; later steps were not run."""


class FanOutFailed(NightStopped):
    """A worker run of a fanned-out night failed, or no worker picked it up in time."""


@dataclass(frozen=True, slots=True)
class ChunkProgress:
    """What a listener (the CLI's progress display) hears after each partition."""

    step: str
    done: int
    total: int
    result: StepResult | None
    error: str | None = None


Listener = Callable[[ChunkProgress], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> Callable[[], None]:
    """Hear every finished partition of flows run in this process; returns the remover."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def _tell(progress: ChunkProgress) -> None:
    for listener in list(_listeners):
        listener(progress)


def _retry_on_io(_task: Any, _run: Any, state: Any) -> bool:
    try:
        state.result()
    except ChunkFailed as exc:
        return exc.retryable
    except Exception:
        return False
    return False


@task(name="partitions", retries=DEFAULT_CHUNK_RETRIES, retry_condition_fn=_retry_on_io,
      cache_policy=NO_CACHE, persist_result=False, task_run_name="{step}-partitions")
def list_partitions(step: str, url: str, as_of: date, chunk_size: int) -> list[Partition]:
    partitions_fn, _ = registry.steps()[step]
    try:
        return partitions_fn(engine_for(url), as_of, chunk_size)
    except Exception as exc:
        raise ChunkFailed(f"{step}: listing partitions failed: {scrub(str(exc))}",
                          retryable=isinstance(exc, RETRYABLE)) from None


@task(name="chunk", retries=DEFAULT_CHUNK_RETRIES, retry_condition_fn=_retry_on_io,
      cache_policy=NO_CACHE, persist_result=False, task_run_name="{step}-{index}")
def run_chunk(step: str, index: int, partition: Partition, url: str, as_of: date,
              run_id: str | None) -> StepResult:
    """One partition of one step: a single transaction in the service layer."""
    _, chunk_fn = registry.steps()[step]
    try:
        return chunk_fn(engine_for(url), partition, as_of, run_id)
    except Exception as exc:
        raise ChunkFailed(
            f"{step} partition {index} (person keys {partition.lo}..{partition.hi}, "
            f"{partition.claims} claims): {type(exc).__name__}: {scrub(str(exc))}",
            retryable=isinstance(exc, RETRYABLE),
        ) from None


@task(name="anchor", retries=DEFAULT_CHUNK_RETRIES, retry_condition_fn=_retry_on_io,
      cache_policy=NO_CACHE, persist_result=False)
def anchor(url: str, as_of: date, run_id: str | None) -> int | None:
    """Anchor the event-chain heads the night wrote (none written: no anchor)."""
    try:
        return write_anchor(engine_for(url), as_of, run_id)
    except Exception as exc:
        raise ChunkFailed(f"anchoring the audit log failed: {scrub(str(exc))}",
                          retryable=isinstance(exc, RETRYABLE)) from None


class _ThreadTimeoutNotedOnce(logging.Filter):
    """Prefect warns on every task run that its time limit cannot interrupt a blocking call in a
    worker thread — a warning per partition, thousands a night, in the operators' log. The first of
    each flow run is kept; the repeats say nothing new (docs/operations.md "Time limits")."""

    def __init__(self) -> None:
        super().__init__()
        self._runs: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if "running in a worker thread" not in str(record.msg):
            return True
        run = str(getattr(record, "flow_run_id", None))
        if run in self._runs:
            return False
        if len(self._runs) > 1000:
            self._runs.clear()
        self._runs.add(run)
        return True


logging.getLogger("prefect.task_runs").addFilter(_ThreadTimeoutNotedOnce())


def _with_retry_delays(io_task: Any) -> Any:
    """The task with this deployment's retry delays (CLAIMS_NIGHTLY_RETRY_DELAYS) and time limit
    (CLAIMS_CHUNK_TIMEOUT_SECONDS), read at run time."""
    delays = list(retry_delays())
    return io_task.with_options(retries=len(delays), retry_delay_seconds=delays,
                                timeout_seconds=chunk_timeout_seconds())


def _run_step(step: str, parts: list[Partition], url: str, as_of: date, run_id: str | None,
              workers: int, on_done: Callable[[int, StepResult | None, str | None], None],
              ) -> tuple[StepResult, list[str]]:
    """Submit the partitions, at most `workers` at a time; merge results as they finish."""
    chunk = _with_retry_delays(run_chunk)
    merged, errors = StepResult(step), list[str]()
    queue = list(enumerate(parts))
    pending: list[PrefectFuture[StepResult]] = []
    done = 0
    while queue or pending:
        while queue and len(pending) < workers:
            index, part = queue.pop(0)
            pending.append(chunk.submit(step, index, part, url, as_of, run_id))
        finished = next(as_completed(pending))
        pending.remove(finished)
        done += 1
        outcome = finished.result(raise_on_failure=False)
        if isinstance(outcome, StepResult):
            merged.merge(outcome)
            on_done(done, outcome, None)
        else:
            errors.append(scrub(str(outcome)))
            on_done(done, None, errors[-1])
    return merged, errors


def artifact_keys(as_of: date) -> dict[str, str]:
    """The night's artifact keys: one set per business date, so the Artifacts page shows one
    entry per night whose latest version is the last attempt's."""
    day = f"{as_of:%Y%m%d}"
    return {"night": f"nightly-{day}", "summary": f"nightly-summary-{day}",
            "set aside": f"nightly-set-aside-{day}", "postings": f"nightly-postings-{day}",
            "progress": f"nightly-progress-{day}"}


def week_key(as_of: date) -> str:
    year, week, _ = as_of.isocalendar()
    return f"nightly-week-{year}-w{week:02d}"


def _best_effort(what: str, action: Callable[[], Any]) -> None:
    """Run a call to the Prefect API that only dresses the run; a failure is logged, not raised."""
    try:
        action()
    except Exception as exc:  # the night's work must not depend on its decoration
        get_run_logger().warning("could not %s: %s", what, scrub(str(exc)))


def _alert(event: str, url: str, as_of: date, **payload: Any) -> None:
    """An event the alert automations (flows/alerts.py) listen for; best effort."""
    label = database_tag(url)
    _best_effort(f"emit {event}", lambda: emit_event(
        event, resource={"prefect.resource.id": f"claims.database.{label}",
                         "prefect.resource.name": label},
        payload={"as_of": as_of.isoformat(), **payload}))


def _note_config(engine: Engine, url: str, as_of: date, logger: Any) -> None:
    """Overrides or settings other than the last night's: recorded (config_seen) and told to the
    event feed as claims.overrides.changed / claims.settings.changed, with the file's owner as
    actor and the entries that changed. Never stops the night."""
    from services.oversight.config_watch import note_changes

    try:
        changes = note_changes(engine, as_of)
    except Exception as exc:
        logger.warning("could not compare the overrides and settings with the last night's: %s", scrub(str(exc)))
        return
    for change in changes:
        logger.info("%s %s: %s (%d entries changed: %s)", change.kind, change.source,
                    "first seen" if change.previous is None else "changed since the last night",
                    len(change.changed), ", ".join(change.changed[:20]))
        _alert(f"claims.{change.kind}.changed", url, as_of, actor=change.owner or "unknown",
               actor_is="the file's owner on disk", source=change.source, sha256=change.sha256,
               previous=change.previous, first_seen=change.previous is None,
               changed=len(change.changed), entries=change.changed[:50])


def _tag_run(run_id: str | None, as_of: date, url: str) -> None:
    """Tag this flow run with its business date and database, so the morning finds it by both."""
    if not run_id:
        return

    def tag() -> None:
        with get_client(sync_client=True) as client:
            current = client.read_flow_run(UUID(run_id))
            tags = sorted(set(current.tags) | {f"as_of:{as_of.isoformat()}", database_tag(url)})
            client.update_flow_run(UUID(run_id), tags=tags)
    _best_effort("tag the run", tag)


def _forget_earlier_attempt(run_id: str | None) -> None:
    """A retried run (same flow run, run_count > 1) deletes the artifacts its failed attempt
    made, so the run shows one honest set (the keyed history keeps the failed versions)."""
    if not run_id or flow_run.get_run_count() <= 1:
        return
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    def forget() -> None:
        with get_client(sync_client=True) as client:
            for artifact in client.read_artifacts(artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)]))):
                client.delete_artifact(artifact.id)
    _best_effort("remove the earlier attempt's artifacts", forget)


def _publish(results: dict[str, StepResult], url: str, as_of: date, failed: str | None) -> None:
    keys = artifact_keys(as_of)
    create_table_artifact(
        table=summary_rows(results, failed), key=keys["summary"],
        description=msg("artifact.summary", day=as_of),
    )
    aside = set_aside_rows(results)
    linked = {"summary 汇总": keys["summary"], "postings 公示": keys["postings"],
              "progress 进度": keys["progress"], "week 本周": week_key(as_of)}
    if aside:
        create_table_artifact(table=aside, key=keys["set aside"],
                              description=msg("artifact.set_aside", day=as_of))
        linked["set aside 搁置"] = keys["set aside"]
    engine = engine_for(url)
    create_markdown_artifact(markdown=postings_markdown(engine, as_of), key=keys["postings"],
                             description=msg("artifact.postings", day=as_of))
    create_table_artifact(table=week_rows(engine, as_of), key=week_key(as_of),
                          description=msg("artifact.week", day=as_of))
    from services.oversight.holds import night_lines  # signals holding claims, the fund-budget warning
    oversight = night_lines(engine, as_of, load_settings())
    create_markdown_artifact(markdown=night_markdown(as_of, results, failed, linked, database_tag(url),
                                                     [*batch_lines(engine, as_of), "", *oversight]),
                             key=keys["night"], description=msg("artifact.night", day=as_of))


@task(name="anchor-once", retries=DEFAULT_CHUNK_RETRIES, retry_condition_fn=_retry_on_io,
      cache_policy=NO_CACHE, persist_result=False)
def anchor_fanned_out(url: str, as_of: date, run_key: str, holder: str) -> bool:
    """The workers' last one anchored the audit log; this only anchors if none did."""
    try:
        return leasing.anchor_once(engine_for(url), as_of, run_key=run_key, worker=holder)
    except Exception as exc:
        raise ChunkFailed(f"anchoring the audit log failed: {scrub(str(exc))}",
                          retryable=isinstance(exc, RETRYABLE)) from None


def _share_done(progress: dict[str, tuple[int, int]]) -> float:
    """Share of the night done (0-100): steps whose partitions are all done count whole."""
    done = sum(d / n if n else 1.0 for d, n in progress.values())
    return min(done / len(STEP_ORDER), 1.0) * 100


def _launch_workers(as_of: date, run_key: str, size: int, hosts: int,
                    database_url: str | None) -> list[FlowRun]:
    parameters: dict[str, Any] = {"as_of": as_of.isoformat(), "run_key": run_key, "size": size}
    if database_url:
        parameters["database_url"] = database_url
    return [cast(FlowRun, run_deployment(WORKER_DEPLOYMENT, parameters=parameters, timeout=0,
                                         flow_run_name=f"nightly-worker-{as_of}-{n}-of-{hosts}",
                                         tags=["claims", "nightly-worker"]))
            for n in range(1, hosts + 1)]


def _wait_for_workers(launched: list[FlowRun], engine: Engine, holder: str, run_key: str,
                      on_progress: Callable[[dict[str, tuple[int, int]]], None]) -> list[FlowRun]:
    """Poll the worker runs until every one is final, renewing the nightly lease meanwhile. A
    run nobody picked up within the start allowance is cancelled (its share is done by the
    others if any started; the night then fails all the same, so an operator looks)."""
    started = time.monotonic()
    renewed = started
    allowance = fanout_start_seconds()
    seen: dict[str, tuple[int, int]] = {}
    with get_client(sync_client=True) as client:
        while True:
            runs = [client.read_flow_run(run.id) for run in launched]
            now = time.monotonic()
            if now - renewed >= LEASE_RENEW_SECONDS:
                lease.renew(engine, holder)
                renewed = now
            current = leasing.progress(engine, run_key)
            if current != seen:
                seen = current
                on_progress(current)
            if all(run.state is not None and run.state.is_final() for run in runs):
                return runs
            if now - started > allowance:
                for run in runs:
                    if run.state is None or run.state.is_scheduled() or run.state.is_pending():
                        client.set_flow_run_state(run.id, Cancelled(
                            message=f"no worker of the pool started it within {allowance:.0f} s"), force=True)
            time.sleep(FANOUT_POLL_SECONDS)


def _fan_out(as_of: date, url: str, engine: Engine, holder: str, run_key: str, size: int,
             hosts: int, database_url: str | None, progress_id: UUID, logger: Any,
             ) -> dict[str, StepResult]:
    if url.startswith("sqlite"):
        raise FanOutFailed("hosts > 0 needs PostgreSQL: worker hosts cannot share a SQLite file "
                           "(run the night with hosts=0 there)")
    launched = _launch_workers(as_of, run_key, size, hosts, database_url)
    logger.info("night %s fanned out to %d nightly-worker runs (run key %s): %s", as_of, hosts, run_key,
                ", ".join(str(run.name) for run in launched))

    def on_progress(progress: dict[str, tuple[int, int]]) -> None:
        step = next((s for s in reversed(STEP_ORDER) if s in progress), None)
        where = f"{step} {progress[step][0]}/{progress[step][1]}" if step else "starting"
        update_progress_artifact(artifact_id=progress_id, progress=_share_done(progress),
                                 description=f"nightly-{as_of} on {hosts} hosts: {where}")

    finished = _wait_for_workers(launched, engine, holder, run_key, on_progress)
    for worker, taken in sorted(leasing.taken_by(engine, run_key).items()):
        logger.info("worker %s ran %d partitions", worker, taken)
    failed = [run for run in finished if run.state is None or not run.state.is_completed()]
    if failed:
        raise FanOutFailed(
            "; ".join(f"{run.name}: {run.state.name if run.state else 'no state'}"
                      f" ({scrub(run.state.message or '') if run.state else ''})" for run in failed)
            + f". Partitions the workers finished stay done; run the night again (claims nightly "
            f"--as-of {as_of}, or Retry in the UI): work already done is not repeated.")
    missing = [step for step in STEP_ORDER if step not in leasing.published(engine, run_key)
               or leasing.unfinished(engine, run_key, step)]
    if missing:
        raise FanOutFailed(
            f"the worker runs completed but steps {', '.join(missing)} of run key {run_key} are not "
            "done in this database: do the worker hosts' CLAIMS_DATABASE_URL name the same database "
            "as this flow's?")
    return leasing.results(engine, run_key)


def business_date(given: date | str | None) -> date:
    """The night's business date: `given`, or (a scheduled run) the day that ended before the
    run's scheduled start, so a late or retried run keeps its date."""
    if given is None:
        return day_just_ended(flow_run.get_scheduled_start_time())
    return given if isinstance(given, date) else date.fromisoformat(given)


def _run_name() -> str:
    return f"nightly-{business_date(flow_run.get_parameters().get('as_of'))}"


@flow(name="nightly", flow_run_name=_run_name, persist_result=False,
      timeout_seconds=night_timeout_seconds(),
      description="Pay advances, apply inspections, assess, post, close postings, pay what is due.")
def nightly(as_of: date | None = None, database_url: str | None = None,
            chunk_size: int | None = None, workers: int | None = None, hosts: int = 0,
            ) -> dict[str, StepResult]:
    """Run the night of business day `as_of` (default: the day that ended before the run's
    scheduled start — the 02:00 deployment). Running it again for the same date changes nothing.

    `chunk_size` (claims per partition) defaults to the product setting (services.settings);
    `workers` (partitions at once) to 1 on SQLite, 4 on PostgreSQL (CLAIMS_NIGHTLY_WORKERS).
    `hosts` > 0 (PostgreSQL only) runs the partitions in that many `nightly-worker` deployment
    runs instead, one per worker host of the process pool (`workers` is then not used).
    """
    logger = get_run_logger()
    day = business_date(as_of)
    url = database_url or configured_url()
    engine = engine_for(url)
    require_current(engine)
    run_id = flow_run.get_id()
    _tag_run(run_id, day, url)
    _forget_earlier_attempt(run_id)
    return _night(day, url, engine, run_id, logger, chunk_size, workers, hosts, database_url)


def _night(as_of: date, url: str, engine: Engine, run_id: str | None, logger: Any,
           chunk_size: int | None, workers: int | None, hosts: int, database_url: str | None,
           ) -> dict[str, StepResult]:
    parallel = workers or default_workers(url)
    size = chunk_size or load_settings().chunk_size
    holder = lease.holder_name(f"nightly-{as_of} flow run {run_id}")
    previous = lease.show(engine)
    try:
        lease.acquire(engine, holder, run_id=str(run_id) if run_id else None)
    except lease.LeaseHeld as exc:
        _alert("claims.lease.held", url, as_of, message=scrub(str(exc)))
        raise
    lapsed = lease.takeover_reason(previous, run_id=str(run_id) if run_id else None) if previous else None
    if previous is not None and lapsed and previous.run_id != (str(run_id) if run_id else None):
        # the last holder never released it: it died or hung holding the lease past its lapse
        _alert("claims.lease.lapsed", url, as_of, holder=scrub(previous.holder), reason=lapsed,
               lapsed_at=previous.expires_at.isoformat(), generation=previous.generation)
    heartbeat = lease.Heartbeat(engine, holder).__enter__()
    _note_config(engine, url, as_of, logger)
    progress_id = cast(UUID, create_progress_artifact(
        progress=0.0, key=artifact_keys(as_of)["progress"], description=f"nightly-{as_of}: starting"))
    listing = _with_retry_delays(list_partitions)
    results: dict[str, StepResult] = {}
    failed: str | None = None
    finished = False
    try:
        if hosts > 0:
            run_key = str(run_id) if run_id else holder[:64]
            try:
                results = _fan_out(as_of, url, engine, holder, run_key, size, hosts, database_url,
                                   progress_id, logger)
            finally:
                if not results:
                    results = leasing.results(engine, run_key)
                for step in STEP_ORDER:
                    if step in results:
                        _log_step(logger, results[step])
            _with_retry_delays(anchor_fanned_out)(url, as_of, run_key, holder)
            dispatch(engine, as_of)
            update_progress_artifact(artifact_id=progress_id, progress=100.0,
                                     description=f"nightly-{as_of} on {hosts} hosts: done")
            finished = True
            return results
        for number, step in enumerate(STEP_ORDER):
            lease.renew(engine, holder)
            parts = listing(step, url, as_of, size)
            logger.info("step %s (%s): %d partitions, %d claims", step, STEP_ZH[step],
                        len(parts), sum(p.claims for p in parts))
            _tell(ChunkProgress(step, 0, len(parts), None))

            succeeded = [0]
            shown = [time.monotonic()]

            def on_done(done: int, result: StepResult | None, error: str | None,
                        step: str = step, number: int = number, total: int = len(parts),
                        succeeded: list[int] = succeeded, shown: list[float] = shown) -> None:
                if error is None:
                    succeeded[0] += 1
                lost = done - succeeded[0]
                now = time.monotonic()
                if lost or now - shown[0] >= PROGRESS_EVERY_SECONDS:
                    shown[0] = now
                    update_progress_artifact(
                        artifact_id=progress_id, progress=(number + succeeded[0] / total) / len(STEP_ORDER) * 100,
                        description=f"nightly-{as_of}: {step} {succeeded[0]}/{total}"
                                    + (f", {lost} failed" if lost else ""))
                _tell(ChunkProgress(step, done, total, result, error))

            merged, errors = _run_step(step, parts, url, as_of, run_id, parallel, on_done)
            results[step] = merged
            _log_step(logger, merged)
            if step in PAYING_STEPS and not errors:
                dispatch(engine, as_of)
            if errors:
                failed = step
                update_progress_artifact(
                    artifact_id=progress_id,
                    progress=(number + (len(parts) - len(errors)) / len(parts)) / len(STEP_ORDER) * 100,
                    description=f"nightly-{as_of}: FAILED at {step} ({STEP_ZH[step]}): "
                                f"{len(errors)} of {len(parts)} partitions failed")
                for error in errors:
                    logger.error("%s", error)
                raise NightStopped(
                    f"step {step}: {len(errors)} of {len(parts)} partitions failed after retries; "
                    "their claims stay where they were and later steps did not run. Fix the "
                    f"cause, then run the night again (claims nightly --as-of {as_of}): work "
                    "already done is not repeated."
                )
            update_progress_artifact(artifact_id=progress_id,
                                     progress=(number + 1) / len(STEP_ORDER) * 100,
                                     description=f"nightly-{as_of}: {step} done")
        _with_retry_delays(anchor)(url, as_of, run_id)
        finished = True
    finally:
        heartbeat.__exit__()
        if not finished and failed is None:
            failed = next((s for s in STEP_ORDER if s not in results), None)
        aside = set_aside_count(results)
        if aside > set_aside_alert_threshold():
            _alert("claims.night.set-aside", url, as_of, set_aside=aside,
                   threshold=set_aside_alert_threshold())
        try:
            _publish(results, url, as_of, failed)
        except Exception:
            if finished:
                raise
            logger.warning("publishing the night's artifacts failed after the night's own error",
                           exc_info=True)
        finally:
            # a release error never hides the night's own error
            lease.release_quietly(engine, holder, raise_errors=finished)
    return results


def _log_step(logger: Any, result: StepResult) -> None:
    moved = ", ".join(f"{p} -> {s}: {n}" for (p, s), n in sorted(result.moved.items()))
    money = ", ".join(f"{p} {k}: {a}" for (p, k), a in sorted(result.money.items()))
    logger.info("step %s done: %d claims seen, moved [%s], money [%s], %d set aside",
                result.step, result.claims_seen, moved or "none", money or "none",
                len(result.set_aside))
    for policy, claim_id, reason in result.set_aside[:SET_ASIDE_LOGGED]:
        logger.warning("set aside by %s: %s claim %s — %s", result.step, policy, claim_id,
                       scrub(reason))
    if len(result.set_aside) > SET_ASIDE_LOGGED:
        logger.warning("… and %d more set aside by %s; list them with `claims failed`",
                       len(result.set_aside) - SET_ASIDE_LOGGED, result.step)


concrete_annotations(nightly.fn)
