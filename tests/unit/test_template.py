"""The import templates (exports/template.py) and the field table shipped in docs/fields.md."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from exports.template import CHOICES, FIELD_DOCS, TEMPLATES, fields_markdown, write_template
from intake.headers import field_of
from intake.validate import PARSERS

ROOT = Path(__file__).resolve().parents[2]


def test_docs_ship_the_field_table() -> None:
    assert fields_markdown() in (ROOT / "docs" / "fields.md").read_text(encoding="utf-8")


def test_every_template_column_is_documented_and_read_back(tmp_path: Path) -> None:
    for which, (sheet_name, columns) in TEMPLATES.items():
        path = tmp_path / f"{which}.xlsx"
        write_template(path, which)
        sheet = load_workbook(path)[sheet_name]
        for cell, (name, chinese) in zip(sheet[1], columns.items(), strict=True):
            assert cell.value == chinese and field_of(chinese) == name
            assert cell.comment is not None and name in cell.comment.text
            assert name in FIELD_DOCS
    assert set(CHOICES) - set(FIELD_DOCS) == set()


def test_every_drop_down_value_is_read_as_a_code() -> None:
    from intake.validate import _Row

    for name, choices in CHOICES.items():
        if name not in PARSERS:
            continue
        for choice in choices:
            row = _Row({})
            PARSERS[name](row, name, choice)
            assert not row.errors, (name, choice, row.errors)
