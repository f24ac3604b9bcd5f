"""Stable keys of a filed record: the person partition key and the content hash.

Both are computed the same way from a `ClaimRecord` and from a stored claim row, so a
re-import can tell "same claim again" from "same claim_id, different content".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from rules.record import RECORD_FIELDS, ClaimRecord

PERSON_KEY_BITS = 31


def person_key(person_id: str) -> int:
    """A positive 31-bit integer from sha1(person_id): nightly work is partitioned by it."""
    digest = hashlib.sha1(person_id.encode("ascii")).digest()
    return int.from_bytes(digest[:4], "big") & ((1 << PERSON_KEY_BITS) - 1)


def canonical(value: Any) -> str:
    """One field's value as text, identical for a parsed record and a stored row."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, tuple | list):
        return ";".join(value)
    return str(value)


def record_values(record: ClaimRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in RECORD_FIELDS}


def content_hash(values: Mapping[str, Any]) -> str:
    """sha256 over every record field of a record's values or a stored claim row's mapping."""
    text = "\x1f".join(canonical(values[name]) for name in RECORD_FIELDS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The record fields whose canonical values differ, in record order."""
    return [name for name in RECORD_FIELDS
            if canonical(before[name]) != canonical(after[name])]
