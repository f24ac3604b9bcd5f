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
