"""bench.steady's history build writes exactly the reference rows (`history_rows`): the night
persons' rows from Python, the other persons' rows set-based in SQL on PostgreSQL (person ids and
person_key computed in SQL, or the keys from Python without pgcrypto) and from Python on SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bench import databases, steady
from intake.identity import identity_problem, make_person_id
from models.tables import CLAIM

ROOT = Path(__file__).resolve().parents[3]
H = 700
PERSONS = [(make_person_id("211403", date(1980, 1, 1) + (k * date.resolution), k), f"人{k}", "211403")
           for k in range(60)]


@pytest.mark.parametrize("keys", ["sql", "python"])
def test_history_build_writes_the_reference_rows(db_url: str, engine: Engine, keys: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    schema = db_url.split("search_path%3D")[1].split("&")[0] if "search_path" in db_url else None
    if keys == "python":
        if schema is None:
            pytest.skip("SQLite has one (Python) path")
        monkeypatch.setattr(steady, "_pgcrypto_schema", lambda _database: None)
    found: list[str | None] = []
    if keys == "sql" and schema is not None:
        real = steady._pgcrypto_schema
        monkeypatch.setattr(steady, "_pgcrypto_schema", lambda database: found.append(real(database)) or found[-1])
    monkeypatch.setattr(steady, "SQL_CHUNK_ROWS", 150)
    monkeypatch.setattr(steady, "PYTHON_CHUNK_ROWS", 70)
    expected = list(steady.history_rows(H, PERSONS, 0.8, 7))
    night = len(steady.night_history(H, PERSONS, 0.8, 7))
    assert 60 < night < 180 and len(expected) == H  # both parts are there

    database = databases.BenchDatabase(db_url, engine, schema)
    assert steady.build_history(database, H, PERSONS, 0.8, 7, log=lambda _: None) == H

    with engine.connect() as conn:
        rows = [r._mapping for r in conn.execute(select(CLAIM).order_by(CLAIM.c.claim_id))]
    assert len(rows) == H
    for want, got in zip(expected, rows, strict=True):
        assert {k: got[k] for k in want} == want, want["claim_id"]
        assert (got["urgent"], got["enterprise_funded"], got["advance_requested"], got["draft"]) == (False,) * 4
        assert (got["advance_paid"], got["recovery_owed"], got["recovered"]) == (Decimal(0),) * 3
        assert (got["payment_attempt"], got["event_seq"], got["event_head"]) == (0, 0, "")
        assert got["created_at"] is not None and got["updated_at"] is not None
    others = {r["person_id"] for r in rows[night:]}
    assert len(others) == (H - night + 1) // 2 or len(others) == (H - night) // 2 + 1
    assert all(identity_problem(p) is None for p in others)
    assert not others & {p for p, _, _ in PERSONS}
    assert steady.database_mb(database) > 0
    if found:  # pgcrypto is available on the test server: the keys were computed in SQL
        assert found[0] is not None


def test_history_refuses_others_born_among_the_night(sqlite_url: str) -> None:
    database = databases.BenchDatabase(sqlite_url, None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="birth dates"):
        steady.build_history(database, 20_000_000, PERSONS, 0.8, 7)


@pytest.mark.slow
def test_steady_prints_the_contract_line(tmp_path: Path) -> None:
    """`python -m bench.steady` as a user runs it: the CONTRACT §5 line last, both nights alike."""
    done = subprocess.run([sys.executable, "-m", "bench.steady", "--history", "400", "--night", "150",
                           "--workdir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"history", "night_claims", "seconds", "empty_history_seconds", "ratio", "peak_rss_mb"} <= set(last)
    assert (last["history"], last["night_claims"]) == (400, 150)
    assert last["ratio"] == pytest.approx(last["seconds"] / last["empty_history_seconds"], rel=0.01)
