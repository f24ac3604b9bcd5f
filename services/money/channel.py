"""The payment channel: how the day's payments leave the product.

The database stays the record of every payment; a channel only carries a batch out and says,
per payment, whether it was accepted and under which reference. `FileChannel` writes the
day's batch file for the treasury (国库集中支付); `FailingChannel` refuses chosen payments
(tests, drills). References are derived from the idempotency key, so sending the same
payment again yields the same reference and the batch file never holds it twice.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path
from typing import BinaryIO, Protocol

from intake.privacy import safe_cell
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
    """Appends the payments to `<out_dir>/payments-<date>.csv` (UTF-8 with BOM for Excel)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)

    def batch_path(self, on: date) -> Path:
        return self.out_dir / f"payments-{on.isoformat()}.csv"

    def send(self, batch: list[PaymentOrder], on: date) -> list[ChannelResult]:
        if not batch:
            return []
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.batch_path(on)
        with path.open("a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                present = _keys_in(handle, path)
                text = io.StringIO(newline="")
                writer = csv.writer(text)
                if handle.tell() == 0:
                    text.write("\ufeff")  # UTF-8 with BOM, as Excel in China expects
                    writer.writerow(BATCH_HEADERS)
                references = [reference_for(o.payment_key) for o in batch]
                for order, reference in zip(batch, references, strict=True):
                    if order.payment_key not in present:
                        writer.writerow(_batch_row(order, reference))
                        present.add(order.payment_key)
                handle.write(text.getvalue().encode("utf-8"))
                handle.flush()
                _SEEN[path] = (handle.tell(), present)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        note = f"in batch {path.name}"
        return [ChannelResult(o.payment_key, True, reference, note)
                for o, reference in zip(batch, references, strict=True)]


_SEEN: dict[Path, tuple[int, set[str]]] = {}
"""per batch file: how far this process has read it, and the payment keys in it so far"""


def _keys_in(handle: BinaryIO, path: Path) -> set[str]:
    """The payment keys already in the day's file: only the bytes appended since this process
    last read it are parsed (other processes may append too; the lock orders them)."""
    handle.seek(0, io.SEEK_END)
    end = handle.tell()
    offset, keys = _SEEN.get(path, (0, set()))
    if offset > end:  # the file was replaced: read it again
        offset, keys = 0, set()
    handle.seek(offset)
    fresh = handle.read(end - offset).decode("utf-8-sig" if offset == 0 else "utf-8")
    keys.update(row[1] for row in csv.reader(io.StringIO(fresh, newline="")) if len(row) > 1)
    handle.seek(end)
    return keys


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


def _batch_row(order: PaymentOrder, reference: str) -> list[str]:
    cells = [
        reference, order.payment_key, order.policy, order.claim_id,
        KIND_ZH.get(order.kind, order.kind), order.payee_type, order.payee_name or "",
        order.payee_id, order.bank_account or "", f"{order.amount:.2f}", order.business_date.isoformat(),
    ]
    return [str(safe_cell(cell)) for cell in cells]
