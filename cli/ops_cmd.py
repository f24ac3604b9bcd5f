"""Operations on claims after assessment: objections and their review, recoveries, the bank's
statement, the set-aside list and retries. (`claims nightly` lives in cli/nightly_cmd.py.)"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from cli.bank_cmd import bank_copy, bank_resolve
from cli.common import ActorOption, OnOption, Table, business_date, console, fail, ready_engine
from cli.lease_cmd import night_lease
from flows.events import announce, counts_of
from intake.messages import count, explain, localise_stored, msg
from models.db import database_url
from services.access.actors import actor_from
from services.access.roles import Forbidden
from services.error_codes import reason_text
from services.lookup import AmbiguousClaim, ClaimNotFound
from services.money.approval import ApprovalError, approve_batch, finish_released, waiting_batches
from services.money.payments import import_bank_statement
from services.money.recovery import RECOVERY_REASONS, RecoveryError, demand_recovery, record_returns
from services.nightly.moves import StaleClaims
from services.nightly.report import database_label
from services.objections import ObjectionError, raise_objection, review_objection
from services.oversight.failures import list_failures, retry
from services.settings import SettingsError
from states.lifecycle import IllegalTransition

PolicyOption = typer.Option(None, "--policy", help="needed when the claim id exists under several policies")
EXPECTED = (ClaimNotFound, AmbiguousClaim, IllegalTransition, ObjectionError, RecoveryError, Forbidden,
            StaleClaims, SettingsError, ApprovalError, ValueError)


def register(app: typer.Typer) -> None:
    app.command("object")(object_)
    app.command("review")(review)
    app.command("recover")(recover)
    app.command("recovered")(recovered)
    app.command("failed")(failed)
    app.command("retry")(retry_cmd)
    app.command("approve")(approve)
    bank = typer.Typer(help="The bank's statements (银行回单): confirming or failing payments.\n\n"
                            "Example: claims bank import 回单.xlsx --on 2020-06-15",
                       no_args_is_help=True)
    bank.command("import")(bank_import)
    bank.command("resolve")(bank_resolve)
    bank.command("copy")(bank_copy)
    app.add_typer(bank, name="bank")


def _announce(event: str, report: Any, actor: str | None, role: str, **details: Any) -> None:
    """The action in the Prefect event feed (best effort, flows.events): who, with what counts."""
    announce(event, actor_from(actor, role).name, database_label(database_url()),
             **{**counts_of(report), **details})


@contextmanager
def _plain_errors() -> Iterator[None]:
    try:
        yield
    except EXPECTED as exc:
        fail(exc)


def _rows(path: Path) -> list[tuple[int, Any]]:
    from intake.readers import UnreadableFile, read_rows

    try:
        return list(read_rows(path))
    except UnreadableFile as exc:
        fail(f"{path}: {explain(exc)}")
        raise  # unreachable: fail() exits


def object_(
    claim_id: str = typer.Argument(..., help="the claim on the posting notice"),
    reason: str = typer.Option(..., "--reason", help="what the objection says"),
    policy: str | None = PolicyOption,
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Record an objection (异议) during the posting window; the claim waits for `claims review`.

    Example: claims object G001 --reason "培训期间未到场" --on 2020-06-05 --actor 张经办
    """
    engine = ready_engine()
    with _plain_errors(), night_lease(engine, "object"):
        outcome = raise_objection(engine, claim_id, reason=reason, actor=actor_from(actor, "clerk"),
                                  on=business_date(on), policy=policy)
        console.print(msg("ops.objection_recorded", claim_id=outcome.claim_id, policy=outcome.policy,
                          state=outcome.state))


