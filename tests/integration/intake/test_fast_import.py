"""The fast import (rows screened in worker processes, driver-level writes) files exactly what
the import before it filed: the same CSV imported by both gives identical databases — claims,
events and their hashes, people, payees, classes, rejections with their raw rows and
messages, batch counters — on SQLite and PostgreSQL, first import and re-import.

The reference is the previous implementation, kept unchanged in tests/integration/intake/reference_filing.py.
"""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from intake.readers import csv_byte_pieces
from models.db import make_engine
from models.schema import upgrade
from services.access.actors import Actor
from services.importing import filing, filing_pool, filing_stage
from services.importing.filing import ImportReport, import_file
from tests.conftest import _pg_admin_engine, _with_search_path
from tests.integration.intake import reference_filing
from tests.unit.intake.claimrows import BAD, bad_row, good_row, write_csv

CLERK = Actor("张三", "clerk")
ON = date(2020, 6, 1)

COMPARED: dict[str, tuple[str, tuple[str, ...]]] = {
    # table: (order, columns left out: timestamps and the batch's own id)
    "claim": ("id", ("created_at", "updated_at", "import_batch_id")),
    "claim_event": ("id", ("at",)),
    "person": ("person_id", ()),
    "payee": ("payee_id", ()),
    "training_class": ("policy, class_id", ()),
    "import_rejection": ("id", ("batch_id",)),
    "import_batch": ("id", ("at",)),
}


