"""Inspection sampling (培训过程现场检查抽查): which classes and claims to inspect on a day.

A plan is a random share of the waiting classes plus risk-based picks, each with the reason it
was chosen:

- `random`      — a random share (`rate`) of the waiting classes (a claim without a class is a
                  class of its own), drawn with `random.Random(seed)` over the classes in sorted
                  order: the same database, day, rate and seed give the same plan;
- `high_amount` — the claims whose stated amount (amount, else advance, else catalogue
                  standard) is in the top `rate` share of the waiting claims' stated amounts;
- `first_class` — a training body's first class: the body has no other class on record, and
                  this is its earliest waiting class;
- `surge`       — a class with more trainees than any earlier class of the same body;
- `flagged`     — a claim whose trainee is in another class at overlapping dates (the `fraud`
                  check of services/oversight/fraud.py, made before assessment);
- `signal`      — a claim an institution signal set aside for a reviewer (services/oversight/holds.py):
                  the on-site check is the reviewer's evidence.

The seeds give no sampling share, so `rate` has no default: it is an open parameter the
deployment states (`--rate`, or `inspection.sample_rate` in the settings file). Picks by risk
use the same share (high amounts) or none (first classes, surges, overlaps): no other number.
`choose` is pure; `read_candidates` reads the database in chunks.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, and_, func, select

from models.tables import CLAIM
from services.settings import chunk_size
from states.lifecycle import sources

WAITING = sources("pass_inspection", "fail_inspection")
"""The states a claim waits for its on-site check in."""

REASON_ZH: dict[str, str] = {
    "random": "随机抽取",
    "high_amount": "申领金额较高",
    "first_class": "培训机构首个班次",
    "surge": "班次人数超过该机构以往各班",
    "flagged": "学员在其他班次培训时间重叠",
    "signal": "机构风险信号待复核",
}
REASONS: tuple[str, ...] = tuple(REASON_ZH)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A claim waiting for its on-site check, with what the picks look at."""

    pk: int
    claim_id: str
    policy: str
    class_id: str | None
    organizer: str | None
    person_id: str
    person_name: str
    training_start: date | None
    training_end: date | None
    stated_amount: Decimal | None
    signals: tuple[str, ...] = ()
    """the institution signals holding the claim for a reviewer"""

    @property
    def unit(self) -> str:
        """The class sampled as one unit; a claim without a class is a unit of its own."""
        return f"class:{self.policy}:{self.class_id}" if self.class_id else f"claim:{self.pk}"


@dataclass(frozen=True, slots=True)
class PriorClass:
    """A class of a body that is not waiting (on record already): its size and first day."""

    organizer: str
    class_id: str
    trainees: int
    training_start: date | None


@dataclass(frozen=True, slots=True)
class Pick:
    candidate: Candidate
    reasons: tuple[str, ...]
    detail: str


@dataclass
class Plan:
    on: date
    rate: Decimal
    seed: str
    picks: list[Pick] = field(default_factory=list)
    waiting_claims: int = 0
    waiting_classes: int = 0
    random_classes: int = 0

    def count(self, reason: str) -> int:
        return sum(1 for p in self.picks if reason in p.reasons)


def parse_rate(text: str) -> Decimal:
    """'10%' or '0.1' -> Decimal('0.1'); a share in (0, 1]."""
    raw = text.strip()
    try:
        value = Decimal(raw[:-1]) / 100 if raw.endswith("%") else Decimal(raw)
    except ArithmeticError:
        raise ValueError(f"{text!r} is not a share: write it as 10% or 0.1") from None
    if not value.is_finite() or value <= 0 or value > 1:
        raise ValueError(f"{text!r}: the sampling share must be above 0% and at most 100%")
    return value


def _share(rate: Decimal, n: int) -> int:
    """How many of n a share picks: rounded up, so any share above zero picks at least one."""
    return min(n, math.ceil(rate * n)) if n else 0


def _overlaps(a: Candidate, start: date | None, end: date | None) -> bool:
    return bool(a.training_start and a.training_end and start and end
                and a.training_start <= end and start <= a.training_end)


