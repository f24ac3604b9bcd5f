"""The night's scan reads only the rosters around the waiting claims (`rosters_around_waiting`) and
sets aside exactly the claims the full read (`read_rosters`, every claim of the database) did: same
claims, signals, bodies, scores and details, over randomized rosters — bodies, classes with ids
shared across bodies, persons in several bodies at overlapping dates, copied rosters and copies with
one more trainee, institution payees as bodies, certificates with a registry of two extracts, claims
waiting and settled. A settled claim of an unrelated body is not read."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select

from models.oversight import REF_CERTIFICATE, SIGNAL_HOLD
from models.tables import CLAIM
from services.oversight.holds import scan
from services.oversight.signals import HOLD_STATES, JOB_BASED_KINDS, rosters_around_waiting
from services.settings import Settings
from tests.factories import claim_row, insert_claims

SETTINGS = Settings(oversight_age_min=18, oversight_age_max=55, oversight_surge_ratio=Decimal("1.5"))
SETTLED = ("paid", "paid", "rejected")
KINDS = (*sorted(JOB_BASED_KINDS), "skill_upgrade")


def _rosters(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    people = [f"211402{rng.choice((1962, 1975, 1990, 2001, 2004, 2004, 2004))}"
              f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{n:04d}" for n in range(100)]
    school = [f"211402{2004 if m >= 9 else 2005}{m:02d}15{n:04d}"  # one school year: Sep 2004-Jun 2005
              for n, m in zip(range(100, 112), [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 10, 2], strict=True)]
    bodies = [f"机构{b}" for b in range(8)]
    issuers = ["评价甲", "评价乙", "评价丙"]
    rows: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    classes: list[list[str]] = []

    def claim(person: str, body: str | None, class_id: str | None, start: date, kind: str, state: str,
              policy: str = "huludao-2019") -> None:
        n = len(rows)
        as_payee = body is not None and rng.random() < 0.2  # the institution payee is the body
        extra: dict[str, Any] = {"organizer": None if as_payee else body,
                                 "payee_type": "institution" if as_payee else "individual",
                                 "payee_id": body if as_payee and body else person,
                                 "certificate_no": None, "certificate_date": None}
        if rng.random() < 0.6:
            number = f"Z{seed}-{n}"
            certified = start + timedelta(days=rng.randint(20, 200))
            extra |= {"certificate_no": number, "certificate_date": certified}
            if rng.random() < 0.8:
                refs.append({"certificate_no": number, "person_id": person, "issuer": rng.choice(issuers),
                             "extract_on": date(2021, 1, 1)})
                if rng.random() < 0.2:  # an earlier extract named another issuer: the latest counts
                    refs.append({"certificate_no": number, "person_id": person, "issuer": rng.choice(issuers),
                                 "extract_on": date(2020, 1, 1)})
        rows.append(claim_row(f"R{seed}-{n}", person_id=person, class_id=class_id, kind=kind, state=state,
                              training_start=start, training_end=start + timedelta(days=rng.randint(5, 40)),
                              filed_on=start + timedelta(days=50), policy=policy,
                              **extra))

    for body in bodies:
        waits = rng.random() < 0.5  # about half the bodies have claims still waiting
        for _ in range(rng.randint(1, 6)):
            class_id = f"C{rng.randint(1, 6)}"  # the same class ids at several bodies
            kind = rng.choice(KINDS)
            if rng.random() < 0.15:
                roster, kind = rng.sample(school, rng.randint(2, 5)), rng.choice(sorted(JOB_BASED_KINDS))
            elif classes and rng.random() < 0.4:
                roster = list(rng.choice(classes))  # a copied roster ...
                if rng.random() < 0.4:
                    roster.append(rng.choice(people))  # ... or a copy with one trainee more
            else:
                roster = rng.sample(people, rng.choice((1, 2, 3, 4, 5, 8, 12)))
            classes.append(roster)
            start = date(2019, 1, 1) + timedelta(days=rng.randint(0, 700))
            policy = rng.choice(("huludao-2019", "p2"))
            for person in dict.fromkeys(roster):
                state = rng.choice(HOLD_STATES) if waits and rng.random() < 0.5 else rng.choice(SETTLED)
                claim(person, body, class_id, start, kind, "withdrawn" if rng.random() < 0.05 else state, policy)
        for _ in range(rng.randint(0, 3)):  # trainees without a class
            claim(rng.choice(people), body, None, date(2020, 3, 1), "skill_upgrade",
                  rng.choice((*SETTLED, "withdrawn")))
    for n in range(30):  # no body, a person of no class: only a certificate (an evaluation body's surge)
        claim(f"21140219800101{n:04d}", None, None, date(2019, 1, 1) + timedelta(days=rng.randint(0, 700)),
              "skill_upgrade", rng.choice((*HOLD_STATES, *SETTLED, "withdrawn")))
    return rows, refs


def _holds(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(
            select(SIGNAL_HOLD.c.claim_pk, SIGNAL_HOLD.c.signal, SIGNAL_HOLD.c.body, SIGNAL_HOLD.c.score,
                   SIGNAL_HOLD.c.detail)))


@pytest.mark.parametrize("seed", range(10))
def test_the_restricted_read_holds_exactly_what_the_full_read_held(engine: Engine, seed: int) -> None:
    rows, refs = _rosters(seed)
    with engine.begin() as conn:
        insert_claims(conn, *rows)
        conn.execute(REF_CERTIFICATE.insert(), refs)
    with engine.begin() as conn:
        full = scan(conn, date(2021, 6, 1), SETTINGS, full_read=True)
    before = _holds(engine)
    with engine.begin() as conn:
        conn.execute(delete(SIGNAL_HOLD))
    with engine.begin() as conn:
        restricted = scan(conn, date(2021, 6, 1), SETTINGS)
        around = rosters_around_waiting(conn)
    after = _holds(engine)
    assert after == before and restricted.held == full.held
    assert {s.signal for s in restricted.signals} <= {s.signal for s in full.signals}
    assert set(restricted.signals) <= set(full.signals)  # the waiting claims' bodies: computed exactly
    assert len(around.seats) < len([r for r in rows if r["state"] != "withdrawn"])  # not everything read
    assert before, "the seed raises no hold: nothing compared"


def test_together_the_seeds_raise_every_signal(engine: Engine) -> None:
    """The comparison above means something: the random rosters raise all six signals on waiting claims."""
    raised: set[str] = set()
    for seed in range(6):
        rows, refs = _rosters(seed)
        with engine.begin() as conn:
            insert_claims(conn, *rows)
            conn.execute(REF_CERTIFICATE.insert(), refs)
            scan(conn, date(2021, 6, 1), SETTINGS)
        raised |= {h[1] for h in _holds(engine)}
    assert raised == {"shared_trainees", "repeated_roster", "class_surge", "implausible_age", "student_group",
                      "certificate_surge"}


def test_a_settled_claim_of_an_unrelated_body_is_not_read(engine: Engine) -> None:
    may = dict(training_start=date(2020, 5, 1), training_end=date(2020, 5, 20))
    old = dict(training_start=date(2018, 5, 1), training_end=date(2018, 5, 20), state="paid")
    p = [f"21140219900101{n:04d}" for n in range(8)]
    with engine.begin() as conn:
        insert_claims(conn,
                      claim_row("W1", person_id=p[1], organizer="甲", class_id="A1", **may),  # waiting
                      claim_row("W2", person_id=p[2], organizer="甲", class_id="A1", **may),
                      claim_row("A0", person_id=p[3], organizer="甲", class_id="A0", **old),  # 甲's history
                      claim_row("B1", person_id=p[1], organizer="乙", class_id="B1", **old),  # 1 elsewhere
                      claim_row("B2", person_id=p[4], organizer="乙", class_id="B1", **old),  # ... its class
                      claim_row("B4", person_id=p[2], organizer="乙", class_id="B1", **old),  # A1 and one more
                      claim_row("B3", person_id=p[5], organizer="乙", class_id="B9", **old),  # 乙, another class
                      claim_row("C1", person_id=p[6], organizer="丙", class_id="A1", **old),  # unrelated, same id
                      claim_row("C2", person_id=p[7], organizer="丙", class_id="C2", **old))  # unrelated
        around = rosters_around_waiting(conn)
        ids = dict(tuple(r) for r in conn.execute(select(CLAIM.c.id, CLAIM.c.claim_id)))
    assert sorted(ids[s.claim_pk] for s in around.seats) == ["A0", "B1", "B2", "B4", "W1", "W2"]
    assert around.bodies == {"甲"}
    with engine.begin() as conn:  # 乙's B1 is 甲's A1 and one more: no copy (read whole, not as A1's two)
        assert scan(conn, date(2020, 6, 1), Settings()).held == 0


def test_every_query_of_the_restricted_read_goes_by_an_index(engine: Engine) -> None:
    """Under the statistics of years of settled claims (SQLite: sqlite_stat1 as ANALYZE wrote it
    for bench.steady's history; PostgreSQL: sequential scans made dear) no query of
    `rosters_around_waiting` scans the claim table: the body by ix_claim_body (migration 97)."""
    from sqlalchemy import event, text

    from tests.integration.services.test_step_plans import HISTORY_STATS

    rows, refs = _rosters(3)
    with engine.begin() as conn:
        insert_claims(conn, *rows)
        conn.execute(REF_CERTIFICATE.insert(), refs)
        insert_claims(conn, *(claim_row(f"H{n}", person_id=f"21140219500101{n:04d}", state="paid",
                                        certificate_no=None, training_start=None, training_end=None)
                              for n in range(2000)))  # years of individual claims: no body
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
            for index, stat in HISTORY_STATS.items():
                conn.execute(text("UPDATE sqlite_stat1 SET stat = :stat WHERE tbl = 'claim' AND idx = :idx"),
                             {"stat": stat, "idx": index})
    engine.dispose()  # SQLite reads the statistics when a connection opens
    seen: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM claim" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    with engine.connect() as conn:
        rosters_around_waiting(conn)
    event.remove(engine, "before_cursor_execute", remember)
    assert len(seen) >= 4  # the waiting claims, their bodies, the persons, the classes, the certificates
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            for statement, parameters in seen:
                plan = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                assert not any(p.startswith("SCAN claim") for p in plan), (statement, plan)
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            for statement, parameters in seen:
                plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
                assert not any("Seq Scan on claim" in p for p in plan), (statement, plan)
            assert any("ix_claim_body" in p for statement, parameters in seen
                       for p in [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters)])
