"""Institution-level signals (机构风险信号): per training body, named signals with a score.

Read-only. `signals` is pure over the class rosters; `read_rosters` is one streamed query.

- `shared_trainees` 同期多机构学员 — trainees of this body who are at another body in a class with
  overlapping dates; score = their share of the body's trainees;
- `repeated_roster` 花名册重复 — classes whose roster (two or more trainees) is exactly another
  class's roster; score = their share of the body's classes;
- `class_surge` 班次人数激增 — classes with more trainees than every earlier class of the body;
  score = their share of the body's classes after its first.

No threshold is assumed: a signal is listed when its count is above zero and ranked by score; the
reviewer decides. Near-misses stay clean by construction: twins are two ID numbers, a re-sit at the
same body or a later class does not overlap in time, two bodies at one site share no trainees.
Not built yet: age/status signals, evaluation-body certificate surges, and setting claims aside for
a reviewer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, select

from models.tables import CLAIM
from services.settings import chunk_size

SIGNAL_ZH = {"shared_trainees": "同期多机构学员", "repeated_roster": "花名册与其他班次重复",
             "class_surge": "班次人数超过以往各班"}


@dataclass(frozen=True, slots=True)
class Seat:
    organizer: str
    policy: str
    class_id: str
    person_id: str
    start: date | None
    end: date | None


@dataclass(frozen=True, slots=True)
class Signal:
    organizer: str
    signal: str
    count: int
    score: Decimal
    example: str


def signals(seats: Iterable[Seat]) -> list[Signal]:
    classes: dict[tuple[str, str, str], list[Seat]] = defaultdict(list)
    for s in seats:
        classes[(s.organizer, s.policy, s.class_id)].append(s)
    by_person: dict[str, list[Seat]] = defaultdict(list)
    bodies: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for key, members in classes.items():
        bodies[key[0]].append(key)
        for s in members:
            by_person[s.person_id].append(s)
    out: list[Signal] = []
    rosters: dict[frozenset[str], list[tuple[str, str, str]]] = defaultdict(list)
    for key, members in classes.items():
        roster = frozenset(s.person_id for s in members)
        if len(roster) >= 2:
            rosters[roster].append(key)
    for organizer in sorted(bodies):
        keys = sorted(bodies[organizer])
        trainees = {s.person_id for k in keys for s in classes[k]}
        shared = sorted({s.person_id for k in keys for s in classes[k] for o in by_person[s.person_id]
                         if o.organizer != organizer and s.start and s.end and o.start and o.end
                         and s.start <= o.end and o.start <= s.end})
        if shared:
            out.append(Signal(organizer, "shared_trainees", len(shared),
                              _share(len(shared), len(trainees)), f"{len(shared)}名学员同期在其他机构"))
        repeated = [k for k in keys if any(other != k for other in rosters.get(
            frozenset(s.person_id for s in classes[k]), ()))]
        if repeated:
            out.append(Signal(organizer, "repeated_roster", len(repeated), _share(len(repeated), len(keys)),
                              f"班次{repeated[0][2]}"))
        ordered = sorted(keys, key=lambda k: (min((s.start or date.max) for s in classes[k]), k))
        surges, biggest = [], 0
        for i, k in enumerate(ordered):
            size = len(classes[k])
            if i and size > biggest:
                surges.append((k, size, biggest))
            biggest = max(biggest, size)
        if surges:
            k, size, before = surges[-1]
            out.append(Signal(organizer, "class_surge", len(surges), _share(len(surges), len(ordered) - 1),
                              f"班次{k[2]}：{size}人，此前最多{before}人"))
    return sorted(out, key=lambda s: (-s.score, s.organizer, s.signal))


def _share(n: int, of: int) -> Decimal:
    return (Decimal(n) / Decimal(of)).quantize(Decimal("0.001")) if of else Decimal("0")


def read_rosters(conn: Connection) -> list[Seat]:
    """Every class seat; the body is the claim's organizer, else its institution payee."""
    query = (select(CLAIM.c.organizer, CLAIM.c.payee_type, CLAIM.c.payee_id, CLAIM.c.policy, CLAIM.c.class_id,
                    CLAIM.c.person_id, CLAIM.c.training_start, CLAIM.c.training_end)
             .where(CLAIM.c.class_id.is_not(None)))
    seats = []
    for r in conn.execution_options(yield_per=chunk_size()).execute(query):
        body = r.organizer or (r.payee_id if r.payee_type == "institution" else None)
        if body:
            seats.append(Seat(body, r.policy, r.class_id, r.person_id, r.training_start, r.training_end))
    return seats
