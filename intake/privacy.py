"""Masking for everything but the payment batch: notices, logs, artifacts, reports.

At most the first 6 and last 4 characters of an identity number or account are shown;
names keep their first and last character (王*明, 李*).
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def mask_id(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_account(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * (len(value) - 2) + value[-2:]
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection in text written to CSV/XLSX."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