def choose(candidates: Sequence[Candidate], prior: Iterable[PriorClass],
           others: Iterable[tuple[str, str, str | None, date | None, date | None]],
           *, on: date, rate: Decimal, seed: str) -> Plan:
    """The plan: pure, deterministic in (candidates, prior, others, rate, seed).

    `others` are (person_id, policy, class_id, training_start, training_end) of every claim of
    the candidates' trainees (the candidates themselves included)."""
    plan = Plan(on=on, rate=rate, seed=seed, waiting_claims=len(candidates))
    reasons: dict[int, list[str]] = defaultdict(list)
    details: dict[int, list[str]] = defaultdict(list)
    by_unit: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_unit[c.unit].append(c)
    units = sorted(by_unit)
    plan.waiting_classes = len(units)

    rng = random.Random(f"{seed}|{on.isoformat()}|{rate}")
    drawn = rng.sample(units, _share(rate, len(units)))
    plan.random_classes = len(drawn)
    for unit in drawn:
        for c in by_unit[unit]:
            reasons[c.pk].append("random")

    amounts = sorted((c.stated_amount for c in candidates if c.stated_amount is not None), reverse=True)
    if amounts:
        floor = amounts[_share(rate, len(amounts)) - 1]
        for c in candidates:
            if c.stated_amount is not None and c.stated_amount >= floor:
                reasons[c.pk].append("high_amount")
                details[c.pk].append(f"金额{c.stated_amount}元（前{rate:%}的下限{floor}元）")

    history: dict[str, list[PriorClass]] = defaultdict(list)
    for p in prior:
        history[p.organizer].append(p)
    classes_of: dict[str, list[str]] = defaultdict(list)
    for unit, members in by_unit.items():
        first = members[0]
        if first.class_id and first.organizer:
            classes_of[first.organizer].append(unit)
    for organizer, body_units in sorted(classes_of.items()):
        past = history.get(organizer, [])
        if not past:
            earliest = min(body_units, key=lambda u: (by_unit[u][0].training_start or date.max, u))
            for c in by_unit[earliest]:
                reasons[c.pk].append("first_class")
                details[c.pk].append(f"{organizer}无以往班次")
            continue
        biggest = max(p.trainees for p in past)
        for unit in body_units:
            size = len(by_unit[unit])
            if size > biggest:
                for c in by_unit[unit]:
                    reasons[c.pk].append("surge")
                    details[c.pk].append(f"本班{size}人，以往最多{biggest}人")

    classes_by_person: dict[str, list[tuple[str, str | None, date | None, date | None]]] = defaultdict(list)
    for person, policy, class_id, start, end in others:
        classes_by_person[person].append((policy, class_id, start, end))
    for c in candidates:
        for policy, class_id, start, end in classes_by_person.get(c.person_id, ()):
            if class_id and c.class_id and (policy, class_id) != (c.policy, c.class_id) \
                    and _overlaps(c, start, end):
                reasons[c.pk].append("flagged")
                details[c.pk].append(f"与班次{class_id}（{start}至{end}）重叠")
                break

    for c in candidates:
        if c.signals:
            reasons[c.pk].append("signal")
            details[c.pk].append("机构风险信号：" + "、".join(c.signals))

    for c in sorted(candidates, key=lambda c: (c.unit, c.claim_id, c.pk)):
        if reasons.get(c.pk):
            plan.picks.append(Pick(c, tuple(dict.fromkeys(reasons[c.pk])), "；".join(details[c.pk])))
    return plan


def _stated(amount: Decimal | None, advance: Decimal | None, catalog: Decimal | None) -> Decimal | None:
    for value in (amount, advance, catalog):
        if value is not None:
            return value
    return None


