"""Every kind of bad field is named, with the field and a plain message; good rows parse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.identity import (
    _ID_CHECK,
    _ID_WEIGHTS,
    credit_code_problem,
    id_check_digit,
    identity_problem,
    make_credit_code,
    make_person_id,
)
from intake.validate import InvalidRecord, parse_record
from tests.unit.intake.claimrows import good_row


def errors_of(row: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidRecord) as caught:
        parse_record(row)
    return {e.field: e.message for e in caught.value.errors}


@pytest.mark.parametrize("i", range(9))
def test_every_kind_of_good_row_parses(i: int) -> None:
    row = good_row(i)
    record = parse_record(row)
    assert record.claim_id == row["claim_id"]
    assert record.kind == row["kind"]


def test_known_identity_numbers_and_credit_codes() -> None:
    assert identity_problem("11010519491231002X") is None
    assert credit_code_problem("91350100M000100Y43") is None
    assert identity_problem(make_person_id("211402", date(1988, 2, 29), 17)) is None
    assert credit_code_problem(make_credit_code(99, "150602")) is None


@given(st.text("0123456789", min_size=17, max_size=17))
def test_identity_check_digit_is_gb_11643s_weighted_sum(body: str) -> None:
    """The base-13 shortcut gives the standard's own sum: Σ digit × weight, mod 11."""
    assert id_check_digit(body) == _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def test_identity_check_digit_is_named_and_masked() -> None:
    row = good_row(0)
    pid = row["person_id"]
    wrong = pid[:-1] + ("0" if pid[-1] != "0" else "1")
    found = errors_of({**row, "person_id": wrong, "payee_id": wrong})
    assert "check digit is wrong" in found["person_id"]
    assert wrong not in found["person_id"]
    assert wrong[:6] in found["person_id"] and wrong[-4:] in found["person_id"]
    assert "payee_id" in found


def test_identity_birth_date_must_be_real() -> None:
    bad = "211402199002301234"
    found = errors_of({**good_row(1), "person_id": bad})
    assert "1990-02-30 is not a real date" in found["person_id"]


def test_identity_birth_before_1900_and_after_filing() -> None:
    old = make_person_id("211402", date(1899, 12, 31), 1)
    assert "before 1900" in errors_of({**good_row(1), "person_id": old})["person_id"]
    young = make_person_id("211402", date(2021, 1, 1), 1)
    assert "after filed_on" in errors_of({**good_row(1), "person_id": young})["person_id"]


def test_credit_code_check_character() -> None:
    row = good_row(1)
    assert row["payee_type"] == "enterprise"
    code = row["payee_id"]
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert "check character is wrong" in errors_of({**row, "payee_id": wrong})["payee_id"]
    assert "unified social credit code" in errors_of({**row, "payee_id": "91I1"})["payee_id"]


def test_individual_payee_needs_an_identity_number() -> None:
    row = {**good_row(1), "payee_type": "individual"}
    assert "identity number" in errors_of(row)["payee_id"]


@pytest.mark.parametrize(("field", "value", "words"), [
    ("filed_on", "2020-02-30", "not a real calendar date"),
    ("filed_on", "2020/02/30", "not a real calendar date"),
    ("filed_on", "20200510", "YYYY-MM-DD"),
    ("filed_on", "12345", "YYYY-MM-DD"),
    ("certificate_date", "yesterday", "YYYY-MM-DD"),
])
def test_dates(field: str, value: str, words: str) -> None:
    message = errors_of({**good_row(0), field: value})[field]
    assert words in message and value in message


@pytest.mark.parametrize(("field", "value"), [
    ("policy", "beijing-2019"), ("kind", "subsidy"), ("level", "L9"),
    ("groups", "poor_labor;aliens"), ("payee_type", "person"), ("apprentice_type", "intern"),
])
def test_unknown_codes(field: str, value: str) -> None:
    row = good_row(4)  # apprenticeship: every coded field applies
    message = errors_of({**row, field: value})[field]
    assert "not a known" in message


@pytest.mark.parametrize(("i", "field"), [
    (0, "occupation"), (0, "level"), (0, "certificate_date"),
    (4, "apprentice_type"), (4, "apprentice_year"), (5, "months"), (6, "days"),
    (7, "employed_on"), (8, "catalog_standard"),
])
def test_required_per_kind(i: int, field: str) -> None:
    row = {k: v for k, v in good_row(i).items() if k != field}
    assert "required for kind" in errors_of(row)[field]


@pytest.mark.parametrize("field", ["claim_id", "policy", "kind", "person_id", "person_name",
                                   "region", "filed_on", "payee_type", "payee_id"])
def test_always_required(field: str) -> None:
    row = {**good_row(2), field: "  "}
    assert "required" in errors_of(row)[field]


