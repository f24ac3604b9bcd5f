"""`claims import`, `claims amend`, `claims withdraw`: filing claims and changing them before
assessment."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.common import ActorOption, OnOption, Table, business_date, console, fail, ready_engine
from cli.lease_cmd import night_lease
from intake.headers import field_label
from intake.messages import count, current_lang, explain, localise_stored, msg
from intake.privacy import safe_cell
from intake.readers import UnreadableFile, estimate_rows
from services.access.actors import actor_from
from services.access.roles import Forbidden
from services.importing.filing import ImportReport, Rejection, import_file

SHOWN_REJECTIONS = 20


def register(app: typer.Typer) -> None:
    app.command("import")(import_claims)
    app.command("amend")(amend)
    app.command("withdraw")(withdraw)


@contextmanager
def one_import_at_a_time(engine: Any, file: Path) -> Iterator[None]:
    """Two imports of one file at once: the second waits for the first (a named lease, bounded by
    CLAIMS_LEASE_WAIT_SECONDS), then finds its rows already filed; past the wait it stops, exit 3."""
    from services.nightly import lease

    try:
        with file.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()[:56]
    except OSError:
        digest = file.name[:56]
    try:
        with lease.held(engine, lease.holder_name(f"claims import {file.name}"[:60]),
                        name=f"import {digest}", wait=lease.wait_seconds()):
            yield
    except lease.LeaseHeld as exc:
        fail(msg("cli.import_busy", seconds=f"{lease.wait_seconds():.0f}", problem=explain(exc)), code=3)


def import_claims(
    file: Path = typer.Argument(..., help="claims file: .csv (UTF-8, UTF-8 BOM or GB18030), "
                                          ".xlsx (first sheet) or .jsonl"),
    actor: str | None = ActorOption,
    on: str | None = OnOption,
    report: Path | None = typer.Option(None, "--report", help="write every rejected row to this CSV"),
) -> None:
    """File the claims of FILE (format: docs/import.md). Valid rows are filed, invalid rows
    and conflicts are reported with row number, field and reason; exit 1 if there are any.

    Example: claims import claims-2019-08.csv --actor 张三 --on 2019-08-05 --report rejected.csv
    """
    engine = ready_engine()
    who = actor_from(actor, "clerk")
    day = business_date(on)
    with Progress(TextColumn("[bold]importing[/bold] {task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(file.name, total=estimate_rows(file))
        try:
            with one_import_at_a_time(engine, file):
                result = import_file(engine, file, actor=who, on=day,
                                     progress=lambda n: bar.advance(task, n))
        except UnreadableFile as exc:
            fail(msg("import.nothing_filed", problem=explain(exc)), code=2)
            return
        except Forbidden as exc:
            fail(exc, code=3)
            return
    _summary(result)
    if report is not None:
        _write_report(report, result.rejections)
        console.print(msg("import.report_written", path=report), markup=False)
    if not result.clean:
        raise typer.Exit(1)


def _summary(result: ImportReport) -> None:
    for warning in result.warnings:
        console.print(f"[yellow]{msg('import.warning')}[/yellow] {escape(warning)}")
    console.print(msg("import.summary", file=escape(result.file_name), batch=result.batch_id,
                      rows=count(result.rows, "row"), filed=result.filed, skipped=result.skipped,
                      conflicts=result.conflicts, rejected=result.rejected))
    if not result.rejections:
        return
    table = Table(title=msg("import.rejected_title", shown=min(SHOWN_REJECTIONS, len(result.rejections)),
                            total=count(len(result.rejections), "row")))
    for column in msg("import.columns").split("|"):
        table.add_column(column, overflow="fold")
    for rejection in result.rejections[:SHOWN_REJECTIONS]:
        for i, error in enumerate(rejection.errors):
            table.add_row(str(rejection.row) if i == 0 else "",
                          (rejection.claim_id or "") if i == 0 else "", field_label(error.field, current_lang()),
                          localise_stored(error.message))
    console.print(table)


def _write_report(path: Path, rejections: list[Rejection]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "claim_id", "policy", "kind", "field", "message"])
        for rejection in rejections:
            for error in rejection.errors:
                writer.writerow([safe_cell(v) for v in (
                    rejection.row, rejection.claim_id or "", rejection.policy or "",
                    rejection.kind, error.field, error.message)])


def amend(
    file: Path = typer.Argument(..., help="rows of claim_id, policy and the fields to correct"),
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Correct filed claims before assessment (states filed, advance_paid, on_site_inspected), and
    the payee (payee_name, bank_account, bank_name) of an approved or payment_failed claim.

    Each row names claim_id and policy and gives only the fields to change; empty cells leave a
    field as it is. The before/after values are kept and the claim's history shows the amendment.
    A claim set aside as payee_incomplete (claims failed) is paid by the next night once amended.

    Example: claims amend corrections.csv --actor 张三 --on 2019-08-09
    """
    from services.importing.amend import amend_file

    engine = ready_engine()
    try:
        with night_lease(engine, "amend"):
            result = amend_file(engine, file, actor=actor_from(actor, "clerk"), on=business_date(on))
    except UnreadableFile as exc:
        fail(msg("cli.nothing_changed", problem=explain(exc)), code=2)
        return
    except Forbidden as exc:
        fail(exc, code=3)
        return
    console.print(msg("amend.summary", file=file.name, rows=count(result.rows, "row"), amended=result.amended,
                      unchanged=result.unchanged, refused=len(result.refused)))
    if result.refused:
        table = Table(title=msg("amend.refused_title"))
        for column in msg("import.columns").split("|"):
            table.add_column(column, overflow="fold")
        for refusal in result.refused:
            for i, error in enumerate(refusal.errors):
                table.add_row(str(refusal.row) if i == 0 else "",
                              (refusal.claim_id or "") if i == 0 else "",
                              field_label(error.field, current_lang()),
                              localise_stored(error.message))
        console.print(table)
        raise typer.Exit(1)


def withdraw(
    claim_id: str = typer.Argument(..., help="the claim's claim_id"),
    reason: str = typer.Option(..., "--reason", help="why the applicant withdraws"),
    policy: str | None = typer.Option(None, "--policy", help="needed when the claim_id is "
                                                              "filed under two policies"),
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Withdraw a claim before assessment (an advance already paid becomes money to recover).

    Example: claims withdraw HLD-0001 --reason "申请人撤回" --policy huludao-2019
    """
    from services.importing.amend import WithdrawRefused, withdraw_claim

    engine = ready_engine()
    try:
        with night_lease(engine, "withdraw"):
            state = withdraw_claim(engine, claim_id, policy=policy, reason=reason,
                                   actor=actor_from(actor, "clerk"), on=business_date(on))
    except WithdrawRefused as exc:
        fail(exc)
        return
    except Forbidden as exc:
        fail(exc, code=3)
        return
    console.print(msg("withdraw.done", claim_id=claim_id, state=state))
