"""Stable keys of a filed record: the person partition key and the content hash.

Both are computed the same way from a `ClaimRecord` and from a stored claim row, so a
re-import can tell "same claim again" from "same claim_id, different content".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from rules.record import FIRST_FIELDS, LATER_FIELDS, RECORD_FIELDS, ClaimRecord

PERSON_KEY_BITS = 31


def person_key(person_id: str) -> int:
    """A positive 31-bit integer from sha1(person_id): nightly work is partitioned by it."""
    digest = hashlib.sha1(person_id.encode("utf-8")).digest()  # an ASCII id hashes as before
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


_FIRST = len(FIRST_FIELDS)
_LATER = tuple((_FIRST + i, f"\x1f{name}=") for i, name in enumerate(LATER_FIELDS))


def digest_of(texts: Sequence[str]) -> str:
    """The content hash of a record's canonical texts in RECORD_FIELDS order: sha256 over the
    first schema's fields joined with \\x1f, then each filled later field (rules/record.py
    LATER_FIELDS) as `\\x1fname=value`. An empty later field adds nothing, so a claim that does
    not use the fields added after the first schema hashes exactly as it did before them."""
    text = "\x1f".join(texts[:_FIRST])
    for index, tag in _LATER:
        later = texts[index]
        if later:
            text += tag + later
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(values: Mapping[str, Any]) -> str:
    """`digest_of` a record's values or a stored claim row's mapping."""
    return digest_of([canonical(values[name]) for name in RECORD_FIELDS])


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The record fields whose canonical values differ, in record order."""
    return [name for name in RECORD_FIELDS
            if canonical(before[name]) != canonical(after[name])]