def review(
    claim_id: str = typer.Argument(..., help="the objected claim"),
    uphold: bool | None = typer.Option(None, "--uphold/--dismiss",
                                       help="uphold (reject the claim) or dismiss (back on the notice)"),
    reason: str = typer.Option(..., "--reason", help="the review's finding"),
    policy: str | None = PolicyOption,
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Resolve an objection (异议复核) as reviewer: --uphold rejects the claim (recovering any advance,
    reason objection_upheld); --dismiss returns it to the notice.

    Example: claims review G001 --dismiss --reason "签到表核实到场" --actor 王复核
    """
    if uphold is None:
        fail(msg("cli.review_choice"), 2)
        return
    engine = ready_engine()
    with _plain_errors(), night_lease(engine, "review"):
        outcome = review_objection(engine, claim_id, uphold=uphold, reason=reason,
                                   actor=actor_from(actor, "reviewer"), on=business_date(on), policy=policy)
        owed = msg("ops.review_owed", amount=f"{outcome.recovery:.2f}") if outcome.recovery > 0 else ""
        console.print(msg("ops.reviewed", claim_id=outcome.claim_id, policy=outcome.policy, state=outcome.state,
                          owed=owed))


def approve(
    day: str | None = typer.Option(None, "--date",
                                     help="release batches of business days up to this one (default today)"),
    policy: str | None = typer.Option(None, "--policy", help="only this policy's batches"),
    batch: int | None = typer.Option(None, "--batch", help="only this batch (its id, as --list shows)"),
    list_only: bool = typer.Option(False, "--list", help="list the batches waiting for a release; release nothing"),
    actor: str | None = ActorOption,
) -> None:
    """Release payment batches (拨付审批) and send them at once. Payment approval is on by default
    (payment.approval.required); the night only creates orders and batches. A release binds to the
    batch's id, count, total and hash. The approver may not have imported, inspected, completed,
    amended or reviewed any claim in the batch.

    Example: claims approve --list; claims approve --date 2020-06-12 --actor 赵审批
    """
    engine = ready_engine()
    on = business_date(day)
    if list_only:
        with engine.connect() as conn:
            waiting = waiting_batches(conn, policy=policy, batch_id=batch)
        if not waiting:
            console.print(msg("approve.none_waiting"))
            return
        table = Table(title=msg("approve.list_title"))
        for column in ("approve.col_batch", "approve.col_policy", "approve.col_day", "approve.col_count",
                       "approve.col_total"):
            table.add_column(msg(column))
        for w in waiting:
            table.add_row(str(w.batch_id), w.policy, w.business_date.isoformat(), str(w.claims), f"{w.amount:,.2f}")
        console.print(table)
        return
    approver = actor_from(actor, "approver")
    with engine.connect() as conn:
        nothing = not waiting_batches(conn, on=on, policy=policy, batch_id=batch)
    if nothing:
        console.print(msg("approve.none_waiting"))
        with night_lease(engine, "approve"):
            finished = finish_released(engine, actor=approver)
        for name in finished:  # a release interrupted before its file
            console.print(msg("approve.finished", file=name))
        return
    with _plain_errors(), night_lease(engine, "approve"):
        report = approve_batch(engine, on=on, actor=approver, policy=policy, batch_id=batch)
    _announce("claims.payments.released", report, actor, "approver", on=on,
              releases=[{"batch": r.batch_id, "policy": r.policy, "claims": r.claims, "amount": r.amount,
                         "new": r.new} for r in report.releases])
    for release in report.releases:
        values: dict[str, Any] = {"batch": release.batch_id, "policy": release.policy, "count": release.claims,
                  "total": f"{release.amount:.2f}", "approver": approver.name, "file": release.file_name}
        console.print(msg("approve.released" if release.new else "approve.already", **values))


def recover(
    claim_id: str = typer.Argument(..., help="the claim whose money must come back"),
    reason: str = typer.Option(..., "--reason", help="what was found"),
    reason_code: str = typer.Option("fraud", "--reason-code", help=f"one of {', '.join(RECOVERY_REASONS)}"),
    policy: str | None = PolicyOption,
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Mark all money paid on a claim as to be recovered (追回), e.g. fraud found later.

    Example: claims recover G001 --reason "虚假培训，套取补贴" --on 2020-11-02 --actor 赵审批
    """
    engine = ready_engine()
    with _plain_errors(), night_lease(engine, "recover"):
        demand = demand_recovery(engine, claim_id, reason=reason, reason_code=reason_code,
                                 actor=actor_from(actor, "approver"), on=business_date(on), policy=policy)
        console.print(msg("ops.recovery_demanded", claim_id=demand.claim_id, policy=demand.policy,
                          state=demand.state, amount=f"{demand.amount:.2f}"))


def recovered(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="CSV/XLSX/JSONL: claim_id, policy (optional), amount, on (optional)"),
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Record money actually returned (已追回): each row a sum back; a claim whose owed amount is all
    back becomes `recovered`. Loading the same file again changes nothing.

    Example: claims recovered returns.csv --actor 财务李
    """
    engine = ready_engine()
    with _plain_errors(), night_lease(engine, "recovered"):
        source = f"{file.name}#{hashlib.sha256(file.read_bytes()).hexdigest()[:12]}"  # the file's lines key its returns
        report = record_returns(engine, _rows(file), actor=actor_from(actor, "clerk"), on=business_date(on),
                                source=source)
        console.print(msg("ops.returns_summary", recorded=report.recorded, unchanged=report.unchanged,
                          settled=len(report.settled), problems=len(report.problems)))
        _problems([(p.row, p.claim_id or "", f"{p.field}: {localise_stored(p.message)}")
                   for p in report.problems])


def bank_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="CSV/XLSX/JSONL: reference, amount, status (confirmed|failed), on (optional)"),
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Apply a bank statement: confirmed payments are settled; a failed one fails its claim's payment,
    which the next night (or `claims retry`) sends again as a new attempt. Unknown references and
    amounts that differ are listed and change nothing (exit 1).

    Example: claims bank import statement-2020-06-11.csv --on 2020-06-11
    """
    engine = ready_engine()
    with _plain_errors(), night_lease(engine, "bank import"):
        report = import_bank_statement(engine, _rows(file), actor=actor_from(actor, "clerk"), on=business_date(on))
        _announce("claims.bank.imported", report, actor, "clerk", file=file.name)
        if report.failed:
            _announce("claims.bank.refused", report, actor, "clerk", file=file.name)
        console.print(msg("ops.bank_summary", confirmed=report.confirmed, failed=report.failed,
                          unchanged=report.unchanged, problems=len(report.problems)))
        if report.claims_failed:
            console.print(msg("ops.retry_waiting", claims=", ".join(report.claims_failed)))
        _problems([(row, ref, message) for row, ref, message in report.problems])


def failed(
    policy: str | None = typer.Option(None, "--policy", help="only this policy"),
    as_json: bool = typer.Option(False, "--json", help="one JSON array of {claim_id, policy, state, step, reason}"),
) -> None:
    """List claims set aside by a nightly step (missing parameter, draft policy not in force, refused
    payment) with the step and the reason.

    Example: claims failed --json
    """
    engine = ready_engine()
    failures = list_failures(engine, policy=policy)
    if as_json:
        typer.echo(json.dumps([f.as_json() for f in failures], ensure_ascii=False, indent=2))
        return
    table = Table(*msg("failed.header").split("|"), title=msg("failed.title"))
    for f in failures:
        table.add_row(f.policy, f.claim_id, f.state, f.step, reason_text(f.reason),
                      f.since.isoformat() if f.since else "")
    console.print(table)
    console.print(msg("failed.count", claims=count(len(failures), "claim")))


def retry_cmd(
    claim_id: str | None = typer.Argument(None, help="one claim to retry"),
    all_: bool = typer.Option(False, "--all", help="retry every claim set aside"),
    policy: str | None = PolicyOption,
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Run again, as administrator, the step a claim was set aside in; a refused payment is sent again
    as the next attempt. A claim no longer set aside is left alone, so retrying twice is harmless.

    Example: claims retry --all --on 2020-06-12 --actor 系统管理员
    """
    if (claim_id is None) == (not all_):
        fail(msg("cli.retry_choice"), 2)
    engine = ready_engine()
    with _plain_errors(), night_lease(engine, "retry"):
        report = retry(engine, actor=actor_from(actor, "admin"), on=business_date(on), claim_id=claim_id,
                       policy=policy)
        _announce("claims.retry.ran", report, actor, "admin", claim_id=claim_id, policy=policy,
                  moved=sum(sum(r.moved.values()) for r in report.steps.values()))
        if report.note:
            console.print(report.note)
            return
        moved = sum(sum(r.moved.values()) for r in report.steps.values())
        console.print(msg("ops.retried", chosen=len(report.chosen), moved=moved, still=len(report.still_failed)))
        for f in report.still_failed:
            console.print(msg("ops.still_set_aside", policy=f.policy, claim_id=f.claim_id, step=f.step,
                              reason=reason_text(f.reason)), markup=False)


def _problems(rows: list[tuple[int, str, str]], echo: Callable[[Any], None] = console.print) -> None:
    if not rows:
        return
    table = Table(*msg("ops.problems_columns").split("|"), title=msg("ops.problems_title"))
    for row, ref, message in rows[:100]:
        table.add_row(str(row), ref, localise_stored(message))
    echo(table)
    raise typer.Exit(1)
