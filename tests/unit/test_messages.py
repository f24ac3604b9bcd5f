"""The message catalogue (intake/messages.py): every id in every language, the same
placeholders in each, and counts in each language's grammar (issue 20)."""

from __future__ import annotations

import string

import pytest

from intake.messages import LANGS, MESSAGES, NOUNS, count, current_lang, msg


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_every_message_id_has_every_language_with_the_same_placeholders(message_id: str) -> None:
    texts = MESSAGES[message_id]
    assert set(texts) == set(LANGS), f"{message_id} lacks {set(LANGS) - set(texts)}"
    assert all(texts[lang].strip() for lang in LANGS)
    assert len({frozenset(_fields(texts[lang])) for lang in LANGS}) == 1, message_id


def test_counts_in_both_grammars() -> None:
    assert set(NOUNS["row"]) == set(LANGS)
    assert (count(1, "row", "en"), count(2, "row", "en"), count(0, "row", "en")) == (
        "1 row", "2 rows", "0 rows")
    assert (count(1, "row", "zh"), count(3, "claim", "zh")) == ("1行", "3件")


def test_chinese_by_default_english_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAIMS_LANG", raising=False)
    assert current_lang() == "zh"
    assert msg("import.unknown_column", column="x") == "列“x”不是申报字段，已忽略"
    monkeypatch.setenv("CLAIMS_LANG", "en")
    assert msg("import.unknown_column", column="x").startswith("column 'x' is not")
