"""What each side of the benchmark writes: commits, bytes this process wrote, and on PostgreSQL the
WAL the server wrote — the issue's "measure commit sizes" (write amplification shows as bytes per
claim moved, the same on both sides when both write the same rows)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text


def _written_by_me() -> int | None:
    """Bytes this process handed to write() so far (/proc/self/io wchar): SQLite's WAL frames,
    checkpoints and temp files, and the batch files; None where /proc does not show it."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _wal_position(engine: Engine) -> int | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")).scalar_one())


@dataclass
class Written:
    commits: int
    process_bytes: int | None
    wal_bytes: int | None

    def line(self, side: str, moved: int) -> str:
        parts = [f"{side}: {self.commits:,} commits"]
        if self.process_bytes is not None:
            parts.append(f"{self.process_bytes / 1e6:,.1f} MB written by this process")
        if self.wal_bytes is not None:
            parts.append(f"{self.wal_bytes / 1e6:,.1f} MB of WAL on the server "
                         f"({self.wal_bytes / max(self.commits, 1) / 1e3:,.1f} kB a commit"
                         f"{f', {self.wal_bytes / moved:,.0f} B a claim moved' if moved else ''})")
        return ", ".join(parts)


class WriteMeter:
    """Counts the commits of every engine in this process between `start()` and `stop()` (the
    product's commands open engines of their own), the bytes this process wrote, and the WAL
    the PostgreSQL server wrote (the whole server's: run on a server nobody else writes to)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._commits = 0
        self._started: tuple[int | None, int | None] = (None, None)

    def _on_commit(self, _conn: Any) -> None:
        self._commits += 1

    def start(self) -> None:
        self._commits = 0
        self._started = (_written_by_me(), _wal_position(self._engine))
        event.listen(Engine, "commit", self._on_commit)

    def stop(self) -> Written:
        event.remove(Engine, "commit", self._on_commit)
        written, wal = _written_by_me(), _wal_position(self._engine)
        before_written, before_wal = self._started
        return Written(
            self._commits,
            None if written is None or before_written is None else written - before_written,
            None if wal is None or before_wal is None else wal - before_wal,
        )
