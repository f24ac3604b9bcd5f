"""`claims report oversight` on claims in the database: the planted body is named, the clean ones not."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims

MAY = dict(training_start=date(2020, 5, 1), training_end=date(2020, 5, 20))


def test_report_names_planted_bodies_only(engine: Engine, db_url: str, tmp_path: Path) -> None:
    rows = []
    for i in range(4):  # 甲 and 乙 list the same four trainees at once
        person = f"21140219900101{1000 + i}"
        rows.append(claim_row(f"A{i}", person_id=person, class_id="K-A", organizer="甲培训学校", **MAY))
        rows.append(claim_row(f"B{i}", person_id=person, class_id="K-B", organizer="乙培训学校", **MAY))
        rows.append(claim_row(f"C{i}", person_id=f"21140219900202{2000 + i}", class_id="K-C",
                              organizer="丙培训学校", **MAY))  # same dates, same site, own trainees
    with engine.begin() as conn:
        insert_claims(conn, *rows)
    out = tmp_path / "o.csv"
    done = run_claims("report", "oversight", "--out", str(out), "--chart", str(tmp_path / "o.png"), db=db_url)
    assert done.returncode == 0, done.stderr
    listed = [r for r in csv.reader(out.open(encoding="utf-8-sig")) if r][1:]
    assert {(r[0], r[2]) for r in listed} == {
        ("甲培训学校", "shared_trainees"), ("乙培训学校", "shared_trainees"),
        ("甲培训学校", "repeated_roster"), ("乙培训学校", "repeated_roster")}
    assert (tmp_path / "o.png").stat().st_size > 0
