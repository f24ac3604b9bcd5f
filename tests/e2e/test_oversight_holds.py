"""A signal sets claims aside for a reviewer through the installed `claims`: the night does not
move them (the reason in `claims failed` and `claims show`), `claims oversight clear` lets the
claim move on the next night (an event, role reviewer), `confirm` rejects it (signal_confirmed)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from sqlalchemy import select

from models.db import make_engine
from models.oversight import SIGNAL_HOLD
from models.tables import CLAIM, EVENT
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims

MAY = dict(training_start=date(2020, 5, 1), training_end=date(2020, 5, 20))
LATER = dict(training_start=date(2020, 5, 5), training_end=date(2020, 5, 25))


def _person(n: int) -> str:
    return f"21140219900101{n:04d}"


def _claim(claim_id: str, person: int, body: str, class_id: str, **dates: date) -> dict[str, object]:
    pid = _person(person)
    return claim_row(claim_id, person_id=pid, payee_id=pid, organizer=body, class_id=class_id,
                     certificate_no=f"Z-{claim_id}", inspection_result="pass", inspected_on=date(2020, 5, 28),
                     person_key=int(hashlib.sha1(pid.encode()).hexdigest()[:7], 16), **dates)


def _ok(*args: str, db: str, env: dict[str, str]) -> str:
    done = run_claims(*args, db=db, env=env)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_signal_holds_claims_for_a_reviewer_who_clears_or_confirms(tmp_path: Path, db_url: str) -> None:
    env = {"CLAIMS_PAYMENT_DIR": str(tmp_path / "pay"), "CLAIMS_PAYMENT_APPROVAL_REQUIRED": "true"}
    _ok("init", db=db_url, env=env)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:  # 甲 and 乙 list trainees 1 and 2 at overlapping dates
            insert_claims(conn, _claim("S-A1", 1, "甲", "A1", **MAY), _claim("S-A2", 2, "甲", "A1", **MAY),
                          _claim("S-A3", 3, "甲", "A1", **MAY), _claim("S-B1", 1, "乙", "B1", **LATER),
                          _claim("S-B2", 2, "乙", "B1", **LATER), _claim("S-B4", 4, "乙", "B1", **LATER),
                          _claim("S-C5", 5, "丙", "C1", **MAY))
        night = _ok("nightly", "--as-of", "2020-06-01", "--no-prefect", db=db_url, env=env)
        assert "4 claims set aside" in night
        states = _states(engine)
        assert {states[c] for c in ("S-A3", "S-B4", "S-C5")} == {"publicly_posted"}
        assert {states[c] for c in ("S-A1", "S-A2", "S-B1", "S-B2")} == {"on_site_inspected"}
        failed = json.loads(_ok("failed", "--json", db=db_url, env=env))
        held = {f["claim_id"]: f["reason"] for f in failed}
        assert set(held) == {"S-A1", "S-A2", "S-B1", "S-B2"}
        assert all(r.startswith("oversight_signal: shared_trainees 同期多机构学员") for r in held.values())
        shown = json.loads(_ok("show", "S-A1", "--json", db=db_url, env=env))
        assert shown["set_aside"]["reason"].startswith("oversight_signal: shared_trainees")
        assert "S-A1" in _ok("oversight", "list", db=db_url, env=env)

        cleared = _ok("oversight", "clear", "S-A1", "--reason", "签到表核实", "--actor", "王复核", "--on", "2020-06-01",
                      db=db_url, env=env)
        assert "cleared shared_trainees" in cleared
        confirmed = _ok("oversight", "confirm", "S-B1", "--reason", "同期两地上课", "--actor", "王复核",
                        "--on", "2020-06-01", db=db_url, env=env)
        assert "rejected" in confirmed
        again = run_claims("oversight", "clear", "S-A1", "--reason", "x", "--actor", "王复核", db=db_url, env=env)
        assert again.returncode != 0 and "no signal waiting" in again.stderr + again.stdout
        no_reason = run_claims("oversight", "clear", "S-A2", "--reason", " ", "--actor", "王复核", db=db_url, env=env)
        assert no_reason.returncode != 0

        _ok("nightly", "--as-of", "2020-06-02", "--no-prefect", db=db_url, env=env)
        states = _states(engine)
        assert (states["S-A1"], states["S-A2"], states["S-B1"], states["S-B2"]) == (
            "publicly_posted", "on_site_inspected", "rejected", "on_site_inspected")
        with engine.connect() as conn:
            reasons = conn.execute(select(CLAIM.c.reasons).where(CLAIM.c.claim_id == "S-B1")).scalar_one()
            events = conn.execute(select(EVENT.c.trigger, EVENT.c.actor, EVENT.c.role).join(
                CLAIM, CLAIM.c.id == EVENT.c.claim_pk).where(CLAIM.c.claim_id.in_(("S-A1", "S-B1")))
                .order_by(EVENT.c.id)).all()
            statuses = dict(conn.execute(select(CLAIM.c.claim_id, SIGNAL_HOLD.c.status).join(
                CLAIM, CLAIM.c.id == SIGNAL_HOLD.c.claim_pk)).all())
        assert reasons == "signal_confirmed"
        assert ("clear_signal", "王复核", "reviewer") in events and ("reject", "王复核", "reviewer") in events
        assert statuses == {"S-A1": "cleared", "S-A2": "open", "S-B1": "confirmed", "S-B2": "open"}
    finally:
        engine.dispose()


def _states(engine: object) -> dict[str, str]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return dict(conn.execute(select(CLAIM.c.claim_id, CLAIM.c.state)).all())  # type: ignore[arg-type]
