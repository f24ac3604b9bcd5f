"""The fast import's own shortcuts agree with the code they stand beside (property tests):

- a CSV file cut into pieces of its bytes (intake/readers.py `csv_byte_pieces`) and read piece
  by piece gives exactly `read_rows`' rows and row numbers, whatever the quotes, line breaks,
  blank rows and encoding;
- a screened row's content hash, person key and field values are `intake.keys`' for the
  record `parse_record` returns, and an invalid row carries `parse_record`'s errors;
- the first events' hashes are services/nightly/moves.py `event_hash`.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.keys import canonical, content_hash, person_key, record_values
from intake.readers import csv_byte_pieces, piece_lines, read_rows
from intake.screen import csv_raw, csv_records, screen, stored_canonical
from intake.validate import InvalidRecord, parse_record, text_problem
from rules.record import RECORD_FIELDS
from services.access.actors import Actor, normalise
from services.nightly.moves import event_hash_v2, filing_event_heads, filing_money, money_text
from tests.unit.intake.claimrows import BAD, bad_row, good_row

CELL = st.text(alphabet=st.sampled_from(list('ab 王,"\n\r\t;=')), max_size=6)
HEADER = ["claim_id", "policy", "person_name", "organizer"]


def _csv_text(rows: list[list[str]], blank_every: int) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i, row in enumerate(rows):
        if blank_every and i % blank_every == 0:
            out.write("\r\n" if i % 2 else "\n")
        writer.writerow(row)
    return out.getvalue()


LINE_END = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=25), ends=st.lists(LINE_END, min_size=1),
       blank_every=st.integers(0, 4), size=st.integers(1, 6), first_sizes=st.lists(st.integers(0, 3), max_size=3),
       tail=st.sampled_from(["", '"open', "x,\"y", "\r"]), block=st.integers(1, 40),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_byte_pieces_read_as_the_whole_file(tmp_path: Path, rows: list[list[str]], ends: list[str],
                                            blank_every: int, size: int, first_sizes: list[int],
                                            tail: str, block: int, encoding: str) -> None:
    """intake/readers.py `csv_byte_pieces`: pieces cut as bytes (blocks of `block` bytes, so a
    \r\n or a character may straddle two blocks), decoded by `piece_lines`, read as
    `read_rows` reads the whole file, whatever the line ends and the encoding."""
    text = _csv_text(rows, blank_every).replace("\r\n", "\n")
    lines = text.split("\n")
    text = "".join(line + ends[i % len(ends)] for i, line in enumerate(lines[:-1])) + lines[-1] + tail
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode(encoding))
    expected = list(read_rows(path))
    header, body, pieces = csv_byte_pieces(path, size, first_sizes=first_sizes, block=block)
    got = []
    for first, piece in pieces:
        for number, raw, text in csv_records(header, piece_lines(piece, body), first):
            got.append((number, raw))
            assert csv_raw(header, text) == raw
    assert got == expected


@pytest.mark.parametrize("i", range(40))
def test_screened_row_is_the_records_keys_and_values(i: int) -> None:
    raw = {k: v for k, v in good_row(i).items()}
    if i % 3 == 0:
        raw.update(urgent="是", catalog_standard="1500.5", months="3", insured_months="12",
                   groups="veteran；poor_labor", advance_requested="0")
    record = parse_record(raw)
    [(number, policy, claim_id, digest, values, errors, source)] = screen([(7, raw, "src")])
    assert (number, policy, claim_id, errors, source) == (7, record.policy, record.claim_id, None, "src")
    assert digest == content_hash(record_values(record))
    assert values is not None and values[-1] == person_key(record.person_id)
    assert stored_canonical(values) == {n: canonical(v) for n, v in record_values(record).items()}


@pytest.mark.parametrize("i", range(len(BAD) * 2))
def test_screened_invalid_row_has_parse_records_errors(i: int) -> None:
    raw = dict(bad_row(i)[0])
    with pytest.raises(InvalidRecord) as caught:
        parse_record(raw)
    [(_, _, claim_id, digest, values, errors, _)] = screen([(3, raw, None)])
    assert digest is None and values is None and claim_id == caught.value.claim_id
    assert errors == tuple((e.field, e.message) for e in caught.value.errors)


@settings(max_examples=100, deadline=None)
@given(name=st.text(min_size=1, max_size=12).filter(  # any name an actor may have
           lambda s: normalise(s) != "" and text_problem("actor", normalise(s)) is None),
       role=st.sampled_from(["clerk", "reviewer"]),
       ids=st.lists(st.integers(1, 10**12), min_size=1, max_size=5),
       on=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_filing_event_heads_are_event_hash_v2(name: str, role: str, ids: list[int], on: date) -> None:
    actor = Actor(name, role)
    moneys = [filing_money(str(pk % 24), "", "individual", f"P{pk}", name, "") for pk in ids]
    heads = filing_event_heads(ids, moneys, actor, on)
    assert heads == [event_hash_v2("", pk, 1, "", "filed", "file", actor.name, role, on, None, None, money)
                     for pk, money in zip(ids, moneys, strict=True)]


@settings(max_examples=100, deadline=None)
@given(months=st.one_of(st.none(), st.integers(0, 600)), days=st.one_of(st.none(), st.integers(0, 9999)),
       payee_type=st.sampled_from(["individual", "enterprise", "institution"]),
       payee_id=st.text(min_size=1, max_size=18), payee_name=st.one_of(st.none(), st.text(max_size=20)),
       bank_account=st.one_of(st.none(), st.text(max_size=30)))
def test_filing_money_is_money_text_of_a_new_claim(months: int | None, days: int | None, payee_type: str,
                                                  payee_id: str, payee_name: str | None,
                                                  bank_account: str | None) -> None:
    filed = {"amount": None, "months_paid": None, "months": months, "days": days, "advance_amount": None,
             "advance_paid": Decimal("0"), "final_paid": Decimal("0"), "recovery_owed": Decimal("0"),
             "recovered": Decimal("0"), "payee_type": payee_type, "payee_id": payee_id,
             "payee_name": payee_name, "bank_account": bank_account}
    texts = ["" if v is None else str(v) for v in (months, days, payee_type, payee_id, payee_name, bank_account)]
    assert filing_money(*texts) == money_text(filed)


def test_record_fields_are_all_screened() -> None:
    record = parse_record(good_row(4))
    [(_, _, _, _, values, _, _)] = screen([(2, good_row(4), None)])
    assert values is not None and len(values) == len(RECORD_FIELDS) + 1
    assert values[RECORD_FIELDS.index("filed_on")] == record.filed_on.isoformat()
