"""Reading produced files back the way a bureau clerk's Excel would."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    """sheet name -> rows (lists of cell values); a CSV file is one sheet named 'csv'."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return {"csv": [list(r) for r in csv.reader(fh)]}
    wb = load_workbook(path, read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def all_text(path: Path) -> str:
    return "\n".join("\t".join("" if v is None else str(v) for v in row)
                     for rows in sheets(path).values() for row in rows)


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def table(rows: list[list[Any]], first_header: str) -> tuple[list[Any], list[list[Any]], list[list[Any]]]:
    """(header, body, footer) of a section: body = rows after the header whose first cell is
    a running number; footer = the rows after them."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    body, footer = [], []
    for r in rows[start + 1:]:
        if not r or all(v in (None, "") for v in r):
            break
        first = r[0]
        is_number = isinstance(first, int) or (isinstance(first, str) and first.isdigit())
        (body if is_number and not footer else footer).append(r)
    return rows[start], body, footer
