"""Institution signals (机构风险信号): per training body and per evaluation body, named signals
with a score, and the claims each one points at.

Read-only. `signals` is pure over the claims' seats; `read_rosters` is one streamed query over the
claims plus one over the certificate registry's issuers (the full report); `rosters_around_waiting`
reads only the seats the signals of the claims still waiting depend on (the night's scan).

Per training body (the claim's organizer, else its institution payee):
- `shared_trainees` 同期多机构学员 — trainees also in another body's class at overlapping dates;
  score = their share of the body's trainees;
- `repeated_roster` 花名册与其他班次重复 — classes (two or more trainees) whose roster is exactly
  another class's; score = their share of the body's classes;
- `class_surge` 班次人数激增 — classes larger than `surge_ratio` times the body's largest earlier
  class; score = their share of the body's later classes;
- `implausible_age` 年龄与补贴不符 — trainees whose age on the first training day (else the filing
  day), read from the 18-digit ID number, is below `age_min` or above `age_max`: a question for a
  reviewer, never a refusal (retirement ages change; the seeds' condition is 养老金资格);
  score = their share of the body's trainees;
- `student_group` 学生群体申领岗位类补贴 — a class of three or more on a subsidy that presupposes a
  job (pre-job, job-transfer, enterprise training, work-based training) whose trainees were all
  born in one school year (1 September to 31 August): a school class, not a workforce;
  score = their share of the body's classes.
Per evaluation body (the registry's 发证机构 for the claim's certificate number):
- `certificate_surge` 评价机构发证激增 — a month in which the body issued more than `surge_ratio`
  times its largest earlier month; score = those months' share of its later months.

No number is invented: `age_min`, `age_max` and `surge_ratio` are the deployment's (settings
`oversight:`); a signal whose parameter is not set is not computed, and `missing` says so. Near
misses stay clean by construction: twins are two ID numbers (and two are not a group), a re-sit at
the same body or a later class does not overlap in time, two bodies at one site share no trainees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, false, literal_column, or_, select

from models.oversight import REF_CERTIFICATE
from models.tables import CLAIM
from services.settings import Settings, chunk_size

SIGNAL_ZH = {"shared_trainees": "同期多机构学员", "repeated_roster": "花名册与其他班次重复",
             "class_surge": "班次人数激增", "implausible_age": "学员年龄与补贴不符",
             "student_group": "学生群体申领岗位类补贴", "certificate_surge": "评价机构发证激增"}
SIGNAL_PARAMETERS = {"class_surge": ("surge_ratio",), "certificate_surge": ("surge_ratio",),
                     "implausible_age": ("age_min", "age_max")}
"""the settings (oversight.<name>) a signal needs; without them it is not computed"""
JOB_BASED_KINDS = frozenset({"pre_job_training", "job_transfer_training", "enterprise_training",
                             "work_based_training"})
"""subsidies that presuppose a job (岗前、转岗转业、企业职工培训、以工代训): not for a school class"""
GROUP_MIN = 3
"""a 'group' is three or more: two of one school year can be twins"""
HOLD_STATES = ("filed", "advance_paid", "on_site_inspected", "assessed", "publicly_posted", "approved")
"""claims a signal sets aside: those not yet paid (not assessed: no advance, no assessment; assessed:
the posting goes on, the payment waits)"""


@dataclass(frozen=True, slots=True)
class Seat:
    organizer: str
    policy: str
    class_id: str | None
    person_id: str
    start: date | None
    end: date | None
    claim_pk: int = 0
    kind: str = ""
    state: str = ""
    filed_on: date | None = None
    issuer: str | None = None
    certificate_date: date | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    organizer: str
    signal: str
    count: int
    score: Decimal
    example: str
    claims: tuple[int, ...] = ()
    """the claims (primary keys) the signal points at"""
    body: str = "training"
    """training (培训机构) or evaluation (评价机构)"""


@dataclass(frozen=True, slots=True)
class Parameters:
    age_min: int | None = None
    age_max: int | None = None
    surge_ratio: Decimal | None = None
    missing: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, settings: Settings) -> Parameters:
        values = {"age_min": settings.oversight_age_min, "age_max": settings.oversight_age_max,
                  "surge_ratio": settings.oversight_surge_ratio}
        missing = tuple(s for s, names in SIGNAL_PARAMETERS.items() if all(values[n] is None for n in names))
        return cls(settings.oversight_age_min, settings.oversight_age_max, settings.oversight_surge_ratio, missing)


def birth_date(person_id: str) -> date | None:
    """The birth date of an 18-digit resident ID number (digits 7-14), else None."""
    if len(person_id) != 18 or not person_id[6:14].isdigit():
        return None
    try:
        return date(int(person_id[6:10]), int(person_id[10:12]), int(person_id[12:14]))
    except ValueError:
        return None


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def school_year(born: date) -> int:
    """Children born 1 September Y to 31 August Y+1 start school together."""
    return born.year if born.month >= 9 else born.year - 1


def signals(seats: Iterable[Seat], params: Parameters | None = None) -> list[Signal]:
    params = params or Parameters()
    seats = list(seats)
    classes: dict[tuple[str, str, str], list[Seat]] = defaultdict(list)
    trainees_of: dict[str, list[Seat]] = defaultdict(list)
    for s in seats:
        if not s.organizer:
            continue
        trainees_of[s.organizer].append(s)
        if s.class_id:
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
    for organizer in sorted(set(bodies) | set(trainees_of)):
        keys = sorted(bodies.get(organizer, []))
        mine = trainees_of[organizer]
        trainees = {s.person_id for s in mine}
        shared_seats = [s for k in keys for s in classes[k] if any(
            o.organizer != organizer and s.start and s.end and o.start and o.end
            and s.start <= o.end and o.start <= s.end for o in by_person[s.person_id])]
        shared = sorted({s.person_id for s in shared_seats})
        if shared:
            out.append(Signal(organizer, "shared_trainees", len(shared), _share(len(shared), len(trainees)),
                              f"{len(shared)}名学员同期在其他机构", _pks(shared_seats)))
        repeated = [k for k in keys if any(other != k for other in rosters.get(
            frozenset(s.person_id for s in classes[k]), ()))]
        if repeated:
            out.append(Signal(organizer, "repeated_roster", len(repeated), _share(len(repeated), len(keys)),
                              f"班次{repeated[0][2]}", _pks(s for k in repeated for s in classes[k])))
        if params.surge_ratio is not None and keys:
            out += _class_surge(organizer, keys, classes, params.surge_ratio)
        if params.age_min is not None or params.age_max is not None:
            odd = [s for s in mine if _implausible(s, params)]
            if odd:
                people = {s.person_id for s in odd}
                first = odd[0]
                born = birth_date(first.person_id)
                age = age_on(born, first.start or first.filed_on or date.today()) if born else "?"
                out.append(Signal(organizer, "implausible_age", len(people), _share(len(people), len(trainees)),
                                  f"{len(people)}名学员年龄超出{_bounds(params)}（如{age}岁）", _pks(odd)))
        groups = [k for k in keys if _student_group(classes[k])]
        if groups:
            out.append(Signal(organizer, "student_group", len(groups), _share(len(groups), len(keys)),
                              f"班次{groups[0][2]}：{len(classes[groups[0]])}人同一学年出生，申领岗位类补贴",
                              _pks(s for k in groups for s in classes[k])))
    if params.surge_ratio is not None:
        out += _certificate_surge(seats, params.surge_ratio)
    return sorted(out, key=lambda s: (-s.score, s.organizer, s.signal))


def _class_surge(organizer: str, keys: list[tuple[str, str, str]],
                 classes: dict[tuple[str, str, str], list[Seat]], ratio: Decimal) -> list[Signal]:
    ordered = sorted(keys, key=lambda k: (min((s.start or s.filed_on or date.max) for s in classes[k]), k))
    surges, biggest = [], 0
    for i, k in enumerate(ordered):
        size = len({s.person_id for s in classes[k]})
        if i and size > ratio * biggest:
            surges.append((k, size, biggest))
        biggest = max(biggest, size)
    if not surges:
        return []
    k, size, before = surges[-1]
    return [Signal(organizer, "class_surge", len(surges), _share(len(surges), len(ordered) - 1),
                   f"班次{k[2]}：{size}人，此前最多{before}人（超过{ratio}倍）",
                   _pks(s for k, _, _ in surges for s in classes[k]))]


def _certificate_surge(seats: list[Seat], ratio: Decimal) -> list[Signal]:
    months: dict[str, dict[tuple[int, int], list[Seat]]] = defaultdict(lambda: defaultdict(list))
    for s in seats:
        if s.issuer and s.certificate_date:
            months[s.issuer][(s.certificate_date.year, s.certificate_date.month)].append(s)
    out = []
    for issuer in sorted(months):
        ordered = sorted(months[issuer])
        surges, biggest = [], 0
        for i, month in enumerate(ordered):
            n = len(months[issuer][month])
            if i and n > ratio * biggest:
                surges.append((month, n, biggest))
            biggest = max(biggest, n)
        if surges:
            (y, m), n, before = surges[-1]
            out.append(Signal(issuer, "certificate_surge", len(surges), _share(len(surges), len(ordered) - 1),
                              f"{y}年{m}月发证{n}张，此前单月最多{before}张（超过{ratio}倍）",
                              _pks(s for month, _, _ in surges for s in months[issuer][month]), "evaluation"))
    return out


def _implausible(s: Seat, params: Parameters) -> bool:
    born = birth_date(s.person_id)
    day = s.start or s.filed_on
    if born is None or day is None:
        return False
    age = age_on(born, day)
    return (params.age_min is not None and age < params.age_min) or (
        params.age_max is not None and age > params.age_max)


def _bounds(params: Parameters) -> str:
    low = "" if params.age_min is None else params.age_min
    high = "" if params.age_max is None else params.age_max
    return f"{low}–{high}岁"


def _student_group(members: list[Seat]) -> bool:
    people = {s.person_id: s for s in members}
    if len(people) < GROUP_MIN or not all(s.kind in JOB_BASED_KINDS for s in members):
        return False
    years = {school_year(b) if (b := birth_date(p)) else None for p in people}
    return len(years) == 1 and None not in years


def _pks(seats: Iterable[Seat]) -> tuple[int, ...]:
    return tuple(sorted({s.claim_pk for s in seats if s.claim_pk}))


def _share(n: int, of: int) -> Decimal:
    return (Decimal(n) / Decimal(of)).quantize(Decimal("0.001")) if of else Decimal("0")


def read_issuers(conn: Connection) -> dict[str, str]:
    """certificate number -> 发证机构 in the registry's latest extract holding it."""
    issuers: dict[str, str] = {}
    query = (select(REF_CERTIFICATE.c.certificate_no, REF_CERTIFICATE.c.issuer)
             .where(REF_CERTIFICATE.c.issuer.is_not(None)).order_by(REF_CERTIFICATE.c.extract_on))
    for number, issuer in conn.execute(query.execution_options(yield_per=chunk_size())):
        issuers[number] = issuer
    return issuers


