"""The one top-level handler of `claims`: exit codes 1/2/3, no traceback without --debug, the
log with details, the roles note once per command, two imports of one file at once."""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from tests.conftest import claims_executable, run_claims
from tests.unit.intake.claimrows import good_row


def _claims_file(path: Path, rows: int = 3) -> Path:
    import csv

    data = [good_row(i) for i in range(rows)]
    columns = sorted({k for row in data for k in row})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(data)
    return path


def test_a_locked_sqlite_file_is_one_sentence_and_exit_3_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'claims.db'}"
    assert run_claims("init", db=db).returncode == 0
    claims = _claims_file(tmp_path / "claims.csv")
    env = {"CLAIMS_DB_BUSY_SECONDS": "1", "CLAIMS_LOG_DIR": str(tmp_path / "logs"), "CLAIMS_ACTORS": ""}
    with closing(sqlite3.connect(tmp_path / "claims.db", isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        done = run_claims("import", str(claims), db=db, env=env)
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr and "the database is locked by another process" in done.stderr
        assert f"details: {tmp_path / 'logs' / 'claims-errors.log'}" in done.stderr
        assert "Traceback" in (tmp_path / "logs" / "claims-errors.log").read_text(encoding="utf-8")
        assert done.stderr.count("no actor list (CLAIMS_ACTORS): roles are not enforced") == 1
        debug = run_claims("--debug", "import", str(claims), db=db, env=env)
        assert debug.returncode != 0 and "Traceback" in debug.stderr
        holder.execute("ROLLBACK")
    usage = run_claims("import", db=db, env=env)
    assert usage.returncode == 2
    unreachable = run_claims("failed", db="postgresql://postgres@127.0.0.1:1/none", env=env)
    assert unreachable.returncode == 3 and "cannot be reached" in unreachable.stderr, unreachable.stderr
    assert "Traceback" not in unreachable.stderr


def test_two_imports_of_one_file_at_once_file_it_once_and_neither_crashes(db_url: str, tmp_path: Path) -> None:
    import os

    assert run_claims("init", db=db_url).returncode == 0
    claims = _claims_file(tmp_path / "claims.csv", rows=200)
    env = {**os.environ, "CLAIMS_DATABASE_URL": db_url, "CLAIMS_ACTOR": "clerk", "CLAIMS_ACTORS": ""}
    started = [subprocess.Popen([claims_executable(), "import", str(claims)], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outcomes = []
    for process in started:
        out, err = process.communicate(timeout=120)
        outcomes.append((process.returncode, out, err))
    assert all(code == 0 for code, _, _ in outcomes), outcomes
    assert all("Traceback" not in err for _, _, err in outcomes)
    filed = sorted(int(out.split("filed ")[1].split(",")[0]) for _, out, _ in outcomes)
    assert filed == [0, 200], outcomes