@pytest.fixture
def two_urls(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of the same kind: (reference, fast)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}", db_url
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    base = db_url.split("?")[0]
    try:
        yield _with_search_path(base, schema), db_url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _engine(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def _tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table, (order, left_out) in COMPARED.items():
            every = list(conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())
            columns = [c for c in every if c not in left_out]
            names = ", ".join(f'"{c}"' for c in columns)
            out[table] = [tuple(r) for r in conn.execute(text(f"SELECT {names} FROM {table} ORDER BY {order}"))]
    return out


def _report(report: ImportReport | reference_filing.ImportReport) -> tuple[Any, ...]:
    """Counts, warnings and every rejection (row, claim, kind, errors) in order."""
    return (report.rows, report.filed, report.skipped, report.conflicts, report.rejected,
            report.warnings, [(r.row, r.claim_id, r.policy, r.kind, r.errors) for r in report.rejections])


def _rows() -> list[dict[str, str]]:
    """Good rows of every kind, bad rows of every kind, repeats with the same and with other
    content, cells with quotes, commas and line breaks."""
    rows: list[dict[str, str]] = []
    for i in range(60):
        rows.append(good_row(i))
        if i % 3 == 0:
            rows.append(bad_row(i)[0])
        if i in (20, 40):                                      # again at once: in one piece
            rows.append({**good_row(i), "person_name": "王五"} if i == 20 else good_row(i))
    rows.append(good_row(5))                                   # same content again
    rows.append(good_row(20))                                  # a third time, pieces later
    rows.append({**good_row(7), "person_name": "李四"})         # other content, same claim_id
    rows.append({**good_row(70), "organizer": 'a "quoted",\nmulti-line organizer'})
    rows.append({**good_row(71), "payee_name": "line one\r\nline two"})
    rows.append({**good_row(72), "person_name": '"王"', "organizer": "tab\there, back\\slash \\N"})
    rows.extend(bad_row(100 + i)[0] for i in range(len(BAD)))
    rows.append({**good_row(73), "catalog_standard": "12.5"})
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    write_csv(path, rows)
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write("\n ,  ,\n")                                 # blank rows, counted
        fh.write("C900001,huludao-2019,surplus" + ",x" * 40 + "\n")  # more cells than the header
        fh.write('C900002,"unterminated\n')                    # a quote never closed
    return path


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the worker pool on small files, with tiny pieces (records cross piece ends),
    each screened three lines at a time where it has no quote."""
    monkeypatch.setattr(filing_pool, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(filing_pool, "PIECE_LINES", 7)
    monkeypatch.setattr(filing_stage, "SCREEN_LINES", 3)


@pytest.mark.parametrize("workers", [1, 2])
def test_fast_import_files_what_the_reference_filed(two_urls: tuple[str, str], tmp_path: Path,
                                                    pooled: None, workers: int) -> None:
    reference_url, fast_url = two_urls
    reference, fast = _engine(reference_url), _engine(fast_url)
    try:
        first = _write(tmp_path / "first.csv", _rows())
        changed = [{**good_row(i), "level": "L3"} if i % 4 == 0 else good_row(i)
                   for i in range(0, 90, 2)]
        second = _write(tmp_path / "second.csv", changed)
        for path in (first, second, first):                   # new, conflicts with filed, re-import
            old = reference_filing.import_file(reference, path, actor=CLERK, on=ON, chunk_rows=13)
            new = import_file(fast, path, actor=CLERK, on=ON, chunk_rows=13, workers=workers)
            assert _report(new) == _report(old)
        assert new.filed == 0 and new.skipped > 0 and new.rejected > 0
        old_tables, new_tables = _tables(reference), _tables(fast)
        assert old_tables["claim"] and old_tables["import_rejection"]
        for table in COMPARED:
            assert new_tables[table] == old_tables[table], table
    finally:
        reference.dispose()
        fast.dispose()


def test_conflict_messages_name_fields_as_before(two_urls: tuple[str, str], tmp_path: Path,
                                                 pooled: None) -> None:
    reference_url, fast_url = two_urls
    reference, fast = _engine(reference_url), _engine(fast_url)
    try:
        base = _write(tmp_path / "a.csv", [good_row(i) for i in range(9)])
        edits = [{**good_row(8), "catalog_standard": "99.99", "urgent": "是"},
                 {**good_row(3), "groups": "veteran;poor_labor", "filed_on": "2020-05-11"},
                 {**good_row(4), "payee_name": "新名字", "bank_account": "6222020200112233445"}]
        changed = _write(tmp_path / "b.csv", edits + edits)
        for path in (base, changed):
            old = reference_filing.import_file(reference, path, actor=CLERK, on=ON)
            new = import_file(fast, path, actor=CLERK, on=ON, workers=2)
            assert _report(new) == _report(old)
        messages = [e.message for r in new.rejections for e in r.errors if r.kind == "conflict"]
        assert any("catalog_standard: filed '1500.00', this file '99.99'" in m for m in messages)
        assert _tables(fast) == _tables(reference)
    finally:
        reference.dispose()
        fast.dispose()


def test_staged_import_cleans_up_and_gives_the_connection_back_as_it_was(
        tmp_path: Path, pooled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite with the pool (stage files are SQLite's): the workers' stage files are gone
    afterwards, and the importing connection's page cache, checkpoint interval and temporary
    storage are its own again."""
    stage_root = tmp_path / "tmp"
    stage_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(stage_root))
    engine = _engine(f"sqlite:///{tmp_path / 'staged.db'}")
    try:
        with engine.connect() as conn:
            before = _settings(conn)
        report = import_file(engine, _write(tmp_path / "a.csv", _rows()), actor=CLERK, on=ON, workers=2)
        assert report.filed > 60 and report.rejected > 0
        assert list(stage_root.iterdir()) == []
        with engine.connect() as conn:
            assert _settings(conn) == before
            filed = conn.execute(text("SELECT count(*) FROM claim")).scalar_one()
        assert filed == report.filed
    finally:
        engine.dispose()


def _settings(conn: Any) -> tuple[Any, ...]:
    return (conn.exec_driver_sql("PRAGMA cache_size").scalar_one(),
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one(),
            conn.exec_driver_sql("PRAGMA temp_store").scalar_one())


