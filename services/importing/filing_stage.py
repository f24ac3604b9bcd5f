"""Staged claim rows: a worker writes a piece's valid rows into a small SQLite file of its own,
and the importing process copies the new ones into the claim table with one
`INSERT … SELECT` from that file (ATTACHed), instead of binding every value itself.

SQLite has one writer; binding ~40 values per row through the driver was most of that
writer's time. The workers bind in parallel into their own files; the importing process only
moves rows between files inside SQLite. Only for SQLite with the worker pool; PostgreSQL takes
the rows by COPY (services/importing/filing.py).

A stage file holds one table, `stage`: `line` (the row number in the import file, the primary
key), the claim columns of RECORD_FIELDS, `person_key` and `content_hash`. The columns hold
intake/screen.py `record_texts` (text, money in integer fen, empty fields NULL); copied into the
claim table, its column types make them exactly the values `record_row` gives (booleans and
whole numbers as integers, dates as ISO text).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from intake.columns import ALWAYS_STAGED, STAGE_FIELDS, screen_csv_for_stage
from intake.readers import piece_lines
from intake.screen import ScreenedRow
from services.nightly.moves import FILING_MONEY_FIELDS, filing_money

STAGE_COLUMNS = ("line", *STAGE_FIELDS, "content_hash")
_MARKS = {name: "?" if name in ("line", "content_hash", *ALWAYS_STAGED) else "NULLIF(?, '')"
          for name in STAGE_COLUMNS}
"""An empty text is an empty field (NULL), except in the fields given as they are
(intake/columns.py ALWAYS_STAGED). A column the piece's rows do not fill is not given (NULL)."""
STAGE_PAGE_BYTES = 65536
"""Product setting: the page size of a stage file (SQLite's largest). The file is written
once and read once, whole, page by page, a system call per page each time."""
SCHEMA = "stage"
"""The name the importing process ATTACHes a stage file under."""


def stage_path(directory: Path, first: int) -> Path:
    return directory / f"rows-{first}.db"


SCREEN_LINES = 5000
"""Product setting: lines a worker screens at a time. A piece (services/importing/filing_pool.py
PIECE_LINES) is screened in parts of this many lines: a worker's short-lived lists stay small
(measured: 20,000 lines screened at once cost ~10 % more per row, in page faults and cache
misses)."""


def piece_parts(piece: bytes, first: int, encoding: str) -> list[tuple[int, list[str]]]:
    """A piece of a CSV file's bytes (intake/readers.py `csv_byte_pieces`) as the parts a
    worker screens one at a time: (row number of the part's first record, its lines). A piece
    without a quote has SCREEN_LINES lines a part (each line is one record); one with a quote
    is one part (a record may span lines)."""
    lines = piece_lines(piece, encoding)
    step = SCREEN_LINES if b'"' not in piece else max(1, len(lines))
    return [(first + at, lines[at:at + step]) for at in range(0, len(lines), step)]


@dataclass(frozen=True, slots=True)
class StagedRows:
    """What a worker sends back for a staged piece: the rows it rejected (screened rows, in
    file order), the row numbers of its valid rows (their values are in the stage file, in
    the same order), whether those rows' claims (policy, claim_id) are all different, and each
    valid row's money as filed (services/nightly/moves.py `filing_money`: its first event hashes
    it), in the same order."""

    rejected: list[ScreenedRow]
    valid: list[int]
    distinct: bool
    moneys: list[str]


def stage_piece(header: list[str], piece: bytes, first: int, directory: str,
                encoding: str) -> StagedRows:
    """The worker's task for a piece of a CSV file's bytes: `stage_csv` of its parts."""
    return stage_csv(header, piece_parts(piece, first, encoding), stage_path(Path(directory), first))


def stage_csv(header: list[str], parts: Sequence[tuple[int, Sequence[str]]],
              path: Path) -> StagedRows:
    """The worker's task: screen the parts of one piece of a CSV file (the row number of each
    part's first record, its lines) and write their valid rows' values into the piece's stage
    file `path`. The importing process reads a valid row's claim and content hash back from
    the stage file only when a claim of the piece was met before (services/importing/filing.py)."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    rejected: list[ScreenedRow] = []
    valid: list[int] = []
    moneys: list[str] = []
    claims: set[tuple[str | None, str | None]] = set()
    try:
        db.execute(f"PRAGMA page_size={STAGE_PAGE_BYTES}")
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(f"CREATE TABLE stage ({STAGE_COLUMNS[0]} INTEGER PRIMARY KEY, "
                   f"{', '.join(STAGE_COLUMNS[1:])})")
        db.execute("BEGIN")
        for first, lines in parts:
            rows, piece = screen_csv_for_stage(header, lines, first)
            db.executemany(f"INSERT INTO stage ({', '.join(piece.columns)}) VALUES "
                           f"({', '.join(map(_MARKS.__getitem__, piece.columns))})", piece.rows)
            moneys.extend(_filed_moneys(piece.columns, piece.rows))
            for row in rows:
                number, policy, claim_id, digest, _, _, _ = row
                if digest is None:
                    rejected.append(row)
                else:
                    valid.append(number)
                    claims.add((policy, claim_id))
        db.execute("COMMIT")
    finally:
        db.close()
    if len(moneys) != len(valid):
        raise AssertionError("the stage rows and the valid rows differ in number")
    return StagedRows(rejected, valid, len(claims) == len(valid), moneys)


def _filed_moneys(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Each staged row's `filing_money` from its texts (canonical texts, as the claim table stores
    them; a column the piece does not fill, or an empty text, is empty)."""
    at = [columns.index(name) if name in columns else None for name in FILING_MONEY_FIELDS]
    return [filing_money(*("" if i is None or row[i] is None else str(row[i]) for i in at)) for row in rows]
