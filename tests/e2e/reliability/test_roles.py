"""Roles and segregation of duties, through the installed `claims` command.

The inspector of a claim cannot review its objection; whoever reviewed cannot mark its recovery;
an approver who inspected or reviewed a claim of the batch cannot approve it; the deployment's
actor list (CLAIMS_ACTORS) is enforced; admins retry, and no command sets an amount or a state.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine, select

from cli.main import app
from services.access.actors import Actor
from services.access.roles import Forbidden, check_may_approve
from tests.conftest import run_claims
from tests.e2e.reliability.scenario import CLAIM, EVENT
from tests.e2e.reliability.test_fraud import PERSON_A, certificate, claim, file_and_inspect

INSPECTOR = "fraud-inspector"  # records the inspections in file_and_inspect
D0 = date(2020, 5, 11)


@pytest.fixture
def posted(engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Claim A1 on the notice since D0 (inspected by fraud-inspector), an objection raised on it."""
    from services.nightly.runner import run_night

    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))
    file_and_inspect(engine, tmp_path, [certificate("A1", PERSON_A, "ZR-0001")], D0)
    run_night(engine, D0)
    assert claim(engine, "A1").state == "publicly_posted"
    done = run_claims("object", "A1", "--reason", "培训记录不实", "--on", "2020-05-12", "--actor", "citizen", db=db_url)
    assert done.returncode == 0, done.stderr
    return engine


def _said(done: Any, *words: str) -> bool:
    text = " ".join((done.stdout + done.stderr).split())
    return all(w in text for w in words)


def test_the_inspector_cannot_review_the_objection(posted: Engine, db_url: str) -> None:
    refused = run_claims("review", "A1", "--dismiss", "--reason", "核实无误", "--actor", INSPECTOR,
                         "--on", "2020-05-13", db=db_url)
    assert refused.returncode != 0
    assert _said(refused, INSPECTOR, "inspected claim A1", "cannot review")
    assert claim(posted, "A1").state == "objected"
    ok = run_claims("review", "A1", "--dismiss", "--reason", "核实无误", "--actor", "wang", "--on", "2020-05-13",
                    db=db_url)
    assert ok.returncode == 0, ok.stderr
    with posted.connect() as conn:
        actor, role = conn.execute(select(EVENT.c.actor, EVENT.c.role).join(CLAIM, CLAIM.c.id == EVENT.c.claim_pk)
                                   .where(CLAIM.c.claim_id == "A1").order_by(EVENT.c.seq.desc())).first()
    assert (actor, role) == ("wang", "reviewer")


def test_the_reviewer_cannot_mark_its_recovery(posted: Engine, db_url: str, tmp_path: Path) -> None:
    from services.nightly.runner import run_night

    assert run_claims("review", "A1", "--dismiss", "--reason", "核实无误", "--actor", "wang", "--on", "2020-05-13",
                      db=db_url).returncode == 0
    run_night(posted, date(2020, 5, 25))
    assert claim(posted, "A1").state == "paid"
    refused = run_claims("recover", "A1", "--reason", "虚假培训", "--actor", "wang", "--on", "2020-06-01", db=db_url)
    assert refused.returncode != 0
    assert _said(refused, "wang", "reviewed claim A1", "cannot mark its recovery")
    assert claim(posted, "A1").state == "paid"
    ok = run_claims("recover", "A1", "--reason", "虚假培训", "--actor", "zhao", "--on", "2020-06-01", db=db_url)
    assert ok.returncode == 0, ok.stderr
    assert claim(posted, "A1").state == "recovery_due"


def test_the_deployment_actor_list_is_enforced(posted: Engine, db_url: str, tmp_path: Path) -> None:
    roster = tmp_path / "actors.yaml"
    roster.write_text("li: [inspector]\nwang: [reviewer]\nzhao: [approver]\nroot: [admin]\n", encoding="utf-8")
    env = {"CLAIMS_ACTORS": str(roster), "CLAIMS_PAYMENT_DIR": str(tmp_path / "payments")}
    wrong_role = run_claims("review", "A1", "--dismiss", "--reason", "x", "--actor", "zhao", "--on", "2020-05-13",
                            db=db_url, env=env)
    assert wrong_role.returncode != 0 and _said(wrong_role, "'zhao' may act as approver, not as reviewer")
    stranger = run_claims("review", "A1", "--dismiss", "--reason", "x", "--actor", "mallory", "--on", "2020-05-13",
                          db=db_url, env=env)
    assert stranger.returncode != 0 and _said(stranger, "'mallory' is not on the deployment's list of actors")
    not_admin = run_claims("retry", "--all", "--actor", "li", "--on", "2020-05-13", db=db_url, env=env)
    assert not_admin.returncode != 0 and _said(not_admin, "'li' may act as inspector, not as admin")
    assert claim(posted, "A1").state == "objected"
    admin = run_claims("retry", "--all", "--actor", "root", "--on", "2020-05-13", db=db_url, env=env)
    assert admin.returncode == 0, admin.stderr
    reviewer = run_claims("review", "A1", "--dismiss", "--reason", "核实无误", "--actor", "wang", "--on",
                          "2020-05-13", db=db_url, env=env)
    assert reviewer.returncode == 0, reviewer.stderr


def test_an_approver_who_inspected_or_reviewed_a_claim_of_the_batch_cannot_approve_it(posted: Engine) -> None:
    pk = claim(posted, "A1").id
    with posted.connect() as conn:
        with pytest.raises(Forbidden, match="claims in this batch and cannot release its payment"):
            check_may_approve(conn, Actor(INSPECTOR, "approver"), [pk])
        check_may_approve(conn, Actor("zhao", "approver"), [pk])


def _options(command: Any, path: str = "claims") -> dict[str, set[str]]:
    found = {path: {o for p in command.params for o in getattr(p, "opts", [])}}
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            found.update(_options(sub, f"{path} {name}"))
    return found


def test_no_command_sets_an_amount_or_a_state_by_hand() -> None:
    commands = _options(typer.main.get_command(app))
    forbidden = {"--amount", "--state", "--set", "--to-state", "--paid", "--final-paid", "--advance-paid"}
    assert {path: opts & forbidden for path, opts in commands.items() if opts & forbidden} == {}
    assert not any(path.split()[-1] in ("set", "edit", "update", "force") for path in commands)
    assert "claims retry" in commands and "claims reconcile" in commands
