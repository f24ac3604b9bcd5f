"""Hostile import files (hypothesis): every bad row is named with its field, every good row is
filed, and a file that cannot be read at all changes nothing.

Example counts (kept modest for CI): mixed files 80, mixed encodings 60, random bytes 60,
truncated XLSX 60 — per database.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from intake.readers import UnreadableFile
from models.db import make_engine
from models.tables import BATCH, CLAIM, EVENT, REJECTION
from services.access.actors import Actor
from services.importing.filing import import_file
from tests.conftest import run_claims
from tests.unit.intake.claimrows import good_row

CLERK = Actor("fuzz-clerk", "clerk")
ON = date(2020, 5, 10)
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
_serial = itertools.count(1)

Row = dict[str, str]


def _flip_check_digit(row: Row) -> Row:
    pid = row["person_id"]
    last = "X" if pid[-1] == "0" else "0"
    return {**row, "person_id": pid[:-1] + last}


# (name, which base rows it applies to: kind index or None for any, change, field it must name)
MUTATIONS: tuple[tuple[str, int | None, Callable[[Row], Row], str], ...] = (
    ("wrong check digit", None, _flip_check_digit, "person_id"),
    ("impossible date", None, lambda r: {**r, "filed_on": "2020-02-30"}, "filed_on"),
    ("month 13", None, lambda r: {**r, "filed_on": "2020-13-01"}, "filed_on"),
    ("negative months", 5, lambda r: {**r, "months": "-3"}, "months"),
    ("huge months", 5, lambda r: {**r, "months": "99999999999999999999"}, "months"),
    ("negative days", 6, lambda r: {**r, "days": "-1"}, "days"),
    ("huge days", 6, lambda r: {**r, "days": "100000"}, "days"),
    ("unknown kind", None, lambda r: {**r, "kind": "teleport_training"}, "kind"),
    ("unknown level", 0, lambda r: {**r, "level": "L9"}, "level"),
    ("unknown group", None, lambda r: {**r, "groups": "martians"}, "groups"),
    ("unknown policy", None, lambda r: {**r, "policy": "atlantis-2019"}, "policy"),
    ("region outside the policy", None, lambda r: {**r, "region": "110101"}, "region"),
    ("unknown payee type", None, lambda r: {**r, "payee_type": "alien"}, "payee_type"),
    ("formula =HYPERLINK", None, lambda r: {**r, "person_name": '=HYPERLINK("http://x.cn","点我")'}, "person_name"),
    ("formula +cmd", None, lambda r: {**r, "payee_name": "+cmd|' /C calc'!A0"}, "payee_name"),
    ("formula @SUM", None, lambda r: {**r, "person_name": "@SUM(1+1)*cmd|' /C calc'!A0"}, "person_name"),
    ("SQL in person_id", None, lambda r: {**r, "person_id": "' OR 1=1; DROP TABLE claim; --"}, "person_id"),
    ("very long name", None, lambda r: {**r, "person_name": "王" * 5000}, "person_name"),
    ("very long claim id", None, lambda r: {**r, "claim_id": r["claim_id"] + "9" * 400}, "claim_id"),
    ("bad boolean", None, lambda r: {**r, "advance_requested": "perhaps"}, "advance_requested"),
    ("three decimals", 8, lambda r: {**r, "catalog_standard": "1500.005"}, "catalog_standard"),
    ("missing person", None, lambda r: {**r, "person_id": ""}, "person_id"),
)
# Hostile but valid: filed as they are, never run.
TOLERATED: tuple[Callable[[Row], Row], ...] = (
    lambda r: {**r, "claim_id": r["claim_id"] + "'; DROP TABLE claim; --"},
    lambda r: {**r, "organizer": "Robert'); DROP TABLE claim;--"},
    lambda r: {**r, "certificate_no": r.get("certificate_no", "") + "<script>"} if r.get("certificate_no") else r,
)


@st.composite
def hostile_rows(draw: st.DrawFn) -> tuple[list[Row], dict[int, str], set[int]]:
    """Rows, {row index: field a rejection must name}, indexes that must be filed."""
    serial = next(_serial)
    count = draw(st.integers(1, 10))
    rows: list[Row] = []
    bad: dict[int, str] = {}
    good: set[int] = set()
    for n in range(count):
        choice = draw(st.integers(0, len(MUTATIONS) + len(TOLERATED)))
        if choice < len(MUTATIONS):
            _, kind, change, field = MUTATIONS[choice]
            base = _base(serial, n, kind)
            rows.append(change(base))
            bad[n] = field
        else:
            extra = choice - len(MUTATIONS)
            base = _base(serial, n, None if extra == len(TOLERATED) else draw(st.integers(0, 8)))
            rows.append(TOLERATED[extra](base) if extra < len(TOLERATED) else base)
            good.add(n)
    if good and draw(st.booleans()):  # the same claim again later in the file
        first = draw(st.sampled_from(sorted(good)))
        rows.append(dict(rows[first]))
        bad[len(rows) - 1] = "claim_id"
    return rows, bad, good


def _base(serial: int, n: int, kind: int | None) -> Row:
    index = (serial * 97 + n) * 9 + (kind if kind is not None else n % 9)
    row = good_row(index)
    row["claim_id"] = f"F{serial}-{n}-{row['claim_id']}"
    return row


def _write(rows: list[Row], path: Path, encoding: str) -> Path:
    columns = sorted({k for row in rows for k in row})
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding=encoding)
    elif path.suffix == ".xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c, "") for c in columns])
        book.save(path)
    else:
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return path


def _counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (CLAIM, EVENT, BATCH, REJECTION))


def _row_number(path: Path, index: int) -> int:
    return index + 1 if path.suffix == ".jsonl" else index + 2


@FAST
@given(case=hostile_rows(), form=st.sampled_from([(".csv", "utf-8"), (".csv", "utf-8-sig"), (".csv", "gb18030"),
                                                    (".jsonl", "utf-8"), (".xlsx", "")]))
def test_every_bad_row_is_named_and_every_good_row_filed(
        engine: Engine, tmp_path: Path, case: tuple[list[Row], dict[int, str], set[int]],
        form: tuple[str, str]) -> None:
    rows, bad, good = case
    suffix, encoding = form
    path = _write(rows, tmp_path / f"hostile-{next(_serial)}{suffix}", encoding)
    report = import_file(engine, path, actor=CLERK, on=ON)

    assert report.rows == len(rows)
    named = {r.row: {e.field for e in r.errors} for r in report.rejections}
    for index, field in bad.items():
        assert field in named.get(_row_number(path, index), set()), (rows[index], named)
    assert report.filed == len(good) and report.rejected + report.conflicts == len(bad)
    with engine.connect() as conn:
        filed = {(r.policy, r.claim_id): r for r in conn.execute(
            select(CLAIM.c.policy, CLAIM.c.claim_id, CLAIM.c.organizer, CLAIM.c.certificate_no)
            .where(CLAIM.c.import_batch_id == report.batch_id))}
        kept = conn.execute(select(func.count()).select_from(REJECTION)
                            .where(REJECTION.c.batch_id == report.batch_id)).scalar_one()
    assert kept == len(bad)
    for index in good:
        stored = filed[(rows[index]["policy"], rows[index]["claim_id"])]
        assert (stored.organizer or "") == rows[index].get("organizer", "")
        assert (stored.certificate_no or "") == rows[index].get("certificate_no", "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_a_truncated_workbook_changes_nothing(engine: Engine, tmp_path: Path, cut: int) -> None:
    whole = _write([good_row(i) for i in range(3)], tmp_path / "whole.xlsx", "")
    data = whole.read_bytes()
    broken = tmp_path / f"truncated-{next(_serial)}.xlsx"
    broken.write_bytes(data[: cut % len(data)])
    before = _counts(engine)
    with pytest.raises(UnreadableFile):
        import_file(engine, broken, actor=CLERK, on=ON)
    assert _counts(engine) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".jsonl", ".xlsx"]))
def test_random_bytes_never_crash_the_import(engine: Engine, tmp_path: Path, blob: bytes, suffix: str) -> None:
    path = tmp_path / f"noise-{next(_serial)}{suffix}"
    path.write_bytes(blob)
    before = _counts(engine)
    try:
        report = import_file(engine, path, actor=CLERK, on=ON)
    except UnreadableFile:
        assert _counts(engine) == before
        return
    assert report.filed == 0 and report.rows == report.rejected + report.conflicts + report.skipped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gb_rows=st.lists(st.booleans(), min_size=1, max_size=6), bom=st.booleans())
def test_mixed_encodings_are_refused_whole_or_named_row_by_row(
        engine: Engine, tmp_path: Path, gb_rows: list[bool], bom: bool) -> None:
    serial = next(_serial)
    rows = [{**_base(serial, n, None), "person_name": "王小明", "organizer": "人社局"} for n in range(len(gb_rows))]
    columns = sorted({k for row in rows for k in row})
    lines = [",".join(columns).encode("utf-8")]
    for row, gb in zip(rows, gb_rows, strict=True):
        text = ",".join(row.get(c, "") for c in columns)
        lines.append(text.encode("gb18030" if gb else "utf-8"))
    path = tmp_path / f"mixed-{serial}.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"\r\n".join(lines) + b"\r\n")
    before = _counts(engine)
    try:
        report = import_file(engine, path, actor=CLERK, on=ON)
    except UnreadableFile as exc:
        assert "neither UTF-8 nor GB18030" in str(exc)
        assert _counts(engine) == before
        return
    assert report.rows == len(rows)
    assert report.filed + report.rejected + report.conflicts == len(rows)
    for rejection in report.rejections:
        assert rejection.errors and all(e.field for e in rejection.errors)


@pytest.mark.parametrize("content", ["", "claim_id,policy,kind\n", "\ufeff"])
def test_empty_and_header_only_files(engine: Engine, tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    before = _counts(engine)
    try:
        report = import_file(engine, path, actor=CLERK, on=ON)
    except UnreadableFile as exc:
        assert "empty" in str(exc)
        assert _counts(engine) == before
        return
    assert (report.rows, report.filed, report.rejected) == (0, 0, 0)
    assert _counts(engine)[:2] == before[:2]


def test_cli_refuses_a_truncated_workbook_and_files_nothing(db_url: str, tmp_path: Path) -> None:
    assert run_claims("init", db=db_url).returncode == 0
    whole = _write([good_row(i) for i in range(3)], tmp_path / "whole.xlsx", "")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(whole.read_bytes()[:-200])
    done = run_claims("import", str(broken), db=db_url)
    assert done.returncode == 2
    assert "nothing was filed" in " ".join(done.stderr.split())
    engine = make_engine(db_url)
    assert _counts(engine) == (0, 0, 0, 0)  # no batch, no claim, no row kept from a file never read
    engine.dispose()