SEAT_COLUMNS = (CLAIM.c.id, CLAIM.c.organizer, CLAIM.c.payee_type, CLAIM.c.payee_id, CLAIM.c.policy,
                CLAIM.c.class_id, CLAIM.c.person_id, CLAIM.c.training_start, CLAIM.c.training_end,
                CLAIM.c.kind, CLAIM.c.state, CLAIM.c.filed_on, CLAIM.c.certificate_no, CLAIM.c.certificate_date)
CLAIM_BODY = case((and_(CLAIM.c.organizer.is_not(None), CLAIM.c.organizer != literal_column("''")),
                    CLAIM.c.organizer),
                   (CLAIM.c.payee_type == literal_column("'institution'"), CLAIM.c.payee_id))
"""a claim's training body in SQL, the expression of index ix_claim_body (migration 97,
models/schema.py CLAIM_BODY_SQL): literals, not parameters, so that the planner matches it"""
HAS_BODY = or_(CLAIM.c.organizer.is_not(None), CLAIM.c.payee_type == literal_column("'institution'"))
"""the condition of the partial index ix_claim_body (HAS_BODY_SQL): a query by body holds it"""
IN_LIST = 1000
"""the most values in one IN list of the restricted read"""


def _seat(r: Any, issuers: dict[str, str]) -> Seat | None:
    """The claim's seat, or None when no signal can look at it (no training body, no issuer known);
    the body is the claim's organizer, else its institution payee."""
    body = r.organizer or (r.payee_id if r.payee_type == "institution" else None)
    issuer = issuers.get(r.certificate_no) if r.certificate_no else None
    if not (body or issuer):
        return None
    return Seat(body or "", r.policy, r.class_id, r.person_id, r.training_start, r.training_end,
                r.id, r.kind, r.state, r.filed_on, issuer, r.certificate_date)


