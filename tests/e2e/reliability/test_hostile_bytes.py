"""Bytes-level hostile CSV (hypothesis): NUL and other control characters, full-width digits,
a last row cut off without a line ending, mixed line endings. The import never raises: every
damaged row is a row error, every good row is filed, and the rejected list of what was imported
exports as CSV and as XLSX.

Examples: 40 per database.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import Engine

from exports.rejected import rejected_sections
from exports.writer import write_document
from services.access.actors import Actor
from services.importing.filing import import_file
from tests.unit.intake.claimrows import good_row

CLERK = Actor("bytes-clerk", "clerk")
ON = date(2020, 5, 10)
_serial = itertools.count(1)
DAMAGE = ("nul", "control", "fullwidth", "none")


def _line(row: dict[str, str], columns: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([row.get(c, "") for c in columns])
    return out.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(damage=st.lists(st.sampled_from(DAMAGE), min_size=2, max_size=8),
       endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=8, max_size=8),
       cut_last=st.booleans(), where=st.integers(0, 10_000))
def test_damaged_bytes_are_row_errors_and_good_rows_are_filed_and_exported(
        engine: Engine, tmp_path: Path, damage: list[str], endings: list[str], cut_last: bool,
        where: int) -> None:
    serial = next(_serial)
    rows = []
    for n in range(len(damage)):
        row = good_row(serial * 31 + n)
        row["claim_id"] = f"B{serial}-{n}-{row['claim_id']}"
        rows.append(row)
    columns = sorted({k for row in rows for k in row})
    lines = []
    bad: set[int] = set()
    for n, (row, kind) in enumerate(zip(rows, damage, strict=True)):
        text = _line(row, columns)
        if kind in ("nul", "control"):
            char = "\x00" if kind == "nul" else "\x1b"
            at = where % (len(text) + 1)
            text = text[:at] + char + text[at:]
            bad.add(n)
        elif kind == "fullwidth":  # in a free-text field: read as it is (issue 20 reads IDs)
            text = text.replace(row["person_name"], row["person_name"] + "１２３", 1) if row.get(
                "person_name") else text
        lines.append(text)
    if cut_last:
        last = lines[-1]
        lines[-1] = last[:last.index(",") + 1]  # one comma in: far fewer cells than the header
        bad.add(len(lines) - 1)
    body = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines[:-1])) + lines[-1]
    if not cut_last:
        body += endings[0]
    path = tmp_path / f"bytes-{serial}.csv"
    path.write_bytes((",".join(columns) + "\n" + body).encode("utf-8"))

    report = import_file(engine, path, actor=CLERK, on=ON)

    rejected_rows = {r.row - 2 for r in report.rejections}
    assert bad <= rejected_rows, (bad, rejected_rows, report.rejections[:3])
    assert report.filed + report.rejected + report.conflicts == len(rows)
    assert report.filed == len(rows) - len(rejected_rows)
    for rejection in report.rejections:
        if rejection.row - 2 in bad:
            assert any("control character" in e.message or "cut off" in e.message
                       for e in rejection.errors), rejection
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"rejected-{serial}.{suffix}"
        write_document(out, rejected_sections(engine, "zh"))
        assert out.stat().st_size > 0
        if suffix == "xlsx":
            assert load_workbook(out, read_only=True).sheetnames
        else:
            assert "\x00" not in out.read_text(encoding="utf-8-sig")
