"""Institution signals: planted cases are found, realistic near-misses (twins, a shared training site,
a re-sit) are not."""

from __future__ import annotations

from datetime import date

from services.oversight.signals import Seat, signals

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


def test_a_class_larger_than_every_earlier_one_is_a_surge() -> None:
    seats = [*_class("己", "F1", ["a", "b"], MAY), *_class("己", "F2", [f"x{i}" for i in range(9)], JUNE)]
    [surge] = signals(seats)
    assert (surge.signal, surge.count, surge.example) == ("class_surge", 1, "班次F2：9人，此前最多2人")
