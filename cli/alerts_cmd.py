"""`claims ops setup`: the Prefect automations that alert operations staff (flows/alerts.py)."""

from __future__ import annotations

import os
from datetime import timedelta

import typer

from cli.common import console, fail
from intake.messages import msg


def register(app: typer.Typer) -> None:
    ops = typer.Typer(help="Operations on the Prefect server: alerts (告警).\n\n"
                           "Example: claims ops setup --webhook https://chat.example/hook --late-hours 4 "
                           "--missing-hours 26", no_args_is_help=True)
    ops.command("setup")(setup)
    ops.command("release-code")(release_code)
    app.add_typer(ops, name="ops")


def setup(
    webhook: str | None = typer.Option(None, "--webhook", help="URL the alerts are posted to (a Prefect webhook "
                                                              "notification block named claims-alerts)"),
    email: list[str] = typer.Option([], "--email", help="address the alerts are mailed to (repeatable; an SMTP "
                                                        "notification block named claims-alerts-email)"),
    smtp_host: str | None = typer.Option(None, "--smtp-host", help="the mail relay (with --email)"),
    smtp_port: int | None = typer.Option(None, "--smtp-port", help="its port (with --email, e.g. 25 or 587)"),
    smtp_from: str | None = typer.Option(None, "--smtp-from", help="From: address (with --email)"),
    smtp_user: str | None = typer.Option(None, "--smtp-user",
                                         help="SMTP login, when the relay asks for one; the password is read "
                                              "from CLAIMS_SMTP_PASSWORD"),
    starttls: bool = typer.Option(False, "--starttls/--no-starttls", help="STARTTLS to the relay"),
    late_hours: float = typer.Option(..., "--late-hours",
                                     help="a started night not completed within this many hours alerts "
                                          "(the bureau's choice, e.g. 4 for 02:00 → 06:00)"),
    missing_hours: float = typer.Option(..., "--missing-hours",
                                        help="no night completed within this many hours alerts "
                                             "(the bureau's choice, e.g. 26)"),
) -> None:
    """Create (or replace) the alert automations on the Prefect server at PREFECT_API_URL: night
    failed, night late, night missing, claims set aside above the threshold
    (CLAIMS_ALERT_SET_ASIDE_THRESHOLD), bank refusals, lease held. They notify through --webhook,
    --email (an SMTP block), or both.

    Example: claims ops setup --webhook https://chat.example/hook --late-hours 4 --missing-hours 26

    Example: claims ops setup --email ops@bureau.example --smtp-host mail.bureau.example --smtp-port 25
    --smtp-from claims@bureau.example --late-hours 4 --missing-hours 26
    """
    from flows.alerts import AlertWindows, EmailSettings, install

    settings = None
    if not webhook and not email:
        fail(msg("ops.alerts_nowhere"))
        return
    if email:
        missing = [flag for flag, value in (("--smtp-host", smtp_host), ("--smtp-port", smtp_port),
                                            ("--smtp-from", smtp_from)) if value is None]
        if missing:
            fail(msg("ops.email_needs_relay", flags=", ".join(missing)))
            return
        assert smtp_host is not None and smtp_port is not None and smtp_from is not None
        settings = EmailSettings(recipients=list(email), host=smtp_host, port=smtp_port, sender=smtp_from,
                                 username=smtp_user, password=os.environ.get("CLAIMS_SMTP_PASSWORD"),
                                 starttls=starttls)
    try:
        made = install(webhook, AlertWindows(late=timedelta(hours=late_hours),
                                             missing=timedelta(hours=missing_hours)), email=settings)
    except Exception as exc:
        fail(msg("cli.prefect_unreachable", problem=exc), 3)
        return
    for name, automation_id in made.items():
        console.print(msg("ops.automation_made", name=name, automation_id=automation_id))


def release_code(
    actor: str = typer.Option(..., "--actor", help="the approver, as on the actor list (CLAIMS_ACTORS)"),
    code: str = typer.Option(..., "--code", prompt=True, hide_input=True, confirmation_prompt=True,
                             help="the personal release code (asked for when not given)"),
) -> None:
    """Set an approver's personal release code for the release-payments form in the Prefect UI;
    stored hashed beside the actor list (CLAIMS_RELEASE_CODES, default <CLAIMS_ACTORS>.codes.yaml).

    Example: claims ops release-code --actor 赵审批
    """
    from services.money.release_codes import ReleaseCodeError, set_code

    try:
        path = set_code(actor, code)
    except ReleaseCodeError as exc:
        fail(exc)
        return
    console.print(msg("ops.release_code_stored", actor=actor, path=path))
