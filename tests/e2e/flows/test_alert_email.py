"""`claims ops setup --email` against a real Prefect server: the automations notify through the
product's SMTP block (flows/email_block.py, loaded by the server as a Prefect collection) and a
bank refusal's alert arrives as an e-mail at a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from prefect.client.orchestration import get_client

from flows.alerts import EMAIL_BLOCK_NAME, PREFIX
from flows.events import announce
from tests.conftest import run_claims

from .conftest import _free_port

pytestmark = pytest.mark.prefect


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append((list(envelope.rcpt_tos), mail))
        return "250 OK"


def test_an_alert_arrives_by_email(prefect_api: str, tmp_path: Path) -> None:
    inbox = Inbox()
    port = _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    db = f"sqlite:///{tmp_path / 'claims.db'}"
    made: list[str] = []
    try:
        done = run_claims("ops", "setup", "--email", "ops@bureau.example", "--email", "duty@bureau.example",
                          "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
                          "--smtp-from", "claims@bureau.example", "--late-hours", "4", "--missing-hours", "26",
                          db=db)
        assert done.returncode == 0, done.stderr + done.stdout
        made = [line.split(": ")[-1].strip() for line in done.stdout.splitlines() if line.startswith(PREFIX)]
        assert len(made) == 6, done.stdout
        with get_client(sync_client=True) as client:
            block = client.read_block_document_by_name(EMAIL_BLOCK_NAME, "claims-smtp-email")
            refused = next(a for a in client.read_automations_by_name(PREFIX + "bank refusals"))
            assert [a.block_document_id for a in refused.actions] == [block.id]  # type: ignore[union-attr]

        assert announce("claims.bank.refused", "财务李", "db:sqlite/claims.db", failed=2)

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not inbox.mails:
            time.sleep(1)
        assert inbox.mails, "no alert e-mail arrived"
        recipients, mail = inbox.mails[0]
        assert sorted(recipients) == ["duty@bureau.example", "ops@bureau.example"]
        assert mail["From"] == "claims@bureau.example"
        assert "银行退票" in str(mail["Subject"])
        body = mail.get_content()
        assert "claims.bank.refused" in body and "财务李" in body
    finally:
        smtp.stop()
        with get_client(sync_client=True) as client:
            for automation in client.read_automations():
                if str(automation.id) in made:
                    client.delete_automation(automation.id)


def test_setup_says_where_alerts_go(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'claims.db'}"
    nowhere = run_claims("ops", "setup", "--late-hours", "4", "--missing-hours", "26", db=db)
    assert nowhere.returncode != 0 and "--webhook" in nowhere.stderr + nowhere.stdout
    no_relay = run_claims("ops", "setup", "--email", "ops@bureau.example", "--late-hours", "4",
                          "--missing-hours", "26", db=db)
    assert no_relay.returncode != 0 and "--smtp-host" in no_relay.stderr + no_relay.stdout
