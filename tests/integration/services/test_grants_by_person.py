"""The grants lookup reads the chunk's persons only: a person outside the chunk whose key lies in
the same range is not read, refused claims are no grants, and IN lists longer than one query
still find every person."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from services.nightly.grants import PERSONS_PER_QUERY, grants_in_range
from tests.factories import claim_row, insert_claims

ALICE = "211402199001011234"
BOB = "211402199001021231"


def _granted(claim_id: str, person: str, key: int, **more: object) -> dict[str, object]:
    return claim_row(claim_id, person_id=person, person_key=key, state="paid", amount=Decimal("1000.00"),
                     **more)


def test_grants_of_the_chunks_persons_only(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_claims(
            conn,
            _granted("A1", ALICE, 10, occupation="电工"),
            _granted("A2", ALICE, 10, occupation="焊工"),
            _granted("B1", BOB, 11),
            claim_row("A3", person_id=ALICE, person_key=10, state="refused", amount=Decimal("0"),
                      reasons="annual_limit", occupation="钳工"),
        )
    with engine.connect() as conn:
        by_range = grants_in_range(conn, 0, 100)
        by_person = grants_in_range(conn, 0, 100, persons=[ALICE, ALICE])
        many = [f"2114021990{n:08d}" for n in range(PERSONS_PER_QUERY * 2)] + [BOB, ALICE]
        across_queries = grants_in_range(conn, 0, 100, persons=many)
    assert set(by_range) == {ALICE, BOB}
    assert set(by_person) == {ALICE}
    assert [g.claim_id for g in by_person[ALICE]] == ["A1", "A2"] == [g.claim_id for g in by_range[ALICE]]
    assert by_person[ALICE] == by_range[ALICE]
    assert {p: [g.claim_id for g in gs] for p, gs in across_queries.items()} == {ALICE: ["A1", "A2"], BOB: ["B1"]}


def test_a_grant_keeps_its_claims_groups(engine: Engine) -> None:
    """The groups a granted claim attested travel with its grant: Zhumadian 二(三)1 counts only a
    新录用人员's pre-job subsidy (group newly_hired) against 以工代训."""
    with engine.begin() as conn:
        insert_claims(conn, _granted("P1", ALICE, 10, kind="pre_job_training",
                                     groups="enterprise_employee;newly_hired"),
                      _granted("P2", BOB, 11, kind="pre_job_training", groups=""))
    with engine.connect() as conn:
        found = grants_in_range(conn, 0, 100, persons=[ALICE, BOB])
    assert found[ALICE][0].groups == ("enterprise_employee", "newly_hired")
    assert found[BOB][0].groups == ()
