"""A reason typed by staff (objection, review, withdrawal, recovery, signal review) holding a
zero-width or bidirectional character is refused before anything is written: it would read
reversed in `claims show` and the exports, and stay so in the hash-chained history. Line breaks
are allowed; a signal review's reason is kept whole or refused, never cut."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from models.tables import EVENT
from services.access.actors import Actor
from services.importing.amend import WithdrawRefused, withdraw_claim
from services.money.recovery import RecoveryError, demand_recovery
from services.objections import ObjectionError, raise_objection
from services.oversight.holds import REVIEW_REASON_LIMIT, HoldError, review
from tests.factories import claim_row, insert_claims

ON = date(2020, 9, 10)
REVERSED = "退回\u202e款项"


def _events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(EVENT)).scalar_one())


@pytest.mark.parametrize(("act", "refused"), [
    (lambda e, r: raise_objection(e, "T1", reason=r, actor=Actor("公众", "clerk"), on=ON), ObjectionError),
    (lambda e, r: withdraw_claim(e, "T1", policy=None, reason=r, actor=Actor("张经办", "clerk"), on=ON),
     WithdrawRefused),
    (lambda e, r: demand_recovery(e, "T1", reason=r, actor=Actor("王复核", "reviewer"), on=ON), RecoveryError),
    (lambda e, r: review(e, "T1", confirm=True, reason=r, actor=Actor("王复核", "reviewer"), on=ON), HoldError),
])
def test_a_reason_with_an_invisible_character_is_refused(engine: Engine, act: Any, refused: type) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("T1", state="publicly_posted"))
    before = _events(engine)
    with pytest.raises(refused, match="U\\+202E"):
        act(engine, REVERSED)
    assert _events(engine) == before


def test_a_signal_review_reason_is_kept_whole_or_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("T1", state="publicly_posted"))
    with pytest.raises(HoldError, match=f"at most {REVIEW_REASON_LIMIT}"):
        review(engine, "T1", confirm=False, reason="查" * (REVIEW_REASON_LIMIT + 1),
               actor=Actor("王复核", "reviewer"), on=ON)


def test_a_reason_over_several_lines_is_taken(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("T1", state="publicly_posted"))
    before = _events(engine)
    raise_objection(engine, "T1", reason="培训名单与签到表不符\n见附件", actor=Actor("公众", "clerk"), on=ON)
    assert _events(engine) == before + 1
