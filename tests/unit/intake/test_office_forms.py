"""Files as district offices send them (CONTRACT §1a): Excel's date forms, 是/否, Chinese labels,
full-width digits, and long numbers Excel has mangled refused with what Excel did."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from intake.headers import CLAIM_HEADERS, field_of
from intake.readers import read_rows
from intake.validate import InvalidRecord, parse_record, parse_values
from tests.unit.intake.claimrows import good_row
from tests.unit.intake.test_validate import errors_of


@pytest.mark.parametrize("text", ["2020/5/10", "2020-5-10", "2020年5月10日", "2020.05.10",
                                  "２０２０－０５－１０", "43961", "2020/5/10 0:00"])
def test_excel_date_forms(text: str) -> None:
    assert parse_values({**good_row(0), "filed_on": text})["filed_on"] == date(2020, 5, 10)


def test_labels_yes_no_and_full_width_digits() -> None:
    row = {**good_row(0), "policy": "葫芦岛市", "kind": "技能提升补贴", "level": "初级工（五级）",
           "payee_type": "个人", "urgent": "是", "groups": "就业困难人员、poor_labor",
           "region": "２１１４０２", "person_id": "２１１４０２１９７００１０１０００５"}
    values = parse_values(row)
    assert (values["policy"], values["kind"], values["level"], values["payee_type"]) == (
        "huludao-2019", "skill_upgrade", "L5", "individual")
    assert values["urgent"] is True and values["region"] == "211402"
    assert values["groups"] == ("hard_to_employ", "poor_labor")
    assert values["person_id"] == good_row(0)["person_id"]
    assert parse_values({**good_row(0), "urgent": "否"})["urgent"] is False


@pytest.mark.parametrize(("field", "value", "words"), [
    ("person_id", "2.11402E+17", "scientific notation"),
    ("payee_id", "2.11402E+17", "scientific notation"),
    ("person_id", "211402197001010005.0", "added a decimal part"),
    ("bank_account", "6.22202E+18", "scientific notation"),
    ("bank_account", "1234567", "8 to 32 digits"),
    ("bank_account", "6222 0200 0000 1234 567 8901 2345 6789 0123", "8 to 32 digits"),
    ("bank_account", "62220200000012345ab", "8 to 32 digits"),
])
def test_mangled_numbers_say_what_excel_did(field: str, value: str, words: str) -> None:
    message = errors_of({**good_row(0), field: value})[field]
    assert words in message and "文本" in message


def test_account_digits_kept_spaces_dropped() -> None:
    values = parse_values({**good_row(0), "bank_account": "6222 0200 0000 1234 567"})
    assert values["bank_account"] == "6222020000001234567"


def test_chinese_headers_matched_loosely() -> None:
    for name, chinese in CLAIM_HEADERS.items():
        assert field_of(chinese) == name
        assert field_of(f" {chinese.replace('（', '(').replace('）', ')')} ") == name
    assert field_of("Claim_ID") == "claim_id"
    assert field_of("不知道") == "不知道"


def test_xlsx_with_chinese_headers_and_number_cells(tmp_path: Path) -> None:
    row = good_row(0)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([CLAIM_HEADERS.get(k, k) for k in row])
    cells: list[object] = list(row.values())
    sheet.append(cells)
    mangled = [float(v) if k == "person_id" else v for k, v in row.items()]
    sheet.append(mangled)
    workbook.save(tmp_path / "z.xlsx")
    (_, good), (_, bad) = list(read_rows(tmp_path / "z.xlsx"))
    assert parse_record(good).claim_id == row["claim_id"]
    with pytest.raises(InvalidRecord) as caught:
        parse_record(bad)
    assert "scientific notation" in str(caught.value)
