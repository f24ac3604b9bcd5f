"""Screening rows for filing: `parse_record` on each row, and a valid row's values as the
claim table stores them. Pure (no database), so it runs in the import's worker processes.

A screened row is a plain tuple (cheap to send between processes):
``(number, policy, claim_id, digest, values, errors, raw)``

- valid row: `digest` is the content hash (intake.keys), `values` the claim columns of
  RECORD_FIELDS in order as the database stores them (groups joined with ";", money in integer
  fen, dates as ISO text, booleans as bool) followed by `person_key`; `errors` is None and `raw`
  is the row's source — the CSV text of the record, or the raw row itself — kept only so a
  conflict can store it (`raw_json`).
- invalid row: `digest` and `values` are None, `errors` the (field, message) pairs of
  `InvalidRecord`, `raw` the row's raw content as JSON (what `import_rejection.raw` holds).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

from intake.keys import canonical, digest_of, person_key
from intake.readers import RawRow, RowProblem, csv_records_text, csv_row
from intake.validate import InvalidRecord, parse_values
from models.money import to_fen
from rules.record import RECORD_FIELDS, ClaimRecord

ScreenedRow = tuple[int, str | None, str | None, str | None, tuple[Any, ...] | None,
                    tuple[tuple[str, str], ...] | None, Any]
NUMBER, POLICY, CLAIM_ID, DIGEST, VALUES, ERRORS, RAW = range(7)

_FIELDS = itemgetter(*RECORD_FIELDS)
_GROUPS = RECORD_FIELDS.index("groups")
_MONEY = tuple(i for i, name in enumerate(RECORD_FIELDS)
               if ClaimRecord.__dataclass_fields__[name].type in ("Decimal | None", "Decimal"))
_PERSON_ID = RECORD_FIELDS.index("person_id")


def _canonical(value: Any) -> str:
    """intake.keys.canonical (same result for every value); str, None and bool are handled
    inline by the caller."""
    if value.__class__ is date:
        return value.isoformat()
    return canonical(value)


_AS_TEXT_FIELDS = frozenset(
    i for i, name in enumerate(RECORD_FIELDS)
    if ClaimRecord.__dataclass_fields__[name].type in ("date", "date | None", "tuple[str, ...]"))
"""Fields stored as their canonical text (ISO dates, groups joined with ";")."""
_MONEY_FIELDS = frozenset(_MONEY)


def field_forms(index: int, value: Any) -> tuple[str, Any, Any]:
    """Field `index` of RECORD_FIELDS with parsed `value`, as (its canonical text, the value
    `record_row` stores, the value `record_texts` stores): booleans and whole numbers stored
    as themselves, dates and groups as their text, money in integer fen; as text an empty
    field is "", a boolean "1"/"0"."""
    if value is None:
        return "", None, ""
    text = value if value.__class__ is str else "1" if value is True else "0" if value is False \
        else _canonical(value)
    if index in _MONEY_FIELDS:
        fen = to_fen(value)
        return text, fen, fen
    return text, text if index in _AS_TEXT_FIELDS else value, text


def record_row(values: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """(content hash, stored values + person_key) of a valid record's field values."""
    digest, stored = _record_form(values, 1)
    return digest, tuple(stored)


def record_texts(values: dict[str, Any]) -> tuple[str, list[Any]]:
    """(content hash, the record's canonical texts + person_key) of a valid record's field
    values: `record_row`'s values as text — an empty field "", booleans "1"/"0", numbers and
    dates as written — except money, in integer fen. What the import's stage file is given
    (services/importing/filing_stage.py): the driver binds text and integers several times faster than
    None and booleans, and the claim table's column types turn the texts back into the values
    `record_row` gives."""
    return _record_form(values, 2)


def _record_form(values: dict[str, Any], form: int) -> tuple[str, list[Any]]:
    """(content hash, values in `field_forms`' form `form` + person_key)."""
    fields = _FIELDS(values)
    forms = [field_forms(i, v) for i, v in enumerate(fields)]
    digest = row_digest([found[0] for found in forms])
    return digest, [*[found[form] for found in forms], person_key(fields[_PERSON_ID])]


def row_digest(texts: Sequence[str]) -> str:
    """The content hash (intake.keys `content_hash`) of a record's canonical texts in
    RECORD_FIELDS order: later fields enter it only when filled (intake.keys `digest_of`)."""
    return digest_of(texts)


def screen(rows: Iterable[tuple[int, RawRow, Any]]) -> list[ScreenedRow]:
    """Screen (number, raw row, source) triples; `source` is kept as a valid row's `raw`."""
    out: list[ScreenedRow] = []
    append = out.append
    for number, raw, source in rows:
        try:
            values = parse_values(raw)
        except InvalidRecord as exc:
            append(_rejected(number, raw, exc))
            continue
        digest, stored = record_row(values)
        append((number, values["policy"], values["claim_id"], digest, stored, None, source))
    return out


def _rejected(number: int, raw: RawRow, exc: InvalidRecord) -> ScreenedRow:
    policy = raw.get("policy")
    return (number, policy if isinstance(policy, str) else None, exc.claim_id, None, None,
            tuple((e.field, e.message) for e in exc.errors), raw_json(raw))


def raw_json(raw: RawRow) -> str:
    return json.dumps(raw, ensure_ascii=False)


def csv_records(header: list[str], lines: Sequence[str],
                first: int) -> Iterator[tuple[int, RawRow, str]]:
    """intake.readers' CSV rows of `lines` (whole records, the first numbered `first`), each
    with its own text."""
    for number, cells, text in csv_records_text(lines, first, len(header) or None):
        if isinstance(cells, str):
            yield number, RowProblem(cells, ""), text
        else:
            yield number, csv_row(header, cells), text


def csv_raw(header: list[str], text: str) -> RawRow:
    """The raw row of one record's CSV text (as `csv_records` read it)."""
    for _, raw, _ in csv_records(header, list(io.StringIO(text, newline="")), 0):
        return raw
    raise ValueError("no record in the text")


def stored_canonical(values: Sequence[Any]) -> dict[str, str]:
    """Canonical text per record field of a screened row's stored values (for messages)."""
    out: dict[str, str] = {}
    for i, name in enumerate(RECORD_FIELDS):
        value = values[i]
        if i in _MONEY and value is not None:
            value = Decimal(value).scaleb(-2)
        out[name] = canonical(value)
    return out
