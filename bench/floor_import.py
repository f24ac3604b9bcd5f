"""The import's floor: the same claims file read and written with no checks at all — csv.reader,
then executemany of every row as text into a table of the file's columns, in one transaction.
`import_ratio` = the product's import seconds / these seconds (a ratio: an absolute rows/s is
no goal on shared hardware)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from sqlalchemy import Engine, text

ROWS_PER_EXECUTEMANY = 5000
TABLE = "floor_import"


def floor_import(engine: Engine, path: Path) -> tuple[int, float]:
    """(rows written, seconds) for `path` into a new table TABLE (dropped afterwards)."""
    began = time.perf_counter()
    written = 0
    with path.open(encoding="utf-8", newline="") as handle, engine.begin() as conn:
        reader = csv.reader(handle)
        header = next(reader)
        names = [f"c{i}" for i in range(len(header))]
        conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
        conn.execute(text(f"CREATE TABLE {TABLE} ({', '.join(n + ' TEXT' for n in names)})"))
        insert = text(f"INSERT INTO {TABLE} VALUES ({', '.join(':' + n for n in names)})")
        batch: list[dict[str, str]] = []
        for row in reader:
            batch.append(dict(zip(names, row, strict=True)))
            if len(batch) == ROWS_PER_EXECUTEMANY:
                conn.execute(insert, batch)
                written, batch = written + len(batch), []
        if batch:
            conn.execute(insert, batch)
            written += len(batch)
    seconds = time.perf_counter() - began
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {TABLE}"))
    return written, seconds
