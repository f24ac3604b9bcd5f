"""`claims ops setup`: the Prefect automations that alert operations staff (flows/alerts.py)."""

from __future__ import annotations

from datetime import timedelta

import typer

from cli.common import console, fail


def register(app: typer.Typer) -> None:
    ops = typer.Typer(help="Operations on the Prefect server: alerts (告警).", no_args_is_help=True)
    ops.command("setup")(setup)
    app.add_typer(ops, name="ops")


def setup(
    webhook: str = typer.Option(..., "--webhook", help="URL the alerts are posted to (a Prefect webhook "
                                                       "notification block named claims-alerts)"),
    late_hours: float = typer.Option(..., "--late-hours",
                                     help="a started night not completed within this many hours alerts "
                                          "(the bureau's choice, e.g. 4 for 02:00 → 06:00)"),
    missing_hours: float = typer.Option(..., "--missing-hours",
                                        help="no night completed within this many hours alerts "
                                             "(the bureau's choice, e.g. 26)"),
) -> None:
    """Create (or replace) the alert automations on the Prefect server at PREFECT_API_URL: night
    failed, night late, night missing, claims set aside above the threshold
    (CLAIMS_ALERT_SET_ASIDE_THRESHOLD), bank refusals, lease held.

    Example: claims ops setup --webhook https://chat.example/hook --late-hours 4 --missing-hours 26
    """
    from flows.alerts import AlertWindows, install

    try:
        made = install(webhook, AlertWindows(late=timedelta(hours=late_hours),
                                             missing=timedelta(hours=missing_hours)))
    except Exception as exc:
        fail(f"could not reach the Prefect server to create the automations: {exc}")
        return
    for name, automation_id in made.items():
        console.print(f"{name}: {automation_id}")