def _may_sit(issuers: dict[str, str]) -> Any:
    """only claims a signal can look at: with a training body, or a certificate when a registry is loaded"""
    return or_(CLAIM.c.organizer.is_not(None), CLAIM.c.payee_type == "institution",
               CLAIM.c.certificate_no.is_not(None) if issuers else false())


def read_rosters(conn: Connection) -> list[Seat]:
    """Every claim with a training body or a certificate the registry knows the issuer of; the
    body is the claim's organizer, else its institution payee. The full read: `claims report
    oversight`; the night's scan reads `rosters_around_waiting`."""
    issuers = read_issuers(conn)
    query = select(*SEAT_COLUMNS).where(CLAIM.c.state != "withdrawn", _may_sit(issuers))
    seats = []
    for r in conn.execute(query.execution_options(yield_per=chunk_size())):
        if (seat := _seat(r, issuers)) is not None:
            seats.append(seat)
    return seats


@dataclass(frozen=True)
class Around:
    """What `rosters_around_waiting` read: its seats (ordered by claim), and the training bodies and
    evaluation bodies of the waiting claims — the only bodies whose signals it computes exactly."""
    seats: list[Seat]
    bodies: frozenset[str]
    issuers: frozenset[str]

    def exact(self, found: Iterable[Signal]) -> list[Signal]:
        """The signals of the waiting claims' bodies (those of other bodies were computed over part
        of their seats and mean nothing)."""
        return [s for s in found if (s.organizer in self.issuers if s.body == "evaluation"
                                     else s.organizer in self.bodies)]