def test_an_error_mid_transaction_keeps_what_was_committed_and_a_rerun_files_the_rest(
        tmp_path: Path, pooled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Staged pieces are filed STAGED_PIECES_PER_TRANSACTION to a transaction: an error in a
    later piece rolls back only its own transaction, leaves no stage file and no attached
    database behind, and importing the file again files exactly the rows not yet filed."""
    stage_root = tmp_path / "tmp"
    stage_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(stage_root))
    monkeypatch.setattr(filing, "STAGED_PIECES_PER_TRANSACTION", 3)
    monkeypatch.setattr(filing_pool, "FIRST_PIECES", ())     # every piece 7 lines
    rows = [good_row(i) for i in range(60)]
    path = _write(tmp_path / "a.csv", rows)
    engine = _engine(f"sqlite:///{tmp_path / 'staged.db'}")
    real_insert, pieces = filing._insert_staged, []

    def failing_insert(conn: Any, schema: str, new: Any, constants: Any) -> None:
        pieces.append(schema)
        if len(pieces) == 5:
            raise RuntimeError("disk full")
        real_insert(conn, schema, new, constants)

    try:
        monkeypatch.setattr(filing, "_insert_staged", failing_insert)
        with pytest.raises(RuntimeError, match="disk full"):
            import_file(engine, path, actor=CLERK, on=ON, workers=2)
        assert pieces == ["stage0", "stage1", "stage2", "stage0", "stage1"]
        assert list(stage_root.iterdir()) == []
        with engine.connect() as conn:
            attached = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
            assert not [name for name in attached if name.startswith("stage")], attached
            filed = conn.execute(text("SELECT count(*) FROM claim")).scalar_one()
        assert filed == 3 * 7                          # the first transaction's three pieces

        monkeypatch.setattr(filing, "_insert_staged", real_insert)
        again = import_file(engine, path, actor=CLERK, on=ON, workers=2)
        assert (again.skipped, again.filed) == (filed, len(rows) - filed)
        with engine.connect() as conn:
            ids = conn.execute(text("SELECT claim_id FROM claim")).scalars().all()
        assert sorted(ids) == sorted(row["claim_id"] for row in rows)
    finally:
        engine.dispose()


@pytest.mark.parametrize("quoted", [False, True])
def test_a_piece_screened_in_parts_stages_what_it_stages_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quoted: bool) -> None:
    """A worker screens a piece SCREEN_LINES at a time: the same screened rows (row numbers,
    errors) and the same stage file as the piece screened at once, bad rows among good ones;
    so does the task without a stage file (PostgreSQL, in-process)."""
    rows = [good_row(i) for i in range(12)] + [bad_row(i)[0] for i in range(5)]
    if quoted:
        rows.insert(4, {**good_row(40), "organizer": 'a "quoted",\nmulti-line organizer'})
    path = write_csv(tmp_path / "a.csv", rows)
    header, encoding, pieces = csv_byte_pieces(path, 1000)
    (first, piece), = list(pieces)
    results = []
    for step in (10**6, 3):
        monkeypatch.setattr(filing_stage, "SCREEN_LINES", step)
        directory = tmp_path / str(step)
        directory.mkdir()
        screened = filing_stage.stage_piece(header, piece, first, str(directory), encoding)
        stage = filing_stage.stage_path(directory, first)
        with closing(sqlite3.connect(stage)) as db:
            staged = db.execute("SELECT * FROM stage ORDER BY line").fetchall()
        results.append((screened, staged, filing_pool.screen_piece(header, piece, first, encoding)))
    assert results[0] == results[1]
    screened, staged, whole = results[0]
    assert [row[0] for row in whole] == list(range(first, first + len(rows)))
    assert screened.rejected == [row for row in whole if row[3] is None]
    # the five bad rows, and the multi-line organizer: one record across two lines, refused for its
    # line break (a one-line field may not hold one)
    assert len(screened.rejected) == 5 + quoted and screened.distinct
    assert screened.valid == [row[0] for row in whole if row[3] is not None]
    columns = ("line", *filing_stage.STAGE_FIELDS, "content_hash")
    assert [(r[0], r[columns.index("policy")], r[columns.index("claim_id")], r[-1]) for r in staged] \
        == [row[:4] for row in whole if row[3] is not None]
    assert len(staged) == 12  # the multi-line organizer is refused, not staged


def test_a_piece_names_a_claim_it_holds_twice(tmp_path: Path) -> None:
    """The worker tells the importing process whether a piece's valid rows are all different
    claims (else it sorts them one by one); a rejected row's claim does not count."""
    for rows, distinct in (([good_row(1), good_row(2), {**good_row(1), "level": "L2"}], False),
                           ([good_row(1), good_row(2), {**bad_row(0)[0], "claim_id": good_row(1)["claim_id"]}],
                            True)):
        path = write_csv(tmp_path / "a.csv", rows)
        header, encoding, pieces = csv_byte_pieces(path, 1000)
        (first, piece), = list(pieces)
        staged = filing_stage.stage_piece(header, piece, first, str(tmp_path), encoding)
        assert staged.distinct is distinct
