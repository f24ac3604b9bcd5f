"""Everything a bureau reads carries Chinese: every reason code the rules can give has its label."""

from __future__ import annotations

from exports.labels import REASON_ZH
from rules.reasons import REASONS


def test_every_reason_code_the_rules_give_has_a_chinese_label() -> None:
    assert set(REASONS) <= set(REASON_ZH)
