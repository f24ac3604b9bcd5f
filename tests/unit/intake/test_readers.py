"""Reading claim files: encodings, XLSX, JSON Lines, row numbers, unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from intake.readers import RowProblem, UnreadableFile, read_rows
from intake.validate import InvalidRecord, parse_record
from rules.record import RECORD_FIELDS
from tests.unit.intake.claimrows import good_row, write_csv


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "c.csv", [good_row(0), good_row(1)], encoding=encoding)
    rows = list(read_rows(path))
    assert [n for n, _ in rows] == [2, 3]
    assert rows[0][1]["claim_id"] == "C000000"  # no BOM glued to the first header
    assert parse_record(rows[0][1]).person_name == "王小明"


def test_gb18030_bytes_are_really_not_utf8(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [good_row(0)], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert next(iter(read_rows(path)))[1]["person_name"] == "王小明"


def test_csv_cells_are_stripped_blank_rows_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("claim_id, policy ,days\n A1 ,huludao-2019,\n,,\n\nB2,nanxun-2019, 3 \n",
                    encoding="utf-8")
    rows = list(read_rows(path))
    assert rows == [(2, {"claim_id": "A1", "policy": "huludao-2019", "days": None}),
                    (5, {"claim_id": "B2", "policy": "nanxun-2019", "days": "3"})]


def test_csv_row_with_more_cells_than_header_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("claim_id,policy\nA1,huludao-2019,surplus\n", encoding="utf-8")
    [(number, row)] = list(read_rows(path))
    assert number == 2 and isinstance(row, RowProblem)
    with pytest.raises(InvalidRecord, match="header only 2 columns"):
        parse_record(row)


def test_unknown_columns_warned_once(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("claim_id,colour\nA1,red\nA2,blue\n", encoding="utf-8")
    warnings: list[str] = []
    assert len(list(read_rows(path, known=RECORD_FIELDS, warnings=warnings))) == 2
    assert warnings == ["column 'colour' is not a claim field; it was ignored"]


def test_header_only_csv_has_no_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [])
    assert list(read_rows(path)) == []


@pytest.mark.parametrize(("name", "content", "words"), [
    ("empty.csv", b"", "empty"),
    ("blank.jsonl", b"\n\n", "empty"),
    ("dup.csv", b"claim_id,claim_id\n", "twice"),
    ("claims.txt", b"claim_id\n", "unknown file type"),
    ("latin.csv", b"claim_id\n\x81\xff\xfe\n", "neither UTF-8 nor GB18030"),
    ("broken.xlsx", b"PK\x03\x04 not really a workbook", "not a readable .xlsx"),
])
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=words):
        read_rows(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="there is no file"):
        read_rows(tmp_path / "nope.csv")


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(RECORD_FIELDS))
    for row in rows:
        sheet.append([row.get(name) for name in RECORD_FIELDS])
    workbook.save(path)
    return path


def test_xlsx_first_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", [good_row(0), good_row(5)])
    rows = list(read_rows(path))
    assert [n for n, _ in rows] == [2, 3]
    assert parse_record(rows[1][1]).months == 3


def test_xlsx_typed_cells(tmp_path: Path) -> None:
    from datetime import datetime

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["filed_on", "days", "urgent", "occupation"])
    sheet.append([datetime(2020, 5, 10), 20, True, "=A1"])
    workbook.save(tmp_path / "t.xlsx")
    [(_, row)] = list(read_rows(tmp_path / "t.xlsx"))
    # a formula cell is read as the value Excel computed and saved (openpyxl saves none)
    assert row == {"filed_on": "2020-05-10", "days": "20", "urgent": "true", "occupation": None}


def test_truncated_xlsx_is_unreadable(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "c.xlsx", [good_row(i) for i in range(50)]).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableFile):
        read_rows(cut)


def test_jsonl_lines_numbers_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"claim_id": "J1", "days": 20, "urgent": true, "catalog_standard": 1500.50,'
                    ' "groups": ["poor_labor", "veteran"]}\n\n[1, 2]\n{not json\n', encoding="utf-8")
    rows = list(read_rows(path))
    assert [n for n, _ in rows] == [1, 3, 4]
    assert rows[0][1] == {"claim_id": "J1", "days": "20", "urgent": "true",
                          "catalog_standard": "1500.50", "groups": "poor_labor;veteran"}
    for _, row in rows[1:]:
        with pytest.raises(InvalidRecord) as caught:
            parse_record(row)
        assert caught.value.errors[0].field == "row"
