"""Optional claim fields added after the first schema (rules/record.py LATER_FIELDS) keep every
existing claim's content hash: a row that leaves them empty hashes exactly as before they
existed (digests pinned from the schema without them), so re-importing an old file still skips;
a row that fills one hashes differently, and each field differently."""

from __future__ import annotations

import hashlib

import pytest

from intake.columns import screen_csv
from intake.keys import canonical, content_hash, record_values
from intake.screen import screen
from intake.validate import InvalidRecord, parse_record
from rules.record import FIRST_FIELDS, LATER_FIELDS, RECORD_FIELDS
from tests.unit.intake.claimrows import good_row

PINNED = {
    0: "2e6cf797eb7aa1348ab282bbfcc9347118890c7d686a289d866d40c18a9da27d",
    4: "b2ad34bdbe727ae5523b8adc4db9e1793b212740e2041b782f10e16be84da493",
    6: "7277505f5c88a867c30b47605c8c99b50353800c0be753ad95e4531444ec4a70",
}
"""content_hash of good_row(i) computed by the product before the later fields existed."""


def _csv_digests(rows: list[dict[str, str]]) -> list[str | None]:
    header = list(RECORD_FIELDS)
    lines = [",".join(header) + "\n"]
    lines += [",".join(row.get(name, "") for name in header) + "\n" for row in rows]
    return [found[3] for found in screen_csv(header, lines[1:], 2)]


def test_later_fields_are_the_records_last() -> None:
    assert LATER_FIELDS == ("bank_name", "apprentice_allowance_actual")
    assert (*FIRST_FIELDS, *LATER_FIELDS) == RECORD_FIELDS


@pytest.mark.parametrize("i", sorted(PINNED))
def test_row_without_later_fields_hashes_as_before(i: int) -> None:
    record = parse_record(good_row(i))
    values = record_values(record)
    old = hashlib.sha256("\x1f".join(canonical(values[n]) for n in FIRST_FIELDS).encode()).hexdigest()
    assert content_hash(values) == old == PINNED[i]
    [(_, _, _, digest, *_)] = screen([(2, good_row(i), None)])
    assert digest == PINNED[i]
    # the column screen (the import's fast path) agrees, with the later columns present but empty
    assert _csv_digests([dict(good_row(i), bank_name="", apprentice_allowance_actual="")]) == [PINNED[i]]


@pytest.mark.parametrize("i", sorted(PINNED))
def test_a_filled_later_field_changes_the_hash(i: int) -> None:
    with_bank = dict(good_row(i), bank_name="中国工商银行湖州南浔支行")
    with_allowance = dict(good_row(i), apprentice_allowance_actual="2400")
    digests = set()
    for raw in (with_bank, with_allowance, dict(with_bank, apprentice_allowance_actual="2400")):
        record = parse_record(raw)
        digest = content_hash(record_values(record))
        assert digest != PINNED[i]
        [(_, _, _, screened, *_)] = screen([(2, raw, None)])
        assert screened == digest
        assert _csv_digests([raw]) == [digest]
        digests.add(digest)
    assert len(digests) == 3


def test_two_later_fields_with_the_same_text_hash_apart() -> None:
    """Each later field enters the hash under its name: the same text in another later field is
    another content."""
    from intake.keys import digest_of
    texts = [canonical(v) for v in record_values(parse_record(good_row(0))).values()]
    first, second = list(texts), list(texts)
    first[RECORD_FIELDS.index("bank_name")] = "3000.00"
    second[RECORD_FIELDS.index("apprentice_allowance_actual")] = "3000.00"
    assert digest_of(first) != digest_of(second)


def test_later_fields_parse() -> None:
    record = parse_record(dict(good_row(4), policy="nanxun-2019", region="330503",
                               bank_name=" 湖州银行 ", apprentice_allowance_actual="2,400.50"
                               .replace(",", "")))
    assert record.bank_name == "湖州银行"
    assert str(record.apprentice_allowance_actual) == "2400.50"
    with pytest.raises(InvalidRecord) as caught:
        parse_record(dict(good_row(4), apprentice_allowance_actual="-5"))
    assert [e.field for e in caught.value.errors] == ["apprentice_allowance_actual"]
