"""Writing an export as `.xlsx` or `.csv` (chosen by the file's ending), streamed row by row.

A document is a list of sections; in a workbook each section is a sheet, in a CSV file the
sections follow one another with a blank line between them. Every text cell passes through
`safe_cell` (formula neutralisation); money is a Decimal written with 2 places.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from intake.privacy import safe_cell
from models.money import to_yuan

Cell = str | int | Decimal | date | None
Row = Sequence[Cell]

SUFFIXES = (".xlsx", ".csv")
MONEY_FORMAT = "#,##0.00"
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass
class Section:
    name: str
    header: Sequence[str]
    rows: Iterable[Row]
    preamble: Sequence[str] = ()
    footer: Callable[[], Sequence[Row]] = field(default=lambda: ())
    """called after `rows` is consumed, so totals can be summed while streaming"""
    widths: Sequence[int] = ()


class UnsupportedFile(ValueError):
    pass


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnsupportedFile(
            f"cannot write {path.name!r}: give --out a file ending in .xlsx or .csv"
        )
    return suffix


def write_document(path: Path, sections: Sequence[Section],
                   progress: Callable[[int], None] | None = None) -> None:
    """Write `sections` to `path`; `progress(n)` is called as rows are written."""
    suffix = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        _write_xlsx(path, sections, progress)
    else:
        _write_csv(path, sections, progress)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(to_yuan(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(safe_cell(str(value)))


def _write_csv(path: Path, sections: Sequence[Section],
               progress: Callable[[int], None] | None) -> None:
    # utf-8-sig: Excel in China opens a BOM-marked UTF-8 file without garbling.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        for number, section in enumerate(sections):
            if number:
                out.writerow([])
            for line in section.preamble:
                out.writerow([_text(line)])
            out.writerow([_text(h) for h in section.header])
            for row in _counted(section.rows, progress):
                out.writerow([_text(v) for v in row])
            for row in section.footer():
                out.writerow([_text(v) for v in row])


def _sheet_title(name: str, used: set[str]) -> str:
    title = name.translate(_BAD_SHEET_CHARS)[:31] or "Sheet"
    base, n = title, 2
    while title in used:
        title = f"{base[:28]}({n})"
        n += 1
    used.add(title)
    return title


def _cell(ws: Worksheet, value: Cell, *, bold: bool = False, size: int | None = None,
          fill: PatternFill | None = None) -> WriteOnlyCell:
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(ws, value=to_yuan(value))
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, str):
        cell = WriteOnlyCell(ws, value=safe_cell(value))
    else:
        cell = WriteOnlyCell(ws, value=value)
    if bold or size:
        cell.font = Font(bold=bold, size=size or 11)
    if fill is not None:
        cell.fill = fill
    return cell


def _write_xlsx(path: Path, sections: Sequence[Section],
                progress: Callable[[int], None] | None) -> None:
    wb = Workbook(write_only=True)
    used: set[str] = set()
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for section in sections:
        ws = wb.create_sheet(title=_sheet_title(section.name, used))
        widths = section.widths or [max(10, len(str(h)) * 2 + 2) for h in section.header]
        for index, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(index + 1)].width = width
        for number, line in enumerate(section.preamble):
            cell = _cell(ws, line, bold=number == 0, size=14 if number == 0 else None)
            cell.alignment = Alignment(wrap_text=False)
            ws.append([cell])
        ws.append([_cell(ws, h, bold=True, fill=head_fill) for h in section.header])
        for row in _counted(section.rows, progress):
            ws.append([_cell(ws, v) for v in row])
        for row in section.footer():
            ws.append([_cell(ws, v, bold=True) for v in row])
    wb.save(path)


def _counted(rows: Iterable[Row], progress: Callable[[int], None] | None) -> Iterator[Row]:
    """Yield `rows`, reporting every 1000 written (and the rest at the end) to `progress`."""
    pending = 0
    for row in rows:
        yield row
        pending += 1
        if progress and pending == 1000:
            progress(pending)
            pending = 0
    if progress and pending:
        progress(pending)
