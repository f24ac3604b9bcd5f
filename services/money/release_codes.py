"""Personal release codes of approvers, for the payment-release form in the Prefect UI.

The form is not a login (the server sits behind the bureau's authentication, docs/operations.md):
the code is a second, personal check that the name typed is the approver's. Codes are kept
hashed (scrypt, a salt per person) in a YAML file beside the deployment's actor list:
CLAIMS_RELEASE_CODES, default `<CLAIMS_ACTORS>.codes.yaml`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import Engine

from services.money.approval import Waiting, waiting_batches


class ReleaseCodeError(PermissionError):
    """No code file, no code for this approver, or the wrong code."""


def codes_path() -> Path:
    given = os.environ.get("CLAIMS_RELEASE_CODES")
    if given:
        return Path(given)
    actors = os.environ.get("CLAIMS_ACTORS")
    if not actors:
        raise ReleaseCodeError("set CLAIMS_ACTORS (the actor list) or CLAIMS_RELEASE_CODES: "
                               "release codes are kept beside the actor list")
    return Path(actors).with_suffix(".codes.yaml")


def _hash(code: str, salt: bytes) -> str:
    return hashlib.scrypt(code.encode(), salt=salt, n=2**14, r=8, p=1).hex()


def set_code(name: str, code: str, path: Path | None = None) -> Path:
    """Store `name`'s release code (hashed with a fresh salt), replacing an earlier one."""
    if len(code) < 6:
        raise ReleaseCodeError("a release code has at least 6 characters")
    target = path or codes_path()
    stored = yaml.safe_load(target.read_text(encoding="utf-8")) if target.exists() else {}
    salt = secrets.token_bytes(16)
    stored[name] = f"scrypt${salt.hex()}${_hash(code, salt)}"
    target.write_text(yaml.safe_dump(stored, allow_unicode=True, sort_keys=True), encoding="utf-8")
    target.chmod(0o600)
    return target


def check_code(name: str, code: str, path: Path | None = None) -> None:
    """Raise ReleaseCodeError unless `code` is `name`'s release code."""
    target = path or codes_path()
    stored = yaml.safe_load(target.read_text(encoding="utf-8")) if target.exists() else {}
    entry = (stored or {}).get(name)
    if not entry:
        raise ReleaseCodeError(f"{name!r} has no release code ({target})")
    _, salt, digest = str(entry).split("$")
    if not hmac.compare_digest(_hash(code, bytes.fromhex(salt)), digest):
        raise ReleaseCodeError(f"wrong release code for {name!r}")


def waiting_for_release(engine: Engine) -> list[Waiting]:
    """The batches waiting for a release (services/money/approval.waiting_batches)."""
    with engine.connect() as conn:
        return waiting_batches(conn)


def batch_markdown(on: date, waiting: list[Waiting]) -> str:
    lines = [f"# 拨付审批 payment release {on.isoformat()}", "",
             "| 批次号 batch | 政策 policy | 业务日期 day | 笔数 orders | 金额（元） amount |",
             "|---:|---|---|---:|---:|"]
    lines += [f"| {w.batch_id} | {w.policy} | {w.business_date.isoformat()} | {w.claims} | {w.amount:,.2f} |"
              for w in waiting]
    total = sum((w.amount for w in waiting), Decimal("0"))
    lines += [f"| **合计 total** | | | {sum(w.claims for w in waiting)} | {total:,.2f} |"]
    return "\n".join(lines) + "\n"
