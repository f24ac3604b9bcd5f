"""`python -m bench.synthetic --claims N --out FILE` writes a trial file of N claims."""

from __future__ import annotations

import csv
from pathlib import Path

from bench.synthetic import main


def test_the_trial_file_has_the_claims_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "trial" / "claims.csv"
    assert main(["--claims", "7", "--out", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7 and len({r["claim_id"] for r in rows}) == 7
    assert (tmp_path / "trial" / "claims-inspections.csv").exists()


def test_claims_demo_writes_the_same_trial_file(tmp_path: Path) -> None:
    from tests.conftest import run_claims

    done = run_claims("demo", "--claims", "5", "--out", str(tmp_path / "trial"), db=f"sqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 0, done.stderr
    with (tmp_path / "trial" / "claims.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 5
    assert (tmp_path / "trial" / "claims-objections.csv").exists()
    assert not (tmp_path / "x.db").exists()  # no demo database: only the file
