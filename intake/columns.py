"""Screening a piece of a CSV file (the import worker's task), its well-formed rows column
by column: `parse_values`' checks, each run once per distinct value instead of once per row.

A year's file repeats most of its values (policies, kinds, regions, dates, levels, yes/no),
and the row-level checks read only a few fields each. So each field's parser runs once per
distinct cell of its column, each row-level check once per distinct combination of the
fields it reads, and the rows pick up the results by dictionary lookups done in C
(`map(dict.__getitem__, column)`). The checks are `intake/validate.py`'s own functions: a
check is handed a row holding only the fields listed for it here, so a check that starts
reading another field fails loudly (KeyError) instead of being answered from a partial row.

A row that any check finds wrong is handed to `parse_values` itself, so every rejection, its
messages and their order are `parse_values`' own; so is a record that cannot be read as CSV or
has more filled cells than the header has columns (intake/screen.py `screen`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

from intake.keys import person_key
from intake.limits import TEXT_LIMITS
from intake.readers import RowProblem, csv_records_list, csv_row
from intake.screen import (
    DIGEST,
    VALUES,
    ScreenedRow,
    _rejected,
    field_forms,
    record_row,
    record_texts,
    row_digest,
    screen,
)
from intake.validate import (
    ALWAYS_REQUIRED,
    CERTIFICATE_FIELDS,
    EMPTY_VALUES,
    FORMULA_STARTS,
    HIDDEN,
    KIND_REQUIRED,
    PARSERS,
    InvalidRecord,
    _check_consistency,
    _check_identities,
    _check_payee_rule,
    _check_required,
    _Row,
    _text,
    _upper,
    parse_values,
)
from rules.record import RECORD_FIELDS, ClaimRecord

PRESENCE_FIELDS = tuple(dict.fromkeys(
    chain(ALWAYS_REQUIRED, CERTIFICATE_FIELDS, *KIND_REQUIRED.values())))
"""The fields whose mere presence `_check_required` asks about."""

ROW_CHECKS: tuple[tuple[tuple[str, ...], Callable[[_Row], None]], ...] = (
    (("person_id", "filed_on", "payee_id", "payee_type", "bank_account"), _check_identities),
    (("policy", "region", "advance_requested", "payee_type", "training_start", "training_end"),
     _check_consistency),
    (("policy", "kind", "groups", "enterprise_funded", "payee_type"),
     lambda row: _check_payee_rule(row, row.values)),
)
"""The row-level checks after `_check_required`, in `parse_values`' order, with the fields
each reads. The payee rule is asked only of rows every earlier check passed, as there."""


def screen_csv(header: list[str], lines: Sequence[str], first: int,
               staged: bool = False) -> list[ScreenedRow]:
    """Screen one piece of a CSV file (whole records, the first numbered `first`): exactly
    intake/screen.py `screen` of its rows, in order. A valid row's values are `record_row`'s,
    or with `staged` `record_texts`' (for a stage file)."""
    with collector_paused():
        return _screen_csv(header, lines, first, staged, None)


StageRow = tuple[Any, ...]
"""A valid row as a stage file takes it: the values of its stage columns."""
STAGE_FIELDS = (*RECORD_FIELDS, "person_key")
"""The stored values of a screened row, in order: RECORD_FIELDS, then person_key."""
ALWAYS_STAGED = frozenset({"groups", "person_key"})
"""Stage columns given even where no row of a piece fills them (groups is stored as "" when
empty, never NULL; a person_key may be 0)."""


@dataclass(frozen=True, slots=True)
class StagePiece:
    """A piece's valid rows for a stage file: `columns` ("line", the filled STAGE_FIELDS,
    "content_hash") and one row of their values per valid row, in file order. A field no valid
    row of the piece fills is left out: the stage column's NULL is its empty value."""

    columns: tuple[str, ...]
    rows: list[StageRow]


