"""Alerts as code: the Prefect automations `claims ops setup` creates (or replaces, by name) on
the server, all notifying through one notification block.

  night failed      a `nightly` flow run Failed, Crashed or TimedOut                 (reactive)
  night late        a `nightly` run started and did not complete within --late-hours (proactive)
  night missing     after a completed night, none completed within --missing-hours (proactive)
  set aside         the night emitted claims.night.set-aside (more set aside than the threshold)
  bank refusals     a bank statement failed payments (claims.bank.refused)
  lease held        a night was refused because another run holds the lease (claims.lease.held),
                    or took over a lease its last holder kept past its lapse (claims.lease.lapsed)

They notify through a webhook block (`CustomWebhookNotificationBlock`, claims-alerts), an
e-mail block (flows/email_block.SmtpEmail over SMTP, claims-alerts-email), or both: each
automation then carries one SendNotification action per block.

Prefect 3's open-source server evaluates proactive triggers (server/events/triggers.py,
evaluate_proactive_triggers), so "did not happen" needs no scheduled check flow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.events import EventTrigger, Posture
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import AutomationCore

BLOCK_NAME = "claims-alerts"
EMAIL_BLOCK_NAME = "claims-alerts-email"
PREFIX = "claims: "
NIGHT: dict[str, str | list[str]] = {"prefect.resource.role": "flow", "prefect.resource.name": "nightly"}
BODY = ("{{ event.event }} — {{ event.resource.get('prefect.resource.name', '') }}"
        "{% if event.payload.get('actor') %} by {{ event.payload['actor'] }}{% endif %}"
        " {{ event.payload | tojson }}")


@dataclass(frozen=True)
class AlertWindows:
    late: timedelta
    """a started night not completed within this alerts (e.g. started 02:00, by 06:00: 4 h)"""
    missing: timedelta
    """no completed night within this alerts (a night that never ran)"""


def webhook_block(url: str, name: str = BLOCK_NAME) -> UUID:
    """Save (overwrite) the webhook notification block the automations send through."""
    block = CustomWebhookNotificationBlock(
        name=name, url=url, json_data={"subject": "{{subject}}", "text": "{{body}}"},
        headers=None, cookies=None)
    return UUID(str(block.save(name, overwrite=True)))


@dataclass(frozen=True)
class EmailSettings:
    """Where the alert e-mails go and the SMTP relay that carries them (the bureau's)."""
    recipients: list[str]
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False


def email_block(settings: EmailSettings, name: str = EMAIL_BLOCK_NAME) -> UUID:
    """Save (overwrite) the SMTP e-mail notification block the automations send through."""
    from pydantic import SecretStr

    from flows.email_block import SmtpEmail

    block = SmtpEmail(smtp_host=settings.host, smtp_port=settings.port, sender=settings.sender,
                      recipients=list(settings.recipients), username=settings.username,
                      password=SecretStr(settings.password) if settings.password else None,
                      starttls=settings.starttls)
    return UUID(str(block.save(name, overwrite=True)))


def automations(block_ids: UUID | Sequence[UUID], windows: AlertWindows) -> list[AutomationCore]:
    blocks = [block_ids] if isinstance(block_ids, UUID) else list(block_ids)

    def notify(subject: str) -> list[Any]:
        return [SendNotification(block_document_id=block_id, subject=subject, body=BODY) for block_id in blocks]

    def on(events: str | set[str], name: str, what: str) -> AutomationCore:
        return AutomationCore(
            name=PREFIX + name, description=what,
            trigger=EventTrigger(expect={events} if isinstance(events, str) else events,
                                 match={"prefect.resource.id": "claims.*"},
                                 posture=Posture.Reactive, threshold=1),
            actions=notify(f"[补贴系统] {what}"))

    return [
        AutomationCore(
            name=PREFIX + "night failed", description="夜间批处理失败 a night failed, crashed or timed out",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"},
                match={"prefect.resource.id": "prefect.flow-run.*"}, match_related=NIGHT,
                posture=Posture.Reactive, threshold=1),
            actions=notify("[补贴系统] 夜间批处理失败 night failed")),
        AutomationCore(
            name=PREFIX + "night late", description="夜间批处理未按时完成 a started night did not complete in time",
            trigger=EventTrigger(
                after={"prefect.flow-run.Running"}, expect={"prefect.flow-run.Completed"},
                for_each={"prefect.resource.id"},
                match={"prefect.resource.id": "prefect.flow-run.*"}, match_related=NIGHT,
                posture=Posture.Proactive, threshold=1, within=windows.late),
            actions=notify("[补贴系统] 夜间批处理未按时完成 night late")),
        AutomationCore(
            name=PREFIX + "night missing", description="没有完成的夜间批处理 no night completed",
            trigger=EventTrigger(  # after each completed night, the next must complete in time
                after={"prefect.flow-run.Completed"}, expect={"prefect.flow-run.Completed"},
                match={"prefect.resource.id": "prefect.flow-run.*"}, match_related=NIGHT,
                posture=Posture.Proactive, threshold=1, within=windows.missing),
            actions=notify("[补贴系统] 没有完成的夜间批处理 no night completed")),
        on("claims.night.set-aside", "set aside", "搁置件超过阈值 claims set aside above the threshold"),
        on("claims.bank.refused", "bank refusals", "银行退票 the bank refused payments"),
        on({"claims.lease.held", "claims.lease.lapsed"}, "lease held",
           "夜间租约被占用 a night found the lease held, or held past its lapse by a run that never released it"),
    ]


def install(webhook_url: str | None, windows: AlertWindows,
            email: EmailSettings | None = None) -> Mapping[str, UUID]:
    """Create the blocks (webhook, e-mail or both) and the automations; earlier automations of the
    same names are replaced."""
    blocks = [webhook_block(webhook_url)] if webhook_url else []
    if email is not None:
        blocks.append(email_block(email))
    if not blocks:
        raise ValueError("give a webhook URL, an e-mail address, or both")
    made: dict[str, UUID] = {}
    with get_client(sync_client=True) as client:
        for automation in automations(blocks, windows):
            for old in client.read_automations_by_name(automation.name):
                client.delete_automation(old.id)
            made[automation.name] = client.create_automation(automation)
    return made
