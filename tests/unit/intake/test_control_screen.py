"""The screening step every CSV record passes: control characters and a cut-off last line."""

from __future__ import annotations

import io

from intake.readers import csv_records_list, csv_records_text, record_problem, visible


def _lines(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


def test_a_nul_anywhere_is_a_row_error_and_its_text_is_made_visible() -> None:
    for records in (csv_records_list(_lines("a,b\x00c,d\ne,f,g\n"), 2, 3),
                    list(csv_records_text(_lines("a,b\x00c,d\ne,f,g\n"), 2, 3))):
        (n1, first, text1), (n2, second, _) = records
        assert (n1, n2) == (2, 3)
        assert isinstance(first, str) and "U+0000" in first
        assert text1 == "a,b\\x00c,d\n"
        assert second == ["e", "f", "g"]


def test_a_last_line_cut_off_mid_row_is_a_row_error_but_a_whole_one_is_not() -> None:
    for ending in ("", "\n"):
        records = csv_records_list(_lines("a,b,c\nd,e" + ending), 2, 3)
        assert records[0][1] == ["a", "b", "c"]
        cut = isinstance(records[1][1], str) and "cut off" in records[1][1]
        assert cut is (ending == "")
    assert csv_records_list(_lines("a,b,c\nd,e,f"), 2, 3)[1][1] == ["d", "e", "f"]


def test_a_cut_just_after_a_comma_is_not_skipped_as_blank() -> None:
    records = list(csv_records_text(_lines("a,b,c\n,"), 2, 3))
    assert len(records) == 2 and "cut off" in str(records[1][1])


def test_tab_and_line_breaks_are_not_control_problems() -> None:
    assert record_problem(["a\tb", "c"], 'a\tb,"c\r\nd"\n', 2) is None
    assert record_problem(["a"], "a\x1b\n", 1) is not None
    assert visible("x\x07y") == "x\\x07y"