def rosters_around_waiting(conn: Connection) -> Around:
    """The seats that bear on the signals of the claims a signal can hold (HOLD_STATES), so that
    `signals(around.seats)` points at exactly the waiting claims `signals(read_rosters(conn))` points
    at, with the same body, score and example — without reading the years of history around them.

    What a waiting claim's signals depend on (`signals`: every training signal pointing at a claim is
    its own body's, `certificate_surge` its issuer's):
    - its body B: all of B's seats (every state but withdrawn, with or without a class) — shares,
      the largest earlier class, the ages, the school-year groups are per body;
    - shared_trainees: every class seat, in any body, of each person in B's classes (their
      overlapping dates elsewhere);
    - repeated_roster: every class whose roster could equal one of B's — its members are all persons
      of B's classes, so it is among the classes those persons sit in — read complete (all its seats,
      by class id), so that a class with a further trainee is not mistaken for a copy;
    - certificate_surge: every seat whose certificate number the registry gives to the issuer I of a
      waiting claim (I's months);
    - the registry itself (`read_issuers`, read whole as before: it is the registry's size, not the
      claims' history).
    Anything else read (the other seats of those persons, of those classes, of those certificates)
    only completes or adds other bodies: signals of a body that is not a waiting claim's point at
    no waiting claim (`Around.exact` drops them).

    The queries, each by an index, IN lists of at most IN_LIST values: the waiting claims by
    ix_claim_state_person, one state a query; B's seats by ix_claim_body (migration 97: the body
    expression `CLAIM_BODY`, partial on `HAS_BODY`, so the years of individual claims are not in
    it); the persons' seats by ix_claim_person; the classes by their bodies (ix_claim_body) and
    class ids; the certificates by ix_claim_certificate. Seats come back ordered by claim pk (the
    full read comes in table order: the same on SQLite, where the table is read by rowid).
    """
    issuers = read_issuers(conn)
    may_sit = _may_sit(issuers)
    seats: dict[int, Seat] = {}

    def read(where: Any, keep: Callable[[Seat], bool] = lambda s: True) -> list[Seat]:
        found = []
        for r in conn.execute(select(*SEAT_COLUMNS).where(CLAIM.c.state != "withdrawn", where, may_sit)
                              .execution_options(yield_per=chunk_size())):
            if (seat := _seat(r, issuers)) is not None and keep(seat):
                found.append(seat)
                seats.setdefault(seat.claim_pk, seat)
        return found

    waiting = [s for state in HOLD_STATES for s in read(CLAIM.c.state == state)]  # one state a query: SQLite
    # takes `state IN (...)` for most of the table under the statistics of years of settled claims
    bodies = frozenset(s.organizer for s in waiting if s.organizer)
    evaluators = frozenset(s.issuer for s in waiting if s.issuer)
    for names in _chunks(bodies):
        read(and_(HAS_BODY, CLAIM_BODY.in_(names)))
    persons = {s.person_id for s in seats.values() if s.organizer in bodies and s.class_id}
    around: list[Seat] = []
    for ids in _chunks(persons):
        around += read(CLAIM.c.person_id.in_(ids))
    touched = {(s.organizer, s.policy, s.class_id) for s in around
               if s.organizer and s.class_id and s.organizer not in bodies}
    for names in _chunks({k[0] for k in touched}):  # by their bodies; the bodies' other classes are not kept
        class_ids = sorted({k[2] for k in touched if k[0] in names})
        for start in range(0, len(class_ids), IN_LIST):
            read(and_(HAS_BODY, CLAIM_BODY.in_(names), CLAIM.c.class_id.in_(class_ids[start:start + IN_LIST])),
                 lambda s: (s.organizer, s.policy, s.class_id) in touched)
    numbers = {n for n, i in issuers.items() if i in evaluators}
    for chunk in _chunks(numbers):
        read(CLAIM.c.certificate_no.in_(chunk))
    return Around([seats[pk] for pk in sorted(seats)], bodies, evaluators)


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), IN_LIST):
        yield ordered[start:start + IN_LIST]
