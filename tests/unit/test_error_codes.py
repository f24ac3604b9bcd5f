"""Stable error codes of machine outputs (services/error_codes.py, docs/errors.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.messages import LANGS, MESSAGES
from rules.advance import NO_CLASS_FILING, NOT_AN_ORGANISATION, POLICY_ALLOWS_NONE
from services.error_codes import ERROR_CODES, error_code, error_message

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_code_is_documented_and_has_both_texts(code: str) -> None:
    assert f"| `{code}` |" in DOC.read_text(encoding="utf-8")
    assert set(MESSAGES[f"error.{code}"]) == set(LANGS)


@pytest.mark.parametrize(("reason", "code"), [
    (NO_CLASS_FILING, "advance_not_payable"), (NOT_AN_ORGANISATION, "advance_not_payable"),
    (POLICY_ALLOWS_NONE, "advance_not_allowed"), ("policy_not_in_force", "policy_not_in_force"),
    ("missing_parameter: huludao.rate", "missing_parameter"), ("claim facts: no level", "missing_facts"),
    ("missing_facts: apprentice_allowance_actual: x", "missing_facts"),
    ("advance payment refused: channel down", "advance_refused"),
    ("payment attempt 2 refused: bad account", "payment_refused"),
    ("the bank failed payment P-1 (attempt 1) on 2020-06-15", "bank_failed"),
    ("awaiting payment approval: claims approve --date 2020-06-15", "awaiting_release"),
    ("payee_incomplete: no bank account", "payee_incomplete"),
    ("oversight_signal: implausible_age 年龄异常 (X, score 1.000): 1 claim", "oversight_signal"),
    ("something new", "set_aside"), (None, "set_aside"),
])
def test_reasons_as_the_night_stores_them_have_their_code(reason: str | None, code: str) -> None:
    assert error_code(reason) == code


def test_the_message_is_in_the_readers_language() -> None:
    assert error_message("bank_failed", "x", "zh") == "银行退回拨付（x）"
    assert error_message("bank_failed", "x", "en") == "the bank failed the payment (x)"