def test_advance_claim_may_leave_certificate_empty_only_for_an_organisation() -> None:
    row = {k: v for k, v in good_row(1).items() if k not in ("certificate_date", "level")}
    record = parse_record({**row, "advance_requested": "是"})
    assert record.advance_requested and record.certificate_date is None
    assert "required" in errors_of({**row, "advance_requested": "否"})["certificate_date"]
    individual = {**good_row(0), "advance_requested": "true"}
    assert "organisations only" in errors_of(individual)["advance_requested"]


@pytest.mark.parametrize(("field", "value"), [
    ("months", "0"), ("months", "121"), ("days", "367"), ("apprentice_year", "11"),
    ("days", "2.5"), ("months", "three"),
])
def test_numbers_in_range(field: str, value: str) -> None:
    row = good_row(4) if field == "apprentice_year" else good_row(5 if field == "months" else 6)
    message = errors_of({**row, field: value})[field]
    assert "out of range" in message or "whole number" in message


def test_region_outside_the_jurisdiction_names_it() -> None:
    message = errors_of({**good_row(0), "region": "330503"})["region"]
    assert "葫芦岛市" in message and "huludao-2019" in message
    assert "6-digit" in errors_of({**good_row(0), "region": "2114"})["region"]


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-cmd|' /C calc'!A0", "@SUM(A1)"])
def test_formula_cells_are_refused(value: str) -> None:
    assert "spreadsheet formula" in errors_of({**good_row(0), "occupation": value})["occupation"]


@pytest.mark.parametrize(("field", "value"), [("claim_id", "HLD\n0001"), ("person_name", "张\t三"),
                                               ("occupation", "电工\u202e"), ("certificate_no", "C\u200b01")])
def test_line_breaks_and_invisible_characters_in_one_line_fields_are_refused(field: str, value: str) -> None:
    assert "invisible character" in errors_of({**good_row(0), field: value})[field]


def test_formula_prefix_followed_by_digit_is_plain_text() -> None:
    assert parse_record({**good_row(0), "certificate_no": "-2019001"}).certificate_no == "-2019001"


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("是", True),
                                                 ("FALSE", False), ("0", False), ("否", False)])
def test_booleans(value: str, expected: bool) -> None:
    assert parse_record({**good_row(0), "urgent": value}).urgent is expected


def test_bad_boolean() -> None:
    assert "true/false" in errors_of({**good_row(0), "urgent": "maybe"})["urgent"]


@pytest.mark.parametrize(("value", "words"), [("1500.123", "more than 2 decimal places"),
                                              ("-1", "negative"), ("abc", "amount in yuan"),
                                              ("99999999", "sanity bound")])
def test_money(value: str, words: str) -> None:
    assert words in errors_of({**good_row(8), "catalog_standard": value})["catalog_standard"]


def test_money_is_decimal_with_two_places() -> None:
    assert parse_record({**good_row(8), "catalog_standard": "1500"}).catalog_standard == \
        Decimal("1500.00")


def test_training_end_before_start() -> None:
    row = {**good_row(0), "training_start": "2020-04-10", "training_end": "2020-04-01"}
    assert "before training_start" in errors_of(row)["training_end"]


def test_text_length_limit() -> None:
    assert "at most 100" in errors_of({**good_row(0), "person_name": "王" * 101})["person_name"]


def test_all_errors_of_a_row_are_collected_and_joined() -> None:
    with pytest.raises(InvalidRecord) as caught:
        parse_record({**good_row(0), "filed_on": "x", "urgent": "maybe", "region": "110101"})
    assert caught.value.claim_id == "C000000"
    assert {e.field for e in caught.value.errors} == {"filed_on", "urgent", "region"}
    assert str(caught.value).count(": ") >= 3 and "; " in str(caught.value)


def test_typed_json_values_are_accepted() -> None:
    row: dict[str, object] = {**good_row(6), "days": 20, "urgent": True}
    record = parse_record(row)
    assert record.days == 20 and record.urgent is True


def test_groups_are_normalised() -> None:
    record = parse_record({**good_row(0), "groups": " veteran ；poor_labor;veteran"})
    assert record.groups == ("poor_labor", "veteran")


def test_payee_type_contradicting_the_seed_names_both() -> None:
    row = {**good_row(5), "policy": "huludao-2019", "region": "211402",
           "payee_type": "individual", "payee_id": good_row(5)["person_id"]}
    row["person_id"] = row["payee_id"] = good_row(0)["person_id"]
    message = errors_of(row)["payee_type"]
    assert "pays the enterprise" in message and "000_024512f998c4ead0.txt 二(二)3" in message
    assert "the file says individual" in message


def test_payee_type_stands_where_the_seed_is_silent() -> None:
    row = good_row(4)  # ordos-2019 names no payee
    assert row["policy"] == "ordos-2019"
    assert parse_record({**row, "payee_type": "institution"}).payee_type == "institution"
