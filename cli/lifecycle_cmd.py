"""`claims inspect record` (registered by cli/inspect_cmd.py), `claims complete`, `claims show`:
recording facts and looking at one claim."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from cli.common import ActorOption, OnOption, Table, business_date, console, fail, ready_engine
from cli.lease_cmd import night_lease
from intake.headers import field_label
from intake.messages import current_lang, explain, localise_stored, msg
from services.access.actors import actor_from
from services.claim_view import claim_view
from services.error_codes import reason_text
from services.importing.rosters import RecordReport, record_completions, record_inspections
from services.lookup import AmbiguousClaim, ClaimNotFound


def register(app: typer.Typer) -> None:
    app.command("complete")(complete)
    app.command("show")(show)


def _rows(path: Path):  # type: ignore[no-untyped-def]
    from intake.readers import UnreadableFile, read_rows

    try:
        return list(read_rows(path))
    except UnreadableFile as exc:
        fail(f"{path}: {explain(exc)}")
        raise  # unreachable: fail() exits


def _report(report: RecordReport, what: str) -> None:
    console.print(msg("roster.summary", what=msg(what), recorded=report.recorded,
                      unchanged=report.unchanged, rejected=len(report.problems)))
    if report.problems:
        table = Table(*msg("roster.columns").split("|"), title=msg("roster.title"))
        for problem in report.problems[:50]:
            table.add_row(str(problem.row), problem.claim_id or "", field_label(problem.field, current_lang()),
                          localise_stored(problem.message))
        console.print(table)
        raise typer.Exit(1)


def inspect(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV/XLSX/JSONL of inspections"),
    actor: str | None = ActorOption,
    on: str | None = typer.Option(None, "--on", help="inspection date for rows without inspected_on "
                                                     "(default: they must give it)"),
) -> None:
    """Record on-site inspection results (现场检查): claim_id (申报编号), policy (政策, optional),
    inspected_on (检查日期), inspector (检查人), result (检查结果: pass/fail, 通过/不通过), note (备注).
    A row without an inspector is the --actor's. The nightly run applies them.

    Example: claims inspect inspections.csv --actor 李检查 --on 2020-06-02
    """
    engine = ready_engine()
    with night_lease(engine, "inspect"):
        report = record_inspections(engine, _rows(file), actor=actor_from(actor, "inspector"),
                                    on=business_date(on) if on else None)
    _report(report, "roster.inspections")


def complete(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV/XLSX/JSONL roster"),
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Record training completion (结业/证书 roster) for claims filed before it: claim_id (申报编号),
    policy (政策, optional), certificate_no (证书编号), certificate_date (发证日期), level (等级,
    optional), result (考核结果: pass/fail, 通过/不通过).

    Example: claims complete roster.csv --on 2020-06-30 --actor 王经办
    """
    engine = ready_engine()
    with night_lease(engine, "complete"):
        report = record_completions(engine, _rows(file), actor=actor_from(actor, "clerk"),
                                    on=business_date(on))
    _report(report, "roster.completions")


def show(
    claim_id: str = typer.Argument(..., help="the applicant's claim reference"),
    policy: str | None = typer.Option(None, "--policy", help="needed when the id exists under several policies"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (state, amount, payments, history)"),
) -> None:
    """Show one claim: state, amount, payments and its full history (identities masked).

    Example: claims show G001 --json
    """
    engine = ready_engine()
    try:
        view = claim_view(engine, claim_id, policy)
    except (ClaimNotFound, AmbiguousClaim) as exc:
        fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    console.print(msg("show.header", claim_id=escape(view["claim_id"]), policy=view["policy"], kind=view["kind"],
                      state_zh=view["state_zh"], state=view["state"], amount=view["amount"] or "-"))
    if view["reasons"]:
        console.print(msg("show.reasons", reasons=", ".join(view["reasons"])))
    if view["set_aside"]:
        console.print(msg("show.set_aside", step=view["set_aside"]["step"],
                          reason=reason_text(view["set_aside"]["reason"])),
                      markup=False)
    if view["advance_problem"]:
        console.print(msg("show.advance_problem", reason=reason_text(view["advance_problem"])), markup=False)
    payments = Table("kind", "amount", "status", "attempt", "reference", title="payments 拨付")
    for p in view["payments"]:
        payments.add_row(p["kind"], p["amount"], p["status"], str(p["attempt"]), p["reference"] or "")
    console.print(payments)
    history = Table("on", "from", "to", "trigger", "actor", "role", "reason", title="history 流转记录")
    for e in view["history"]:
        history.add_row(e["on"], e["from"], e["to"], e["trigger"], e["actor"], e["role"], e["reason"] or "")
    console.print(history)