def screen_csv_for_stage(header: list[str], lines: Sequence[str],
                         first: int) -> tuple[list[ScreenedRow], StagePiece]:
    """`screen_csv(..., staged=True)` split for a stage file: the screened rows, a valid row's
    values and raw text left out (None), and the valid rows' values as a StagePiece."""
    stage: list[StagePiece] = []
    with collector_paused():
        return _screen_csv(header, lines, first, True, stage), stage[0]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a piece is screened: a piece makes no reference
    cycles, only many short-lived tuples and lists, whose allocation would start collections
    that traverse every live object (measured: 7 % of the worker's instructions)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _screen_csv(header: list[str], lines: Sequence[str], first: int, staged: bool,
                stage: list[StagePiece] | None) -> list[ScreenedRow]:
    """With `stage`, the valid rows' values go there as a StagePiece and their screened rows
    keep no values or raw text."""
    records = csv_records_list(lines, first, len(header))
    out, where, plain = _sorted_records(header, records)
    found = screen_columns(header, plain, staged)
    values: Iterable[Any] = repeat(None) if stage is not None else zip(*found.stored, strict=True)
    for i, ((at, number, text), policy, claim_id, digest, stored) in enumerate(zip(
            where, found.policies, found.claim_ids, found.digests, values, strict=False)):
        if i not in found.failed:
            out[at] = (number, policy, claim_id, digest, stored, None,
                       None if stage is not None else text)
    row_values = record_texts if staged else record_row
    fallback: list[ScreenedRow] = []
    for i in sorted(found.failed):
        at, number, text = where[i]
        row = out[at] = _screened_row(header, number, plain[i], text, row_values)
        if stage is not None and row[DIGEST] is not None:
            fallback.append(row)
            out[at] = (*row[:VALUES], None, None, None)  # type: ignore[assignment]
    if stage is not None:
        stage.append(_stage_piece([number for _, number, _ in where], found, fallback))
    return out  # type: ignore[return-value]


Where = tuple[int, int, str]
"""A well-formed record's place in the output, row number and text."""


def _sorted_records(header: list[str], records: list[tuple[int, list[str] | str, str]]
                    ) -> tuple[list[ScreenedRow | None], list[Where], list[list[str]]]:
    """(the output with the rows screened already — records that cannot be read as CSV or
    fill more cells than the header has — and None where a well-formed record goes, the
    well-formed records' places, their cells)."""
    width = len(header)
    cells = [cells for _, cells, _ in records]
    if set(map(type, cells)) <= {list} and max(map(len, cells), default=0) <= width:
        return ([None] * len(records),
                [(at, number, text) for at, (number, _, text) in enumerate(records)],
                cells)  # type: ignore[return-value]
    out: list[ScreenedRow | None] = []
    plain: list[list[str]] = []
    where: list[Where] = []
    for number, row, text in records:
        if isinstance(row, str):
            out.extend(screen([(number, RowProblem(row, ""), text)]))
        elif len(row) > width and any(c.strip() for c in row[width:]):
            out.extend(screen([(number, csv_row(header, row), text)]))
        else:
            where.append((len(out), number, text))
            plain.append(row)
            out.append(None)
    return out, where, plain


def _stage_piece(numbers: list[int], found: ColumnScreen, fallback: list[ScreenedRow]) -> StagePiece:
    """The valid rows of the column screen (`numbers`: their row numbers) and those
    `parse_values` passed (`fallback`), for a stage file."""
    kept = [i for i, (name, column) in enumerate(zip(STAGE_FIELDS, found.stored, strict=True))
            if name in ALWAYS_STAGED or any(column)
            or any(row[VALUES][i] for row in fallback)]  # type: ignore[index]
    pick = itemgetter(*kept)
    rows = zip(numbers, *pick(found.stored), found.digests, strict=True)
    staged = (list(rows) if not found.failed
              else [row for i, row in enumerate(rows) if i not in found.failed])
    if fallback:
        staged.extend((row[0], *pick(row[VALUES]), row[DIGEST]) for row in fallback)  # type: ignore[arg-type]
        staged.sort(key=itemgetter(0))
    return StagePiece(("line", *(STAGE_FIELDS[i] for i in kept), "content_hash"), staged)


