"""Segregation by person over a claim's whole history, names normalised, and the actor list
binding claims inspect / claims complete (through the installed `claims`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from models.tables import COMPLETION, INSPECTION
from services.access.actors import Actor
from services.access.roles import Forbidden, check_may_approve, check_may_review
from services.importing.rosters import record_inspections
from tests.conftest import run_claims
from tests.e2e.reliability.test_fraud import PERSON_A, certificate, claim
from tests.e2e.reliability.test_roles import posted  # noqa: F401  (the fixture)

D0 = date(2020, 5, 11)


def test_the_objector_cannot_review_even_with_a_padded_name(posted: Engine, db_url: str) -> None:  # noqa: F811
    refused = run_claims("review", "A1", "--uphold", "--reason", "x", "--actor", "citizen\u3000", "--on",
                         "2020-05-13", db=db_url)
    assert refused.returncode == 1, refused.stderr
    assert "'citizen' objected to claim A1 and cannot review" in " ".join(refused.stderr.split())
    assert claim(posted, "A1").state == "objected"


def test_who_loaded_inspections_or_the_files_inspector_cannot_review_or_release(
        engine: Engine, tmp_path: Path) -> None:
    from tests.e2e.reliability.test_fraud import file_and_inspect

    file_and_inspect(engine, tmp_path, [certificate("H1", PERSON_A, "ZH-0001")], D0)
    pk = claim(engine, "H1").id
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(INSPECTION)).scalar_one()
    # H2 is inspected by 李检查 (the file's inspector, name padded) and loaded by 周录入
    from services.importing.filing import import_file
    from tests.e2e.reliability.test_fraud import CLERK

    rows = [certificate("H2", PERSON_A, "ZH-0002")]
    import csv
    path = tmp_path / "h2.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=sorted(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert import_file(engine, path, actor=CLERK, on=D0).filed == 1
    report = record_inspections(engine, [(2, {"claim_id": "H2", "policy": rows[0]["policy"], "result": "pass",
                                              "inspected_on": D0.isoformat(), "inspector": " 李检查 "})],
                                actor=Actor("周录入", "inspector"), on=D0)
    assert report.recorded == 1
    h2 = claim(engine, "H2").id
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(INSPECTION)).scalar_one() == before + 1
        for who in ("李检查", "周录入", "周录入 "):
            with pytest.raises(Forbidden):
                check_may_review(conn, Actor(who, "reviewer"), h2, "H2")
            with pytest.raises(Forbidden, match="cannot release its payment"):
                check_may_approve(conn, Actor(who, "approver"), [pk, h2])
        check_may_review(conn, Actor("王复核", "reviewer"), h2, "H2")
        check_may_approve(conn, Actor("赵审批", "approver"), [pk, h2])


def test_the_actor_list_binds_inspect_and_complete(engine: Engine, db_url: str, tmp_path: Path) -> None:
    from tests.e2e.reliability.test_fraud import file_and_inspect

    file_and_inspect(engine, tmp_path, [certificate("L1", PERSON_A, "ZL-0001")], D0)
    roster = tmp_path / "actors.yaml"
    roster.write_text("李检查: [inspector]\n王会计: [clerk]\n", encoding="utf-8")
    env = {"CLAIMS_ACTORS": str(roster)}
    inspections = tmp_path / "inspections.csv"
    inspections.write_text("claim_id,inspected_on,result\nL1,2020-05-11,pass\n", encoding="utf-8")
    completions = tmp_path / "completions.csv"
    completions.write_text("claim_id,certificate_no,certificate_date,result\nL1,ZL-0001,2020-05-01,pass\n",
                           encoding="utf-8")
    with engine.connect() as conn:
        counts = (conn.execute(select(func.count()).select_from(INSPECTION)).scalar_one(),
                  conn.execute(select(func.count()).select_from(COMPLETION)).scalar_one())
    for command, path, who in (("inspect", inspections, "mallory"), ("complete", completions, "mallory"),
                               ("complete", completions, "李检查")):
        done = run_claims(command, str(path), "--actor", who, "--on", "2020-05-11", db=db_url, env=env)
        assert done.returncode != 0, (command, who, done.stdout)
        assert who in done.stderr + done.stdout
        assert "Traceback" not in done.stderr
    with engine.connect() as conn:
        assert (conn.execute(select(func.count()).select_from(INSPECTION)).scalar_one(),
                conn.execute(select(func.count()).select_from(COMPLETION)).scalar_one()) == counts
    ok = run_claims("complete", str(completions), "--actor", " 王会计", "--on", "2020-05-11", db=db_url, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
