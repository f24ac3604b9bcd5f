"""The payment channel: how the day's payments leave the product.

The database stays the record of every payment; a channel only carries a batch out and says,
per payment, whether it was accepted and under which reference. `FileChannel` writes the
order accepted; the outbox writes the treasury's (国库集中支付) batch files from the committed
orders; `FailingChannel` refuses chosen payments (tests, drills). References are derived from the
idempotency key, so an order has the same reference wherever it appears.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Protocol

from services.settings import Settings, load_settings

BATCH_HEADERS: tuple[str, ...] = (
    "参考号", "付款幂等键", "政策", "申报编号", "款项类别", "收款人类型", "收款人名称",
    "收款人证件号码", "银行账号/社保卡号", "金额（元）", "业务日期",
)
KIND_ZH = {"advance": "预支", "final": "清算拨付"}


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    payment_key: str
    kind: str
    amount: Decimal
    policy: str
    claim_id: str
    payee_type: str
    payee_id: str
    payee_name: str | None
    bank_account: str | None
    business_date: date


@dataclass(frozen=True, slots=True)
class ChannelResult:
    payment_key: str
    ok: bool
    reference: str | None
    message: str = ""


class PaymentChannel(Protocol):
    def send(self, batch: list[PaymentOrder], on: date) -> list[ChannelResult]: ...


def reference_for(payment_key: str) -> str:
    return "PAY" + hashlib.sha256(payment_key.encode("utf-8")).hexdigest()[:17].upper()


class FileChannel:
    """Accepts every order under the reference derived from its key. It writes nothing itself: the
    orders are committed with their claims' moves, and the outbox (services/money/outbox.py) seals
    them into batches and writes the batch files to `out_dir` after that commit."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)

    def send(self, batch: list[PaymentOrder], on: date) -> list[ChannelResult]:
        return [ChannelResult(o.payment_key, True, reference_for(o.payment_key), "ordered: the outbox writes its file")
                for o in batch]


class FailingChannel:
    """Refuses payments whose key matches one of `fail_keys` (globs) or `predicate`."""

    def __init__(self, fail_keys: Iterable[str] = (),
                 predicate: Callable[[PaymentOrder], bool] | None = None,
                 inner: PaymentChannel | None = None) -> None:
        self.fail_keys = tuple(fail_keys)
        self.predicate = predicate
        self.inner = inner
        self.sent: list[PaymentOrder] = []

    def _fails(self, order: PaymentOrder) -> bool:
        if any(fnmatchcase(order.payment_key, pattern) for pattern in self.fail_keys):
            return True
        return bool(self.predicate and self.predicate(order))

    def send(self, batch: list[PaymentOrder], on: date) -> list[ChannelResult]:
        good = [o for o in batch if not self._fails(o)]
        self.sent.extend(good)
        accepted = {r.payment_key: r for r in (self.inner.send(good, on) if self.inner else [])}
        return [
            ChannelResult(o.payment_key, False, None, "refused by the payment channel")
            if self._fails(o) else
            accepted.get(o.payment_key, ChannelResult(o.payment_key, True, reference_for(o.payment_key)))
            for o in batch
        ]


_override: PaymentChannel | None = None


def use_channel(channel: PaymentChannel | None) -> None:
    """Route payments through `channel` in this process (None: back to the setting)."""
    global _override
    _override = channel


def current_channel(settings: Settings | None = None) -> PaymentChannel:
    if _override is not None:
        return _override
    settings = settings or load_settings()
    files = FileChannel(settings.payment_dir)
    if settings.payment_channel == "failing":
        return FailingChannel(settings.payment_fail_keys, inner=files)
    return files


def outbox_dir(settings: Settings | None = None) -> Path:
    """Where the outbox writes batch files: the file channel's folder in use in this process
    (`use_channel`), else the setting payment.dir."""
    channel: object = _override
    while channel is not None:
        if isinstance(channel, FileChannel):
            return channel.out_dir
        channel = getattr(channel, "inner", None)
    return (settings or load_settings()).payment_dir
