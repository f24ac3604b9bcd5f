"""An import's rows, screened (intake/screen.py) in worker processes while the importing
process writes the chunks already screened.

A CSV file is cut into pieces of whole records, as the file's own bytes (intake/readers.py
`csv_byte_pieces`); each piece is decoded, read and screened column by column
(intake/columns.py) in a pool of processes, and the screened rows come back in file order.
Small files, XLSX and JSON Lines files are screened in this process (starting the pool costs
more than it saves there). The workers are forked, so they share this process's
loaded modules and policy packs; where forking is not possible (a daemon process) everything
runs in-process. Either way the rows and their order are the same.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import TypeVar

from intake.columns import screen_csv
from intake.readers import csv_byte_pieces, piece_lines, read_rows
from intake.screen import ScreenedRow, screen
from rules.record import POLICIES
from services.importing.filing_stage import piece_parts, stage_path, stage_piece

PIECE_LINES = 20000
"""Product setting: CSV lines per piece sent to a worker. Large pieces make large SQLite
transactions (services/importing/filing.py STAGED_PIECES_PER_TRANSACTION pieces each): the pages a
transaction's random keys touch are written into the WAL once per transaction."""
POOL_MIN_BYTES = 1 << 20
"""Product setting: CSV files smaller than this (about 5,000 rows) are screened in-process."""
FIRST_PIECES = (64, 32, 16, 8, 4, 2)
"""The first pieces hold PIECE_LINES divided by these: the importing process waits only for a
small first piece."""
AHEAD = 3
"""Pieces queued per worker beyond the one being written (bounds memory on huge files)."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Screened rows written in one transaction. `stage`: the stage file holding the valid
    rows' values (services/importing/filing_stage.py); `rows` are then the rejected rows only, `valid`
    the valid rows' numbers and `distinct` whether their claims are all different; `piece`,
    `encoding`, `first`: the CSV piece they were read from (a conflicting row's raw content is
    read back from it, `lines`)."""

    rows: list[ScreenedRow]
    stage: Path | None = None
    piece: bytes = b""
    encoding: str = "utf-8"
    first: int = 0
    valid: list[int] = field(default_factory=list)
    distinct: bool = True
    moneys: list[str] = field(default_factory=list)
    """each valid row's money as filed (services/importing/filing_stage.py StagedRows)"""

    @property
    def size(self) -> int:
        """The rows of the batch, valid and rejected."""
        return len(self.rows) + len(self.valid)

    def lines(self) -> list[str]:
        return piece_lines(self.piece, self.encoding)


def default_workers() -> int:
    """Worker processes for screening: one per CPU, at most 4 (the writer is the bound)."""
    return max(1, min(os.cpu_count() or 1, 4))


