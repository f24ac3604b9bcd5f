"""`claims audit verify` and `claims reconcile`: the checks a finance bureau or auditor runs."""

from __future__ import annotations

import json

import typer
from rich.markup import escape

from cli.common import Table, console, err_console, ready_engine
from intake.messages import count, localise_stored, msg
from services.oversight.audit import verify
from services.oversight.reconcile import ReconcileReport, reconcile

audit_app = typer.Typer(help="The tamper-evident event log.\n\nExample: claims audit verify",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
    app.command("reconcile")(reconcile_cmd)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every claim's hash-chained history, the money its last event recorded, its payment rows,
    the anchors and the outside audit log; exit 0 only when intact, else each difference is named.

    Example: claims audit verify
    """
    report = verify(ready_engine())
    console.print(msg("audit.checked", claims=report.claims, events=report.events, payments=report.payments,
                      anchors=report.anchors))
    if report.intact:
        console.print(f"[green]{msg('audit.intact')}[/green]")
        return
    for problem in report.problems:
        err_console.print(f"[red]{msg('cli.broken')}[/red] {escape(localise_stored(problem))}")
    raise typer.Exit(1)


def reconcile_cmd(
    as_json: bool = typer.Option(False, "--json", help="print the report as one JSON object"),
) -> None:
    """Check money and states claim by claim: payments agree with the claim's state and money
    columns, nothing is paid twice, every state has its event; totals per policy and day.
    Exit 0 only when every invariant holds; otherwise each breaking claim is named (exit 1).

    Example: claims reconcile
    """
    report = reconcile(ready_engine())
    if as_json:
        console.print_json(json.dumps(_as_json(report), ensure_ascii=False))
    else:
        _print_report(report)
    if not report.holds:
        raise typer.Exit(1)


def _as_json(report: ReconcileReport) -> dict[str, object]:
    return {
        "holds": report.holds, "claims": report.claims, "payments": report.payments,
        "states": dict(sorted(report.states.items())),
        "recovery_outstanding": f"{report.outstanding:.2f}",
        "breaches": [{"claim_id": b.claim_id, "policy": b.policy, "state": b.state, "check": b.check,
                      "message": b.message} for b in report.breaches],
        "totals": [{"policy": policy, "date": day.isoformat(), "advance": f"{t.advance:.2f}",
                    "final": f"{t.final:.2f}", "failed": f"{t.failed:.2f}",
                    "recovery_owed": f"{t.recovery_owed:.2f}", "recovery_received": f"{t.recovery_received:.2f}",
                    "payments": t.payments} for (policy, day), t in report.totals.items()],
    }


def _print_report(report: ReconcileReport) -> None:
    table = Table(*msg("reconcile.totals_header").split("|"), title=msg("reconcile.totals_title"))
    for (policy, day), t in report.totals.items():
        table.add_row(policy, day.isoformat(), f"{t.advance:.2f}", f"{t.final:.2f}", f"{t.failed:.2f}",
                      f"{t.recovery_owed:.2f}", f"{t.recovery_received:.2f}")
    if report.totals:
        console.print(table)
    states = ", ".join(f"{s} {n}" for s, n in sorted(report.states.items()))
    console.print(msg("reconcile.checked", claims=report.claims, states=states or msg("reconcile.none"),
                      payments=report.payments, outstanding=f"{report.outstanding:.2f}"))
    if report.holds:
        console.print(f"[green]{msg('reconcile.holds')}[/green]")
        return
    for b in report.breaches:
        message = localise_stored(b.message)  # the report keeps the English text
        if b.check == "batch_file":  # "file: problem", the problem stored in English
            name, _, problem = b.message.partition(": ")
            message = f"{name}: {localise_stored(problem)}"
        line = msg("reconcile.breach", policy=b.policy, claim_id=b.claim_id, state=b.state, check=b.check,
                   message=message)
        err_console.print(f"[red]{msg('cli.breach')}[/red] {escape(line)}", highlight=False, soft_wrap=True)
    err_console.print(msg("cli.claims_break", claims=count(len(report.broken_claims), "claim")))
