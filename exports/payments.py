"""The day's payment batch for the finance bureau (拨付清单).

The one output that shows bank accounts and payee ID numbers in full. Its rows are the outbox's
batch rows (services/money/outbox.py `batch_rows`, the rendering the bank's CSV is written from):
every batch sealed on that business date, line by line, with the payee's name, ID number and
account as the order stored them when it was written, plus its 开户行 (bank_name), the payee type in
Chinese, its status now and its batch id. Orders of that date not yet sealed into a batch follow,
marked 未入批次 (failed and voided ones are left out: they are not money out). Totals per kind, per
batch and overall equal the batch files' to the fen. Recoveries due that day are on a second sheet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, exists, select

from exports.labels import PAYMENT_KIND_ZH, PAYMENT_STATUS_ZH, label, payee_type_label
from exports.writer import Row, Section
from intake.jurisdictions import JURISDICTIONS
from models.tables import BATCH_ORDER, CLAIM, OUTBOX_BATCH, PAYEE, PAYMENT
from services.money.channel import KIND_ZH
from services.money.outbox import batch_rows
from services.money.totals import NOT_PAID

OUTGOING: tuple[str, ...] = ("advance", "final")
KIND_CODE = {zh: code for code, zh in KIND_ZH.items()}
NOT_IN_BATCH = {"zh": "未入批次", "en": "not in a batch yet"}

HEADERS = {
    "zh": ("序号", "收款人", "收款人类型", "收款人证件号码", "收款账号（银行账号/社保卡号）", "开户行", "金额（元）",
           "支付流水号", "类别", "申报编号", "政策", "状态", "批次号"),
    "en": ("No.", "Payee", "Payee type", "Payee ID number", "Bank account / social security card",
           "Bank (开户行)", "Amount (yuan)", "Payment reference", "Kind", "Claim ID", "Policy", "Status", "Batch"),
}
AMOUNT = HEADERS["zh"].index("金额（元）")


@dataclass(frozen=True, slots=True)
class Line:
    """One order as the export shows it: from its batch row, or from the order row before sealing."""

    reference: str
    key: str
    policy: str
    claim_id: str
    kind: str
    payee_type: str
    payee_name: str
    payee_id: str
    account: str
    amount: Decimal
    batch: int | None
    bank_name: str = ""
    status: str = ""


def _batches_of(conn: Connection, day: date) -> list[int]:
    return list(conn.execute(select(OUTBOX_BATCH.c.id).where(OUTBOX_BATCH.c.business_date == day)
                             .order_by(OUTBOX_BATCH.c.id)).scalars())


def outgoing_lines(engine: Engine, day: date) -> Iterator[Line]:
    """The day's orders: each batch sealed that day as `batch_rows` renders it for the bank's file
    (one query per batch, plus one for its orders' status and bank), then the day's unsealed orders."""
    with engine.connect() as conn:
        for batch_id in _batches_of(conn, day):
            cells = batch_rows(conn, batch_id)
            extra = {r.idempotency_key: r for r in conn.execute(
                select(PAYMENT.c.idempotency_key, PAYMENT.c.status, PAYMENT.c.bank_name)
                .join(BATCH_ORDER, BATCH_ORDER.c.payment_id == PAYMENT.c.id)
                .where(BATCH_ORDER.c.batch_id == batch_id))}
            for c in cells:
                more = extra.get(c[1])
                yield Line(c[0], c[1], c[2], c[3], KIND_CODE.get(c[4], c[4]), c[5], c[6], c[7], c[8],
                           Decimal(c[9]), batch_id, (more.bank_name or "") if more else "",
                           more.status if more else "")
        in_batch = exists().where(BATCH_ORDER.c.payment_id == PAYMENT.c.id)
        unsealed = conn.execution_options(yield_per=1000).execute(
            select(PAYMENT, CLAIM.c.policy, CLAIM.c.claim_id)
            .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk)
            .where(PAYMENT.c.business_date == day, PAYMENT.c.kind.in_(OUTGOING),
                   PAYMENT.c.status.not_in(NOT_PAID), ~in_batch)
            .order_by(PAYMENT.c.kind, CLAIM.c.policy, CLAIM.c.claim_id, PAYMENT.c.id))
        for r in unsealed:
            yield Line(r.reference or "", r.idempotency_key, r.policy, r.claim_id, r.kind, r.payee_type,
                       r.payee_name or "", r.payee_id, r.bank_account or "", r.amount, None,
                       r.bank_name or "", r.status)


def recovery_lines(engine: Engine, day: date) -> Iterator[Line]:
    """Recoveries due that day (their payee as the recovery row stored it, else the claim's)."""
    with engine.connect() as conn:
        for r in conn.execution_options(yield_per=1000).execute(
                select(PAYMENT, CLAIM.c.policy, CLAIM.c.claim_id,
                       CLAIM.c.payee_name.label("claim_name"), CLAIM.c.bank_account.label("claim_account"),
                       PAYEE.c.name.label("registry_name"))
                .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk)
                .outerjoin(PAYEE, PAYEE.c.payee_id == PAYMENT.c.payee_id)
                .where(PAYMENT.c.business_date == day, PAYMENT.c.kind == "recovery", PAYMENT.c.status != "returned")
                .order_by(CLAIM.c.policy, CLAIM.c.claim_id, PAYMENT.c.id)):
            yield Line(r.reference or r.idempotency_key, r.idempotency_key, r.policy, r.claim_id, r.kind,
                       r.payee_type, r.payee_name or r.claim_name or r.registry_name or "", r.payee_id,
                       r.bank_account or r.claim_account or "", r.amount, None, r.bank_name or "", r.status)


def batch_totals(engine: Engine, day: date) -> dict[str, tuple[int, Decimal]]:
    """kind -> (payments, amount) of the day's export: the same lines the export shows."""
    totals: dict[str, tuple[int, Decimal]] = {}
    for line in outgoing_lines(engine, day):
        n, amount = totals.get(line.kind, (0, Decimal("0.00")))
        totals[line.kind] = (n + 1, amount + line.amount)
    return totals


@dataclass
class _Rows:
    lines: Any
    kinds: tuple[str, ...]
    lang: str
    count: int = 0
    per_kind: dict[str, list[Any]] = field(default_factory=dict)
    per_payee: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    per_batch: dict[int | None, list[Any]] = field(default_factory=dict)
    signatures: bool = False

    def __iter__(self) -> Iterator[Row]:
        for line in self.lines():
            self.count += 1
            for tally in (self.per_kind.setdefault(line.kind, [0, Decimal("0.00")]),
                          self.per_payee.setdefault((line.policy, line.payee_type), [0, Decimal("0.00")]),
                          self.per_batch.setdefault(line.batch, [0, Decimal("0.00")])):
                tally[0] += 1
                tally[1] += line.amount
            yield (
                self.count,
                line.payee_name,
                payee_type_label(line.payee_type, self.lang),
                line.payee_id,
                line.account,
                line.bank_name,
                line.amount,
                line.reference or line.key,
                label(PAYMENT_KIND_ZH, line.kind, self.lang),
                line.claim_id,
                line.policy,
                label(PAYMENT_STATUS_ZH, line.status, self.lang),
                line.batch if line.batch is not None else NOT_IN_BATCH[self.lang],
            )

    def _row(self, *cells: Any, amount: Decimal) -> Row:
        padded: list[Any] = [*cells, *([None] * (AMOUNT - len(cells)))]
        return (*padded[:AMOUNT], amount)

    def footer(self) -> list[Row]:
        zh = self.lang == "zh"
        rows: list[Row] = []
        for kind in self.kinds:
            n, amount = self.per_kind.get(kind, (0, Decimal("0.00")))
            rows.append(self._row("小计" if zh else "Subtotal", label(PAYMENT_KIND_ZH, kind, self.lang),
                                  f"{n}笔" if zh else f"{n} payments", amount=amount))
        total = sum((t[1] for t in self.per_kind.values()), Decimal("0.00"))
        rows.append(self._row("合计" if zh else "Total", None, f"{self.count}笔" if zh else
                              f"{self.count} payments", amount=total))
        for batch, (n, amount) in sorted(self.per_batch.items(), key=lambda item: (item[0] is None, item[0] or 0)):
            rows.append(self._row("按批次" if zh else "By batch",
                                  batch if batch is not None else NOT_IN_BATCH[self.lang],
                                  f"{n}笔" if zh else f"{n} payments", amount=amount))
        for (policy, payee_type), (n, amount) in sorted(self.per_payee.items()):
            rows.append(self._row("按政策和收款人类型" if zh else "By policy and payee type",
                                  policy_label(policy, self.lang), payee_type_label(payee_type, self.lang),
                                  f"{n}笔" if zh else f"{n} payments", amount=amount))
        if self.signatures:
            rows.append((None,))
            rows.append(("经办：", None, "复核：", None, "审批：") if zh else
                        ("Prepared by:", None, "Checked by:", None, "Approved by:"))
        return rows


def policy_label(policy: str, lang: str) -> str:
    """The policy as the bureau names it (葫芦岛市) in Chinese, its code in English."""
    return JURISDICTIONS[policy].name if lang == "zh" and policy in JURISDICTIONS else policy


def batch_sections(engine: Engine, day: date, lang: str = "zh") -> list[Section]:
    zh = lang == "zh"
    paid = _Rows(lambda: outgoing_lines(engine, day), OUTGOING, lang, signatures=True)
    recoveries = _Rows(lambda: recovery_lines(engine, day), ("recovery",), lang)
    title = (f"{day.year}年{day.month}月{day.day}日职业培训补贴拨付清单" if zh
             else f"Training subsidy payment batch of {day.isoformat()}")
    widths = (6, 28, 10, 20, 26, 24, 14, 30, 10, 16, 18, 12, 10)
    return [
        Section(name="拨付清单" if zh else "payments", header=HEADERS[lang], rows=paid,
                preamble=[title, "本清单含完整收款账号，仅供财政部门拨付使用，请勿外传。" if zh
                          else "Full bank accounts: for the finance bureau only."],
                footer=paid.footer, widths=widths),
        Section(name="追回" if zh else "recoveries", header=HEADERS[lang], rows=recoveries,
                preamble=["当日应追回款项" if zh else "Recoveries due this day"],
                footer=recoveries.footer, widths=widths),
    ]
