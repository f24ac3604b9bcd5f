"""Stable error codes for machine outputs (issue 20): `claims failed --json`, `claims show --json`
and `claims rules evaluate` carry `error_code` next to the reason text they always had; the
human `message` beside it is the catalogue's text (id `error.<code>`) in the reader's language.
The codes and their meaning are the table in docs/errors.md (a test keeps both in step)."""

from __future__ import annotations

import re

from intake.messages import current_lang, localise_stored, msg

ERROR_CODES: tuple[str, ...] = (
    "policy_not_in_force", "missing_parameter", "missing_facts", "advance_not_payable",
    "advance_not_allowed", "advance_refused", "payment_refused", "bank_failed",
    "awaiting_release", "invalid_record", "payee_conflict", "payee_incomplete", "oversight_signal", "set_aside",
)
"""every code a machine output can carry"""

_PREFIXES: tuple[tuple[str, str], ...] = (
    ("claim facts:", "missing_facts"),
    ("advance payment refused", "advance_refused"),
    ("payment attempt", "payment_refused"),
    ("payment refused", "payment_refused"),
    ("the bank failed payment", "bank_failed"),
    ("awaiting payment approval", "awaiting_release"),
)
_LEADING_CODE = re.compile(r"^([a-z][a-z_]+)(?::|$)")


def error_code(reason: str | None) -> str:
    """The stable code of a set-aside or hold reason as the night stores it: its leading code
    (`missing_parameter: …`, `advance_not_payable: …`) or the code of its known wording; any
    other reason is `set_aside`."""
    text = (reason or "").strip()
    found = _LEADING_CODE.match(text)
    if found and found.group(1) in ERROR_CODES:
        return found.group(1)
    for prefix, code in _PREFIXES:
        if text.startswith(prefix):
            return code
    return "set_aside"


def error_message(code: str, detail: str | None, lang: str | None = None) -> str:
    """The human text of `code` (the reason as stored follows as the detail)."""
    return msg(f"error.{code}", lang, detail=detail or "")


def reason_text(reason: str | None, lang: str | None = None) -> str:
    """A set-aside reason as stored (English, `code: detail`) for a person to read: a catalogued
    text translated (`missing_facts: …`), another one under its code's text (`error.<code>`)."""
    text = reason or ""
    lang = lang or current_lang()
    if lang == "en" or not text:
        return text
    localised = localise_stored(text, lang)
    if localised != text:
        return localised
    code = error_code(text)
    found = _LEADING_CODE.match(text)
    detail = text[found.end():].strip() if found and found.group(1) == code else text
    return error_message(code, detail, lang) if detail else error_message(code, text, lang)
