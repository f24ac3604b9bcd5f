"""`claims inspect plan` through the installed command on small synthetic claims: the same seed
draws the same roster, the template loads back with `claims inspect FILE`, no share is assumed."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select

from bench.synthetic import generate
from models.db import make_engine
from models.tables import INSPECTION
from tests.conftest import run_claims


def _ok(*args: str, db: str) -> str:
    done = run_claims(*args, db=db)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_plan_is_reproducible_and_loads_back(tmp_path: Path, db_url: str) -> None:
    files = generate(300, tmp_path / "syn")
    _ok("init", db=db_url)
    _ok("import", str(files.claims), db=db_url)
    first, again, other = (tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv")
    out = _ok("inspect", "plan", "--on", "2020-12-31", "--rate", "10%", "--seed", "s1", "--out", str(first), db=db_url)
    assert "rate 10% seed s1" in out
    _ok("inspect", "plan", "--on", "2020-12-31", "--rate", "10%", "--seed", "s1", "--out", str(again), db=db_url)
    _ok("inspect", "plan", "--on", "2020-12-31", "--rate", "10%", "--seed", "s2", "--out", str(other),
        "--chart", str(tmp_path / "plan.png"), db=db_url)
    assert (tmp_path / "plan.png").read_bytes()[:4] == b"\x89PNG"
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    with first.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert 0 < len(rows) < 300 and all(r["reason_zh"] and "种子s1" in r["plan"] for r in rows)

    missing = run_claims("inspect", "plan", "--on", "2020-12-31", "--out", str(tmp_path / "x.csv"), db=db_url)
    assert missing.returncode == 2 and "--rate" in missing.stderr

    for r in rows:
        r.update(inspected_on="2021-01-04", inspector="李检查", result="pass")
    with first.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert f"{len(rows)} recorded" in _ok("inspect", str(first), db=db_url)  # CONTRACT's `claims inspect FILE`
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(INSPECTION)).scalar_one() == len(rows)
    finally:
        engine.dispose()
