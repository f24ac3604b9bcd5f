"""The import worker's column-by-column screening (intake/columns.py) gives exactly the rows the
row-by-row path gives (`parse_values` on each row, then `record_row` or `record_texts`): the
same valid rows with the same hashes and stored values, the same rejections with the same
messages in the same order, in file order — whatever mix of good rows, bad cells, blank and
padded cells, missing and unknown columns, short, long and unreadable records a piece holds."""

from __future__ import annotations

import csv
import gc
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.columns import STAGE_FIELDS, collector_paused, screen_csv, screen_csv_for_stage
from intake.readers import csv_records_list, csv_records_text
from intake.screen import ScreenedRow, _rejected, csv_records, record_row, record_texts
from intake.validate import InvalidRecord, parse_values
from rules.record import RECORD_FIELDS
from tests.unit.intake.claimrows import BAD, Row, good_row


def _row_by_row(header: list[str], lines: list[str], first: int, staged: bool) -> list[ScreenedRow]:
    out: list[ScreenedRow] = []
    for number, raw, text in csv_records(header, lines, first):
        try:
            values = parse_values(raw)
        except InvalidRecord as exc:
            out.append(_rejected(number, raw, exc))
            continue
        digest, stored = (record_texts if staged else record_row)(values)
        out.append((number, values["policy"], values["claim_id"], digest, tuple(stored), None, text))
    return out


MUTATIONS: list[Any] = [
    None, *BAD,
    lambda row: ({**row, "policy": f"  {row['policy']} "}, "policy"),
    lambda row: ({**row, "urgent": "是", "enterprise_funded": "0", "groups": "veteran；poor_labor"}, ""),
    lambda row: ({**row, "payee_type": "individual", "payee_id": row["person_id"]}, "payee_type"),
    lambda row: ({**row, "advance_requested": "true", "level": "", "certificate_date": ""}, ""),
    lambda row: ({**row, "training_start": "2020-03-01", "training_end": "2020-02-01"}, "training_end"),
    lambda row: ({**row, "months": "", "days": "", "employed_on": "", "apprentice_year": "0"}, ""),
    lambda row: ({**row, "catalog_standard": "1500.5", "insured_months": "12"}, ""),
    lambda row: ({**row, "catalog_standard": "-3", "apprentice_type": "nobody"}, ""),
    lambda row: ({**row, "filed_on": "1960-01-01"}, "person_id"),
    lambda row: ({**row, "claim_id": "x" * 70}, "claim_id"),
    lambda row: ({k: " " for k in row}, ""),
]


def _record(row: Row, header: list[str], shape: int) -> str:
    out = io.StringIO(newline="")
    cells = [row.get(name, "") for name in header]
    if shape == 1:
        cells = cells[: len(cells) // 2]
    elif shape == 2:
        cells = [*cells, "", " "]
    elif shape == 3:
        cells = [*cells, "surplus"]
    csv.writer(out).writerow(cells)
    text = out.getvalue()
    return '"unclosed,' + text if shape == 4 else text


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 500), st.sampled_from(MUTATIONS),
                               st.sampled_from([0, 0, 0, 0, 1, 2, 3])), max_size=30),
       drop=st.sets(st.sampled_from(RECORD_FIELDS), max_size=2), unknown=st.booleans(),
       order=st.randoms(use_true_random=False), staged=st.booleans(), first=st.integers(2, 9))
def test_columns_screen_exactly_as_row_by_row(rows: list[tuple[int, Any, int]], drop: set[str],
                                              unknown: bool, order: Any, staged: bool,
                                              first: int) -> None:
    header = [name for name in RECORD_FIELDS if name not in drop] + (["note"] if unknown else [])
    order.shuffle(header)
    text = ""
    for i, mutation, shape in rows:
        row = good_row(i) if mutation is None else mutation(good_row(i))[0]
        text += _record({**row, "note": "备注"}, header, shape)
        if i % 7 == 0:
            text += "\r\n"
    lines = io.StringIO(text, newline="").readlines()
    expected = _row_by_row(header, lines, first, staged)
    assert screen_csv(header, lines, first, staged) == expected
    if staged:  # the stage file's split: rows without values and raw text, valid rows' values
        rows, piece = screen_csv_for_stage(header, lines, first)
        assert rows == [row if row[3] is None else (*row[:4], None, None, None) for row in expected]
        full = ("line", *STAGE_FIELDS, "content_hash")
        given = [dict(zip(piece.columns, values, strict=True)) for values in piece.rows]
        assert [tuple(values.get(name, "") for name in full) for values in given] == [
            (row[0], *row[4], row[3]) for row in expected if row[3] is not None]  # type: ignore[misc]
        left_out = set(full) - set(piece.columns)
        assert not left_out & {"line", "groups", "person_key", "content_hash"}


def test_an_unreadable_record_keeps_its_place() -> None:
    header = list(RECORD_FIELDS)
    lines = io.StringIO(_record(good_row(1), header, 0) + _record(good_row(2), header, 4),
                        newline="").readlines()
    got = screen_csv(header, lines, 2)
    assert got == _row_by_row(header, lines, 2, False)
    assert [row[0] for row in got] == [2, 3] and got[1][5] is not None


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_comes_back_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list(' ,a1\t\r\n\x00李"')), max_size=12), max_size=12),
       st.integers(min_value=1, max_value=9))
def test_a_piece_read_in_one_pass_gives_the_records_read_one_by_one(cells: list[str], first: int) -> None:
    """intake/readers.py `csv_records_list` (one csv.reader pass where no quote can join lines)
    gives `csv_records_text`'s records: numbers, cells or problem, and texts."""
    lines = io.StringIO(",".join(cells), newline="").readlines()
    assert csv_records_list(lines, first) == list(csv_records_text(lines, first))