def _screened_row(header: list[str], number: int, cells: list[str], text: str,
                  row_values: Callable[[dict[str, Any]], tuple[str, Sequence[Any]]]) -> ScreenedRow:
    """A row the column checks found wrong, screened by `parse_values` (its filled cells only:
    the same checks and messages; the whole raw row is built only for a rejection)."""
    try:
        values = parse_values({name: cell for name, cell in zip(header, cells, strict=False) if cell})
    except InvalidRecord as exc:
        return _rejected(number, csv_row(header, cells), exc)
    digest, stored = row_values(values)
    return (number, values["policy"], values["claim_id"], digest, tuple(stored), None, text)


class _Bad:
    """The parsed value of a cell its field's parser rejects."""


BAD = _Bad()


@dataclass(frozen=True, slots=True)
class ColumnScreen:
    """Rows screened column by column: the rows a check finds wrong (by index), and per row
    its policy, claim_id, content hash and stored values (columns: RECORD_FIELDS, then
    person_key). A failed row's entries are meaningless."""

    failed: set[int]
    policies: list[Any]
    claim_ids: list[Any]
    digests: list[str]
    stored: list[list[Any]]


def screen_columns(header: Sequence[str], rows: Sequence[Sequence[str]],
                   staged: bool) -> ColumnScreen:
    """`rows` (CSV cells under `header`; a row may be shorter than the header, never longer)
    screened. The stored values are `record_texts`' with `staged`, else `record_row`'s."""
    if not rows:
        return ColumnScreen(set(), [], [], [], [[] for _ in STAGE_FIELDS])
    width, count = len(header), len(rows)
    cells = zip(*(row if len(row) == width else [*row[:width], *[""] * (width - len(row))]
                  for row in rows), strict=True)
    parsed: dict[str, list[Any]] = {}
    given: dict[str, list[bool]] = {}
    failed: set[int] = set()
    for field, column in zip(header, cells, strict=True):
        if field in PARSERS:
            parsed[field], filled = _parse_column(field, column, failed, field in PRESENCE_FIELDS)
            if filled is not None:
                given[field] = filled
    for field in RECORD_FIELDS:
        if field not in parsed:
            parsed[field] = [EMPTY_VALUES[field]] * count
        if field in PRESENCE_FIELDS and field not in given:
            given[field] = [False] * count
    _check_rows(parsed, given, failed)
    return _screened(parsed, failed, staged)


def _parse_column(field: str, column: Sequence[str], failed: set[int],
                  presence: bool) -> tuple[list[Any], list[bool] | None]:
    """The column's parsed values (the field's default where a cell is empty) and, with
    `presence`, whether each cell was filled; the rows whose cell the parser rejects are added
    to `failed`."""
    parser, default, scratch = PARSERS[field], EMPTY_VALUES[field], _Row({})
    unique = set(column)
    cells = list(unique)
    texts = list(map(str.strip, cells))
    values = _known_without_parser(field, cells, texts)
    rejected = False
    for cell in unique.difference(values) if values else cells:
        text = cell.strip()
        if not text:
            values[cell] = default
            continue
        scratch.errors.clear()
        value = parser(scratch, field, text)
        if scratch.errors:
            rejected = True
            value = BAD
        values[cell] = default if value is None else value
    parsed = list(map(values.__getitem__, column))
    if rejected:
        failed.update(i for i, value in enumerate(parsed) if value is BAD)
    if not presence:
        return parsed, None
    filled = dict(zip(cells, map(bool, texts), strict=True))
    return parsed, list(map(filled.__getitem__, column))


def _known_without_parser(field: str, cells: list[str], texts: list[str]) -> dict[str, Any]:
    """The parsed values of the cells whose value the field's parser would return unchanged
    without a complaint: for `_text` a text within its length limit that cannot look like a
    formula, for `_upper` any ASCII letters and digits in capitals. Every other cell goes to
    the parser."""
    parser = PARSERS[field]
    if parser is _text:
        limit = TEXT_LIMITS[field]
        return {cell: text for cell, text in zip(cells, texts, strict=True)
                if text and len(text) <= limit and text[0] not in FORMULA_STARTS and not HIDDEN.search(text)}
    if parser is _upper:
        return {cell: text.upper() for cell, text in zip(cells, texts, strict=True)
                if text and text.isascii() and text.isalnum()}
    return {}