def screened_rows(path: Path, *, known: Collection[str], warnings: list[str],
                  workers: int | None = None) -> tuple[list[str] | None, Iterator[ScreenedRow]]:
    """(the CSV header or None, the screened rows in file order).

    Opens the file at once, so an unreadable file raises UnreadableFile here, before any row.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        rows = read_rows(path, known=known, warnings=warnings)
        return None, _in_process(((n, raw, raw) for n, raw in rows))
    header, encoding, pieces = _csv_pieces(path, known, warnings)
    count = _pool_size(path, workers)
    if count < 2:
        return header, _csv_in_process(header, encoding, pieces)
    return header, _pooled(header, encoding, pieces, count)


def screened_batches(path: Path, *, known: Collection[str], warnings: list[str], size: int,
                     workers: int | None = None,
                     stage_dir: Path | None = None) -> tuple[list[str] | None, Iterator[Batch]]:
    """`screened_rows` in batches of `size` rows; with `stage_dir`, a CSV file the worker pool
    reads comes instead as one batch per piece, its valid rows staged by the workers in files
    under `stage_dir` (services/importing/filing_stage.py)."""
    path = Path(path)
    count = _pool_size(path, workers) if path.suffix.lower() == ".csv" and path.is_file() else 1
    if stage_dir is not None and count > 1:
        header, encoding, pieces = _csv_pieces(path, known, warnings)
        return header, _staged(header, encoding, pieces, count, stage_dir)
    found, rows = screened_rows(path, known=known, warnings=warnings, workers=workers)
    return found, (Batch(chunk) for chunk in _chunks(rows, size))


def _csv_pieces(path: Path, known: Collection[str], warnings: list[str]
                ) -> tuple[list[str], str, Iterator[tuple[int, bytes]]]:
    return csv_byte_pieces(path, PIECE_LINES, known=known, warnings=warnings,
                           first_sizes=[PIECE_LINES // part for part in FIRST_PIECES])


def _pool_size(path: Path, workers: int | None) -> int:
    """Worker processes for a CSV file: 1 (in-process) for a small file or in a daemon."""
    count = default_workers() if workers is None else workers
    if path.stat().st_size < POOL_MIN_BYTES or multiprocessing.current_process().daemon:
        return 1
    return count


def _chunks(rows: Iterator[ScreenedRow], size: int) -> Iterator[list[ScreenedRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _staged(header: list[str], encoding: str, pieces: Iterator[tuple[int, bytes]], workers: int,
            stage_dir: Path) -> Iterator[Batch]:
    for first, piece, staged in _in_pool(pieces, workers, stage_piece, header, str(stage_dir),
                                         encoding):
        yield Batch(staged.rejected, stage_path(stage_dir, first), piece, encoding, first,
                    staged.valid, staged.distinct, staged.moneys)


def _in_process(rows: Iterator[tuple[int, dict[str, str | None], object]]) -> Iterator[ScreenedRow]:
    while piece := list(islice(rows, PIECE_LINES)):
        yield from screen(piece)


def _csv_in_process(header: list[str], encoding: str,
                    pieces: Iterator[tuple[int, bytes]]) -> Iterator[ScreenedRow]:
    for first, piece in pieces:
        yield from screen_piece(header, piece, first, encoding)


def screen_piece(header: list[str], piece: bytes, first: int, encoding: str) -> list[ScreenedRow]:
    """A worker's task for a piece of a CSV file's bytes: intake/columns.py `screen_csv` of its
    parts (services/importing/filing_stage.py `piece_parts`)."""
    return [row for start, lines in piece_parts(piece, first, encoding)
            for row in screen_csv(header, lines, start)]


WORKER_NICENESS = 10
"""Product setting: how much lower the workers' CPU priority is than the importing process's.
The importing process is the one writer, so the import goes as fast as it does; the workers
only have to keep ahead of it, which they do on the CPU time it leaves."""


def _start_worker() -> None:
    """A worker yields the CPU to the writer, and runs without Python's cycle collector: its
    tasks make no reference cycles (intake/columns.py `collector_paused`), and a collection
    after each part it screens would traverse the part's rows it is about to send
    (callgrind: 1.5 % of a worker's instructions)."""
    os.nice(WORKER_NICENESS)
    gc.disable()


def _warm() -> None:
    """Load what every row needs before forking, so each worker does not load it again."""
    from rules.packs import load_pack

    for policy in POLICIES:
        load_pack(policy)


def _pooled(header: list[str], encoding: str, pieces: Iterator[tuple[int, bytes]],
            workers: int) -> Iterator[ScreenedRow]:
    for _, _, rows in _in_pool(pieces, workers, screen_piece, header, encoding):
        yield from rows


Done = TypeVar("Done")
"""What a worker's task gives back for a piece."""


def _in_pool(pieces: Iterator[tuple[int, bytes]], workers: int, task: Callable[..., Done],
             header: list[str], *after: str) -> Iterator[tuple[int, bytes, Done]]:
    """(first row number, piece, `task(header, piece, first, *after)`) per piece, in file
    order, the pieces run by a forked pool with at most AHEAD of them queued per worker."""
    _warm()
    with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
        pending: deque[tuple[int, bytes, AsyncResult[Done]]] = deque()
        for first, piece in pieces:
            pending.append((first, piece, pool.apply_async(task, (header, piece, first, *after))))
            if len(pending) > workers * AHEAD:
                first_done, lines_done, result = pending.popleft()
                yield first_done, lines_done, result.get()
        while pending:
            first_done, lines_done, result = pending.popleft()
            yield first_done, lines_done, result.get()
