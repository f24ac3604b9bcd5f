"""An e-mail notification block the alert automations can send through: plain SMTP (smtplib).

Prefect 3.9's open-source server ships webhook, chat and Sendgrid notification blocks but no
SMTP one (`prefect-email` has credentials and a task, not a notification block an automation
can use), so the product brings its own. The server loads it when it sends: the package
declares it as a Prefect collection (pyproject.toml, entry point group `prefect.collections`),
so a server started in the product's environment (`prefect server start` from the same
virtualenv) finds the block class by its slug `claims-smtp-email`.

Kept light: Prefect imports this module in every process that looks up a block class.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import anyio
from prefect.blocks.abstract import NotificationBlock
from pydantic import Field, SecretStr

SMTP_TIMEOUT_SECONDS = 30.0
"""how long one alert waits for the mail server before the automation's action fails"""


class SmtpEmail(NotificationBlock):
    """Send a notification as one e-mail through an SMTP server (the bureau's mail relay)."""

    _block_type_name = "Claims SMTP Email"
    _block_type_slug = "claims-smtp-email"
    _description = "E-mail through an SMTP server (the claims product's alerts)."

    smtp_host: str = Field(default=..., description="the SMTP server's host name")
    smtp_port: int = Field(default=..., description="its port (the mail relay's, e.g. 25 or 587)")
    sender: str = Field(default=..., description="From: address")
    recipients: list[str] = Field(default=..., description="To: addresses")
    username: str | None = Field(default=None, description="SMTP login, when the relay asks for one")
    password: SecretStr | None = Field(default=None, description="SMTP password")
    starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS")

    def message(self, body: str, subject: str | None = None) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Subject"] = subject or "claims alert"
        mail.set_content(body)
        return mail

    def send(self, body: str, subject: str | None = None) -> None:
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password.get_secret_value() if self.password else "")
            smtp.send_message(self.message(body, subject))

    async def notify(self, body: str, subject: str | None = None) -> None:
        await anyio.to_thread.run_sync(self.send, body, subject)
