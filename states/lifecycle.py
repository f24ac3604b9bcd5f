"""The whole claim lifecycle as ONE declarative table, driven by ONE shared Machine.

A Machine per claim costs ~0.8 ms and 25 KiB (DESIGN.md), and sqlmodel rows cannot be
bound as models, so the Machine has no models: steps wrap each row in a light `Subject`
and fire `MACHINE.events[trigger].trigger(subject)`. Guards are named attributes of
the subject (`has_advance`, `completion_ready`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from transitions import Machine, MachineError

# (code, 中文, meaning)
STATES: tuple[tuple[str, str, str], ...] = (
    ("filed", "已受理", "claim received"),
    ("advance_paid", "预支已拨付", "advance paid to the organisation; class running"),
    ("on_site_inspected", "现场检查通过", "on-site check passed; waits for completion facts"),
    ("assessed", "已审核", "rules applied, amount fixed"),
    ("publicly_posted", "公示中", "on the public notice for the posting window"),
    ("objected", "异议待复核", "an objection waits for review"),
    ("approved", "公示期满待拨付", "posting window closed without objection; payment due"),
    ("paid", "已拨付", "money sent to the payee"),
    ("payment_failed", "拨付失败待重试", "the bank refused the payment; retried as a new attempt"),
    ("rejected", "不予补贴", "refused with reason codes"),
    ("withdrawn", "已撤回", "withdrawn before assessment"),
    ("recovery_due", "待追回", "money paid must come back"),
    ("recovered", "已追回", "the money owed came back"),
)
STATE_CODES: tuple[str, ...] = tuple(code for code, _, _ in STATES)
STATE_ZH: dict[str, str] = {code: zh for code, zh, _ in STATES}
FINAL_STATES: frozenset[str] = frozenset({"paid", "rejected", "withdrawn", "recovered"})

_BEFORE_FINAL_PAYMENT = [
    "filed",
    "on_site_inspected",
    "assessed",
    "publicly_posted",
    "objected",
    "approved",
    "payment_failed",
]

# The table. Order matters where one trigger has guarded alternatives: first match wins.
TRANSITIONS: tuple[dict[str, Any], ...] = (
    {"trigger": "pay_advance", "source": "filed", "dest": "advance_paid"},
    {"trigger": "pass_inspection", "source": ["filed", "advance_paid"], "dest": "on_site_inspected"},
    {"trigger": "fail_inspection", "source": "filed", "dest": "rejected"},
    {"trigger": "fail_inspection", "source": "advance_paid", "dest": "recovery_due"},
    {"trigger": "record_inspection", "source": ["filed", "advance_paid"], "dest": None},
    {"trigger": "record_completion", "source": ["filed", "advance_paid", "on_site_inspected"], "dest": None},
    {"trigger": "amend", "source": ["filed", "advance_paid", "on_site_inspected"], "dest": None},
    {"trigger": "clear_signal", "source": ["filed", "advance_paid", "on_site_inspected", "assessed",
                                           "publicly_posted", "approved"], "dest": None},
    {"trigger": "amend_payee", "source": ["approved", "payment_failed"], "dest": None},
    {"trigger": "assess", "source": "on_site_inspected", "dest": "assessed", "conditions": "completion_ready"},
    {"trigger": "refuse", "source": "on_site_inspected", "dest": "recovery_due", "conditions": "has_advance"},
    {"trigger": "refuse", "source": "on_site_inspected", "dest": "rejected", "unless": "has_advance"},
    {"trigger": "post", "source": "assessed", "dest": "publicly_posted"},
    {"trigger": "object", "source": "publicly_posted", "dest": "objected"},
    {"trigger": "dismiss", "source": "objected", "dest": "publicly_posted"},
    {"trigger": "uphold", "source": "objected", "dest": "recovery_due", "conditions": "has_advance"},
    {"trigger": "uphold", "source": "objected", "dest": "rejected", "unless": "has_advance"},
    {"trigger": "close_posting", "source": "publicly_posted", "dest": "approved"},
    {"trigger": "pay", "source": "approved", "dest": "paid"},
    {"trigger": "recover_excess", "source": "approved", "dest": "recovery_due", "conditions": "has_advance"},
    {"trigger": "fail_payment", "source": ["approved", "paid"], "dest": "payment_failed"},
    {"trigger": "retry_payment", "source": "payment_failed", "dest": "approved"},
    {"trigger": "reject", "source": "advance_paid", "dest": "recovery_due"},
    {"trigger": "reject", "source": _BEFORE_FINAL_PAYMENT, "dest": "recovery_due", "conditions": "has_advance"},
    {"trigger": "reject", "source": _BEFORE_FINAL_PAYMENT, "dest": "rejected", "unless": "has_advance"},
    {"trigger": "withdraw", "source": "advance_paid", "dest": "recovery_due"},
    {"trigger": "withdraw", "source": ["filed", "on_site_inspected"], "dest": "recovery_due",
     "conditions": "has_advance"},
    {"trigger": "withdraw", "source": ["filed", "on_site_inspected"], "dest": "withdrawn", "unless": "has_advance"},
    {"trigger": "demand_recovery", "source": "paid", "dest": "recovery_due"},
    {"trigger": "confirm_recovery", "source": "recovery_due", "dest": "recovered"},
)

TRIGGER_ZH: dict[str, str] = {
    "pay_advance": "预支拨付",
    "pass_inspection": "现场检查通过",
    "fail_inspection": "现场检查不通过",
    "record_completion": "登记结业/证书",
    "amend": "更正申报",
    "clear_signal": "风险信号复核排除",
    "amend_payee": "更正收款信息",
    "assess": "审核通过",
    "refuse": "审核不予补贴",
    "post": "公示",
    "object": "提出异议",
    "dismiss": "异议不成立",
    "uphold": "异议成立",
    "close_posting": "公示期满",
    "pay": "拨付",
    "recover_excess": "清算追回多预支部分",
    "fail_payment": "拨付失败",
    "retry_payment": "重新拨付",
    "reject": "不予补贴",
    "withdraw": "撤回",
    "demand_recovery": "追回",
    "confirm_recovery": "确认已追回",
}

MACHINE = Machine(
    model=None,
    states=list(STATE_CODES),
    transitions=[dict(t) for t in TRANSITIONS],
    initial="filed",
    auto_transitions=False,
    ignore_invalid_triggers=False,
    model_attribute="state",
)


class IllegalTransition(Exception):
    """A move the lifecycle table does not allow."""

    def __init__(self, claim_id: str, state: str, trigger: str, why: str = "") -> None:
        self.claim_id, self.state, self.trigger = claim_id, state, trigger
        detail = f": {why}" if why else ""
        super().__init__(
            f"claim {claim_id}: '{trigger}' is not allowed in state '{state}'{detail}"
        )


@dataclass(slots=True)
class Subject:
    """What the Machine needs of a claim: its id, state and the facts guards read."""

    claim_id: str
    state: str
    advance_paid: Decimal = Decimal("0")
    completion_ready: bool = True

    @property
    def has_advance(self) -> bool:
        return self.advance_paid > 0


def fire(subject: Subject, trigger: str) -> str:
    """Move `subject` by `trigger`; return its new state or raise IllegalTransition."""
    event = MACHINE.events.get(trigger)
    if event is None:
        raise IllegalTransition(subject.claim_id, subject.state, trigger, "no such trigger")
    before = subject.state
    try:
        moved = event.trigger(subject)
    except MachineError as exc:
        raise IllegalTransition(subject.claim_id, before, trigger) from exc
    if not moved:
        raise IllegalTransition(subject.claim_id, before, trigger, _unmet_guard(subject, trigger))
    return subject.state


def _unmet_guard(subject: Subject, trigger: str) -> str:
    if trigger == "assess" and not subject.completion_ready:
        return "completion facts (certificate, result) are missing"
    return "its conditions are not met"


def next_state(state: str, trigger: str, *, has_advance: bool = False, completion_ready: bool = True) -> str:
    """The state `trigger` leads to from `state` (raises IllegalTransition)."""
    subject = Subject("?", state, Decimal("1") if has_advance else Decimal("0"), completion_ready)
    return fire(subject, trigger)


def allowed_triggers(state: str) -> list[str]:
    return sorted({t["trigger"] for t in TRANSITIONS if state in _sources(t)})


def _sources(transition: dict[str, Any]) -> list[str]:
    source = transition["source"]
    return [source] if isinstance(source, str) else list(source)


def sources(*triggers: str) -> tuple[str, ...]:
    """The states any of `triggers` leaves from, in the table's state order: what a step's
    source query selects, so no step types the lifecycle's state names again."""
    unknown = set(triggers) - {t["trigger"] for t in TRANSITIONS}
    if unknown:
        raise ValueError(f"no such trigger: {', '.join(sorted(unknown))}")
    found = {state for t in TRANSITIONS if t["trigger"] in triggers for state in _sources(t)}
    return tuple(state for state in STATE_CODES if state in found)
