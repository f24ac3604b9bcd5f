"""The day's payment batch for the finance bureau (拨付清单).

The one output that shows bank accounts in full. It lists the day's outgoing payments
(advances and final payments with that business date, failed ones left out: their retry is
a new payment) with totals per kind and overall, and the recoveries due that day on a
second sheet. Its totals equal the payment table's to the fen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Select, func, select

from exports.labels import PAYMENT_KIND_ZH, PAYMENT_STATUS_ZH, label, payee_type_label
from exports.query import stream
from exports.writer import Row, Section
from intake.jurisdictions import JURISDICTIONS
from intake.privacy import mask_id
from models.tables import CLAIM, PAYEE, PAYMENT

OUTGOING: tuple[str, ...] = ("advance", "final")
EXCLUDED_STATUS = "failed"

HEADERS = {
    "zh": ("序号", "收款人", "收款人类型", "收款账号（银行账号/社保卡号）", "金额（元）",
           "支付流水号", "类别", "申报编号", "政策", "状态"),
    "en": ("No.", "Payee", "Payee type", "Bank account / social security card", "Amount (yuan)",
           "Payment reference", "Kind", "Claim ID", "Policy", "Status"),
}


def _batch_filter(stmt: Select[Any], day: date, kinds: tuple[str, ...]) -> Select[Any]:
    return (stmt.where(PAYMENT.c.business_date == day)
            .where(PAYMENT.c.kind.in_(kinds))
            .where(PAYMENT.c.status != EXCLUDED_STATUS))


def batch_totals(engine: Engine, day: date,
                 kinds: tuple[str, ...] = OUTGOING) -> dict[str, tuple[int, Decimal]]:
    """kind -> (payments, amount) of the day's batch, summed by the database."""
    stmt = _batch_filter(
        select(PAYMENT.c.kind, func.count(PAYMENT.c.id), func.sum(PAYMENT.c.amount))
        .group_by(PAYMENT.c.kind), day, kinds)
    with engine.connect() as conn:
        return {kind: (int(n), amount or Decimal("0.00"))
                for kind, n, amount in conn.execute(stmt).all()}


@dataclass
class _Rows:
    engine: Engine
    day: date
    kinds: tuple[str, ...]
    lang: str
    count: int = 0
    per_kind: dict[str, list[Any]] = field(default_factory=dict)
    per_payee: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    signatures: bool = False

    def __iter__(self) -> Iterator[Row]:
        stmt = _batch_filter(
            select(PAYMENT.c.kind, PAYMENT.c.amount, PAYMENT.c.status, PAYMENT.c.reference,
                   PAYMENT.c.idempotency_key, PAYMENT.c.payee_type, PAYMENT.c.payee_id,
                   CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.payee_id.label("claim_payee_id"),
                   CLAIM.c.payee_name, CLAIM.c.bank_account,
                   PAYEE.c.name.label("registry_name"),
                   PAYEE.c.bank_account.label("registry_account"))
            .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk)
            .outerjoin(PAYEE, PAYEE.c.payee_id == PAYMENT.c.payee_id)
            .order_by(PAYMENT.c.kind, CLAIM.c.policy, CLAIM.c.claim_id, PAYMENT.c.id),
            self.day, self.kinds)
        for row in stream(self.engine, stmt):
            name, account = _payee(row)
            self.count += 1
            tally = self.per_kind.setdefault(row.kind, [0, Decimal("0.00")])
            tally[0] += 1
            tally[1] += row.amount
            group = self.per_payee.setdefault((row.policy, row.payee_type), [0, Decimal("0.00")])
            group[0] += 1
            group[1] += row.amount
            yield (
                self.count,
                name,
                payee_type_label(row.payee_type, self.lang),
                account,
                row.amount,
                row.reference or row.idempotency_key,
                label(PAYMENT_KIND_ZH, row.kind, self.lang),
                row.claim_id,
                row.policy,
                label(PAYMENT_STATUS_ZH, row.status, self.lang),
            )

    def footer(self) -> list[Row]:
        zh = self.lang == "zh"
        rows: list[Row] = []
        for kind in self.kinds:
            n, amount = self.per_kind.get(kind, (0, Decimal("0.00")))
            rows.append(("小计" if zh else "Subtotal", label(PAYMENT_KIND_ZH, kind, self.lang),
                         f"{n}笔" if zh else f"{n} payments", None, amount))
        total = sum((t[1] for t in self.per_kind.values()), Decimal("0.00"))
        rows.append(("合计" if zh else "Total", None, f"{self.count}笔" if zh else
                     f"{self.count} payments", None, total))
        for (policy, payee_type), (n, amount) in sorted(self.per_payee.items()):
            rows.append(("按政策和收款人类型" if zh else "By policy and payee type",
                         policy_label(policy, self.lang), payee_type_label(payee_type, self.lang),
                         f"{n}笔" if zh else f"{n} payments", amount))
        if self.signatures:
            rows.append((None,))
            rows.append(("经办：", None, "复核：", None, "审批：") if zh else
                        ("Prepared by:", None, "Checked by:", None, "Approved by:"))
        return rows


def policy_label(policy: str, lang: str) -> str:
    """The policy as the bureau names it (葫芦岛市) in Chinese, its code in English."""
    return JURISDICTIONS[policy].name if lang == "zh" and policy in JURISDICTIONS else policy


def _payee(row: Any) -> tuple[str, str]:
    """Name and account: the claim's own when it pays the claim's payee, else the registry's."""
    if row.payee_id == row.claim_payee_id:
        name = row.payee_name or row.registry_name
        account = row.bank_account or row.registry_account
    else:
        name = row.registry_name or row.payee_name
        account = row.registry_account or row.bank_account
    return name or mask_id(row.payee_id), account or ""


def batch_sections(engine: Engine, day: date, lang: str = "zh") -> list[Section]:
    zh = lang == "zh"
    paid = _Rows(engine, day, OUTGOING, lang, signatures=True)
    recoveries = _Rows(engine, day, ("recovery",), lang)
    title = (f"{day.year}年{day.month}月{day.day}日职业培训补贴拨付清单" if zh
             else f"Training subsidy payment batch of {day.isoformat()}")
    widths = (6, 28, 10, 26, 14, 30, 10, 16, 18, 12)
    return [
        Section(name="拨付清单" if zh else "payments", header=HEADERS[lang], rows=paid,
                preamble=[title, "本清单含完整收款账号，仅供财政部门拨付使用，请勿外传。" if zh
                          else "Full bank accounts: for the finance bureau only."],
                footer=paid.footer, widths=widths),
        Section(name="追回" if zh else "recoveries", header=HEADERS[lang], rows=recoveries,
                preamble=["当日应追回款项" if zh else "Recoveries due this day"],
                footer=recoveries.footer, widths=widths),
    ]
