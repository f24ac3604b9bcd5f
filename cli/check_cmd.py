"""`claims audit verify` and `claims reconcile`: the checks a finance bureau or auditor runs."""

from __future__ import annotations

import typer

from cli.common import console, err_console, ready_engine
from services.audit import verify

audit_app = typer.Typer(help="The tamper-evident event log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every claim's hash-chained history and the nightly anchors; exit 0 only when intact.

    Example: claims audit verify
    """
    report = verify(ready_engine())
    console.print(f"checked {report.claims} claims, {report.events} events, {report.anchors} anchors")
    if report.intact:
        console.print("[green]the event log is intact 流转记录完整[/green]")
        return
    for problem in report.problems:
        err_console.print(f"[red]broken:[/red] {problem}")
    raise typer.Exit(1)