def _check_rows(parsed: dict[str, list[Any]], given: dict[str, list[bool]],
                failed: set[int]) -> None:
    """Add to `failed` the rows a row-level check of `parse_values` rejects."""
    scratch = _Row({})
    _ask(_required_passes(scratch), zip(parsed["kind"], parsed["advance_requested"],
                                        *(given[field] for field in PRESENCE_FIELDS),
                                        strict=True), failed)
    for fields, check in ROW_CHECKS:
        _ask(_passes(scratch, fields, check),
             zip(*(parsed[field] for field in fields), strict=True), failed)


def _ask(passes: Callable[[tuple[Any, ...]], bool], keys: Iterable[tuple[Any, ...]],
         failed: set[int]) -> None:
    """Add to `failed` the rows not yet in it whose key `passes` rejects; `passes` is asked
    once per distinct key of those rows, in the order the keys first appear."""
    keys = list(keys)
    asked = keys
    if failed:
        asked = keys.copy()
        for i in sorted(failed, reverse=True):
            del asked[i]
    answers = {key: passes(key) for key in dict.fromkeys(asked)}
    if not all(answers.values()):
        failed.update(i for i, key in enumerate(keys) if answers.get(key) is False)


def _required_passes(row: _Row) -> Callable[[tuple[Any, ...]], bool]:
    def passes(key: tuple[Any, ...]) -> bool:
        row.errors.clear()
        row.values = {"kind": key[0], "advance_requested": key[1]}
        _check_required(row, {field for field, filled in zip(PRESENCE_FIELDS, key[2:], strict=True)
                              if filled})
        return not row.errors
    return passes


def _passes(row: _Row, fields: tuple[str, ...],
            check: Callable[[_Row], None]) -> Callable[[tuple[Any, ...]], bool]:
    def passes(key: tuple[Any, ...]) -> bool:
        row.errors.clear()
        row.values = dict(zip(fields, key, strict=True))
        check(row)
        return not row.errors
    return passes


_TEXT_VALUED = frozenset(name for name in RECORD_FIELDS
                         if ClaimRecord.__dataclass_fields__[name].type in ("str", "str | None"))
"""Fields whose parsed value is the cell's text or None: `field_forms` gives the text itself
(None as "", or stored as None by `record_row`)."""
_NONE_AS_EMPTY: dict[Any, str] = {None: ""}


def _screened(parsed: dict[str, list[Any]], failed: set[int], staged: bool) -> ColumnScreen:
    form = 2 if staged else 1
    texts: list[list[str]] = []
    stored: list[list[Any]] = []
    for index, field in enumerate(RECORD_FIELDS):
        column = parsed[field]
        if field in _TEXT_VALUED:
            texts.append(list(map(_NONE_AS_EMPTY.get, column, column)))
            stored.append(texts[-1] if staged else column)
            continue
        distinct = set(column)
        distinct.discard(BAD)
        if all(value.__class__ is str for value in distinct):  # stored and hashed as they are
            texts.append(column)
            stored.append(column)
            continue
        forms = {value: field_forms(index, value) for value in distinct}
        text_of = {value: found[0] for value, found in forms.items()}
        text_of[BAD] = ""
        texts.append(list(map(text_of.__getitem__, column)))
        if all(found[form] == found[0] for found in forms.values()):
            stored.append(texts[-1])
            continue
        stored_of = {value: found[form] for value, found in forms.items()}
        stored_of[BAD] = ""
        stored.append(list(map(stored_of.__getitem__, column)))
    person_ids = parsed["person_id"]
    keys = {pid: person_key(pid) for pid in set(person_ids) if pid.__class__ is str}
    stored.append([keys.get(pid) for pid in person_ids])
    rows = zip(*texts, strict=True)
    digests = (list(map(row_digest, rows)) if not failed
               else ["" if i in failed else row_digest(row) for i, row in enumerate(rows)])
    return ColumnScreen(failed, parsed["policy"], parsed["claim_id"], digests, stored)
