"""An import's rows, screened (intake/screen.py) in worker processes while the importing
process writes the chunks already screened.

A CSV file is cut into pieces of whole records (intake/readers.py `csv_pieces`); each piece is
read and validated by `parse_record` in a pool of processes, and the screened rows come back in
file order. Small files, XLSX and JSON Lines files are screened in this process (starting the
pool costs more than it saves there). The workers are forked, so they share this process's
loaded modules and policy packs; where forking is not possible (a daemon process) everything
runs in-process. Either way the rows and their order are the same.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Collection, Iterator
from itertools import islice
from multiprocessing.pool import AsyncResult
from pathlib import Path

from intake.readers import csv_pieces, read_rows
from intake.record import POLICIES
from intake.screen import ScreenedRow, screen, screen_csv

PIECE_LINES = 5000
"""Product setting: CSV lines per piece sent to a worker."""
POOL_MIN_BYTES = 1 << 20
"""Product setting: CSV files smaller than this (about 5,000 rows) are screened in-process."""
AHEAD = 3
"""Pieces queued per worker beyond the one being written (bounds memory on huge files)."""


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
    header, pieces = csv_pieces(path, PIECE_LINES, known=known, warnings=warnings)
    count = default_workers() if workers is None else workers
    if count < 2 or path.stat().st_size < POOL_MIN_BYTES or multiprocessing.current_process().daemon:
        return header, _csv_in_process(header, pieces)
    return header, _pooled(header, pieces, count)


def _in_process(rows: Iterator[tuple[int, dict[str, str | None], object]]) -> Iterator[ScreenedRow]:
    while piece := list(islice(rows, PIECE_LINES)):
        yield from screen(piece)


def _csv_in_process(header: list[str], pieces: Iterator[tuple[int, list[str]]]) -> Iterator[ScreenedRow]:
    for first, lines in pieces:
        yield from screen_csv(header, lines, first)


def _warm() -> None:
    """Load what every row needs before forking, so each worker does not load it again."""
    from rules.packs import load_pack

    for policy in POLICIES:
        load_pack(policy)


def _pooled(header: list[str], pieces: Iterator[tuple[int, list[str]]],
            workers: int) -> Iterator[ScreenedRow]:
    _warm()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[AsyncResult[list[ScreenedRow]]] = deque()
        for first, lines in pieces:
            pending.append(pool.apply_async(screen_csv, (header, lines, first)))
            if len(pending) > workers * AHEAD:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
