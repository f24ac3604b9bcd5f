"""A process that used the SQLite database leaves only the database file behind when it exits: its
connections (which carry the sha256_hex function the moves in SQL hash with) are closed, so the WAL
is checkpointed into the file and removed — a copy of the file alone is the whole database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from sqlalchemy import text
from models.db import engine_for
engine = engine_for(sys.argv[1])  # cached for the process, as the commands hold it
with engine.begin() as conn:
    conn.execute(text("CREATE TABLE t (x TEXT)"))
    conn.execute(text("INSERT INTO t VALUES (sha256_hex('abc'))"))
"""


def test_exit_leaves_the_database_file_alone(tmp_path: Path) -> None:
    db = tmp_path / "claims.db"
    done = subprocess.run([sys.executable, "-c", SCRIPT, f"sqlite:///{db}"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.db"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT x FROM t").fetchone() == (
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",)
