"""Institution signals: planted cases are found, realistic near-misses (twins, a shared training site,
a re-sit) are not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bench.signals_synthetic import PLANTED, measure
from services.oversight.signals import Parameters, Seat, birth_date, signals

MAY = (date(2020, 5, 1), date(2020, 5, 20))
JUNE = (date(2020, 6, 1), date(2020, 6, 20))


def _class(body: str, class_id: str, people: list[str], when: tuple[date, date]) -> list[Seat]:
    return [Seat(body, "huludao-2019", class_id, p, *when) for p in people]


def test_planted_found_near_misses_clean() -> None:
    seats = [
        # planted: 甲 and 乙 list the same five trainees at overlapping dates; 丙 copies 甲's roster later
        *_class("甲", "A1", ["p1", "p2", "p3", "p4", "p5"], MAY),
        *_class("乙", "B1", ["p1", "p2", "p3", "q1", "q2"], MAY),
        *_class("丙", "C0", ["r1", "r2", "r3", "r4", "r5"], MAY),
        *_class("丙", "C1", ["p1", "p2", "p3", "p4", "p5"], JUNE),
        # near-misses: twins (two ID numbers) in one class; 丁 and 戊 at one site on the same dates with
        # their own trainees; a re-sit at 丁 in June
        *_class("丁", "D1", ["twin-a", "twin-b", "d3"], MAY),
        *_class("戊", "E1", ["e1", "e2", "e3"], MAY),
        *_class("丁", "D2", ["twin-a", "d4"], JUNE),
    ]
    found = {(s.organizer, s.signal): s for s in signals(seats)}
    assert set(found) == {("甲", "shared_trainees"), ("乙", "shared_trainees"),
                          ("甲", "repeated_roster"), ("丙", "repeated_roster")}
    assert found[("乙", "shared_trainees")].count == 3 and str(found[("乙", "shared_trainees")].score) == "0.600"
    assert found[("甲", "shared_trainees")].count == 3


def test_a_class_over_the_ratio_of_every_earlier_one_is_a_surge_and_without_a_ratio_none() -> None:
    seats = [*_class("己", "F1", ["a", "b"], MAY), *_class("己", "F2", [f"x{i}" for i in range(9)], JUNE)]
    assert signals(seats) == []  # no surge_ratio set: not computed, no number assumed
    [surge] = signals(seats, Parameters(surge_ratio=Decimal("1.5")))
    assert (surge.signal, surge.count, surge.example) == ("class_surge", 1, "班次F2：9人，此前最多2人（超过1.5倍）")
    steady = [*_class("己", "F1", [f"a{i}" for i in range(6)], MAY),
              *_class("己", "F2", [f"x{i}" for i in range(9)], JUNE)]
    assert signals(steady, Parameters(surge_ratio=Decimal("1.5"))) == []


def _seat(body: str, class_id: str, pid: str, kind: str = "skill_upgrade", pk: int = 0) -> Seat:
    return Seat(body, "huludao-2019", class_id, pid, *MAY, claim_pk=pk, kind=kind)


def test_age_from_the_id_number_is_a_signal_at_the_deployments_bounds() -> None:
    assert birth_date("211402195005011234") == date(1950, 5, 1) and birth_date("21140219500501") is None
    seats = [_seat("庚", "G1", "211402195005011234", pk=1),  # 70 on 2020-05-01
             _seat("庚", "G1", "211402196005011234", pk=2),  # exactly 60 that day
             _seat("庚", "G1", "211402198005011234", pk=3)]
    assert signals(seats) == []
    [odd] = signals(seats, Parameters(age_min=16, age_max=60))
    assert (odd.signal, odd.count, odd.claims, str(odd.score)) == ("implausible_age", 1, (1,), "0.333")


def test_a_school_year_on_a_job_based_subsidy_is_a_student_group_twins_are_not() -> None:
    cohort = [f"2114022002{m:02d}151234" for m in (9, 10, 12)] + ["211402200303151234"]  # Sep 2002..Aug 2003
    assert [s.signal for s in signals([_seat("辛", "H1", p, "pre_job_training") for p in cohort])] == ["student_group"]
    assert signals([_seat("辛", "H1", p, "apprenticeship") for p in cohort]) == []  # student apprentices
    twins = ["211402200209151234", "211402200209151250", "211402198001011234"]
    assert signals([_seat("辛", "H1", p, "pre_job_training") for p in twins]) == []
    assert signals([_seat("辛", "H1", p, "pre_job_training") for p in twins[:2]]) == []


def test_certificate_surge_is_per_evaluation_body_against_its_own_months() -> None:
    def certs(issuer: str, month: int, n: int) -> list[Seat]:
        day = date(2020, month, 10)
        return [Seat("", "huludao-2019", None, f"{issuer}{month}-{i}", day, day, issuer=issuer, certificate_date=day)
                for i in range(n)]
    seats = [*certs("评价甲", 1, 10), *certs("评价甲", 2, 12), *certs("评价甲", 3, 40),
             *certs("评价乙", 1, 40), *certs("评价乙", 2, 44)]
    [surge] = signals(seats, Parameters(surge_ratio=Decimal("1.5")))
    assert (surge.organizer, surge.signal, surge.body, surge.count) == ("评价甲", "certificate_surge", "evaluation", 1)


STATED_FALSE_POSITIVES = {signal: 0 for signal in PLANTED}
"""the false-positive rate each signal is stated at, on the generator's clean set (seeds 23, 1, 2):
0 clean bodies of 61 training bodies / 20 evaluation bodies for every signal; docs/oversight.md"""


def test_generator_planted_found_clean_near_misses_at_the_stated_false_positive_rate() -> None:
    for seed in (23, 1, 2):
        for signal, (planted, false, clean) in measure(seed).items():
            assert planted == PLANTED[signal], (seed, signal, planted)
            assert len(false) / clean <= STATED_FALSE_POSITIVES[signal], (seed, signal, sorted(false))
            assert clean >= 20