def read_candidates(conn: Connection, on: date, policy: str | None = None) -> list[Candidate]:
    """Claims filed by `on` waiting for their on-site check with no result recorded (one streamed query)."""
    query = (select(CLAIM.c.id, CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.class_id, CLAIM.c.organizer,
                    CLAIM.c.person_id, CLAIM.c.person_name, CLAIM.c.training_start, CLAIM.c.training_end,
                    CLAIM.c.amount, CLAIM.c.advance_amount, CLAIM.c.catalog_standard)
             .where(CLAIM.c.state.in_(WAITING), CLAIM.c.inspection_result.is_(None), CLAIM.c.filed_on <= on)
             .order_by(CLAIM.c.id))
    if policy:
        query = query.where(CLAIM.c.policy == policy)
    out: list[Candidate] = []
    for r in conn.execute(query.execution_options(yield_per=chunk_size())):
        out.append(Candidate(r.id, r.claim_id, r.policy, r.class_id, r.organizer, r.person_id, r.person_name,
                             r.training_start, r.training_end,
                             _stated(r.amount, r.advance_amount, r.catalog_standard)))
    from services.oversight.holds import open_holds  # signal holds: one query per 1,000 candidates

    held = open_holds(conn, [c.pk for c in out])
    return [replace(c, signals=tuple(h[0] for h in held[c.pk])) if c.pk in held else c for c in out]


def read_prior(conn: Connection, candidates: Sequence[Candidate]) -> list[PriorClass]:
    """The bodies' classes that are not waiting: one grouped query per chunk of bodies."""
    waiting = {(c.policy, c.class_id) for c in candidates if c.class_id}
    bodies = sorted({c.organizer for c in candidates if c.organizer})
    out: list[PriorClass] = []
    size = chunk_size()
    for start in range(0, len(bodies), size):
        rows = conn.execute(
            select(CLAIM.c.organizer, CLAIM.c.policy, CLAIM.c.class_id, func.count(),
                   func.min(CLAIM.c.training_start))
            .where(CLAIM.c.organizer.in_(bodies[start:start + size]), CLAIM.c.class_id.is_not(None))
            .group_by(CLAIM.c.organizer, CLAIM.c.policy, CLAIM.c.class_id))
        for organizer, policy, class_id, n, first in rows:
            if (policy, class_id) not in waiting:
                out.append(PriorClass(organizer, class_id, int(n), first))
    return out


def read_others(conn: Connection, candidates: Sequence[Candidate]
                ) -> list[tuple[str, str, str | None, date | None, date | None]]:
    """Every claim with class dates of the candidates' trainees: one query per chunk of persons."""
    persons = sorted({c.person_id for c in candidates})
    out: list[tuple[str, str, str | None, date | None, date | None]] = []
    size = chunk_size()
    for start in range(0, len(persons), size):
        rows = conn.execute(
            select(CLAIM.c.person_id, CLAIM.c.policy, CLAIM.c.class_id, CLAIM.c.training_start,
                   CLAIM.c.training_end)
            .where(and_(CLAIM.c.person_id.in_(persons[start:start + size]), CLAIM.c.class_id.is_not(None),
                        CLAIM.c.training_start.is_not(None))))
        out.extend((r[0], r[1], r[2], r[3], r[4]) for r in rows)
    return out


def make_plan(conn: Connection, *, on: date, rate: Decimal, seed: str, policy: str | None = None) -> Plan:
    candidates = read_candidates(conn, on, policy)
    return choose(candidates, read_prior(conn, candidates), read_others(conn, candidates),
                  on=on, rate=rate, seed=seed)


ROSTER_HEADER: tuple[str, ...] = (
    "claim_id", "policy", "class_id", "organizer", "person_name", "inspected_on", "inspector", "result",
    "note", "reason", "reason_zh", "detail", "plan",
)
"""The template's columns: the first ones are `claims inspect`'s own (staff fill inspected_on,
inspector, result, note); the rest say why the claim was chosen and by which plan."""


def plan_label(plan: Plan) -> str:
    return f"抽查计划 {plan.on.isoformat()} 比例{plan.rate:%} 种子{plan.seed}"


def roster_rows(plan: Plan) -> list[tuple[str | None, ...]]:
    label = plan_label(plan)
    return [(p.candidate.claim_id, p.candidate.policy, p.candidate.class_id, p.candidate.organizer,
             p.candidate.person_name, None, None, None, None, ";".join(p.reasons),
             "、".join(REASON_ZH[r] for r in p.reasons), p.detail, label)
            for p in plan.picks]
