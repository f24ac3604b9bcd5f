"""What every nightly step shares: person partitions, the partition's one SELECT, and a
`Batch` that gathers a chunk's moves, payment rows and set-asides and writes them in bulk.

A step module provides `STEP`, `source(run, settings)` (the SQL condition for its claims) and
`decide(conn, rows, batch)`; `make_step` turns it into the (PartitionFn, ChunkFn) pair. A step
some of whose moves the lifecycle table decides alone also provides `sql_moves(conn, run, settings,
chunk)`, a list of `SqlMove`s written in SQL before `decide` sees the rest (services/nightly/sql_moves.py);
a step whose SQL writes more than moves (pay due's orders) provides `write_in_sql(conn, run, settings, chunk,
result)`, returning how many claims it moved.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from models.tables import CLAIM
from rules.decision import Decision, Grant
from services.access.actors import SYSTEM, Actor
from services.crash_drill import checkpoint
from services.gc_pause import gc_paused
from services.money.outbox import money_transaction
from services.money.payments import PAYMENT
from services.money.recovery import recovery_rows
from services.nightly.grants import person_order
from services.nightly.lease import fence
from services.nightly.moves import (
    LAST_EVENT,
    LAST_EVENT_COLUMNS,
    MONEY_FIELDS,
    Move,
    event_hash,
    execute_many,
    now_of,
    plan_move,
    write_moves,
)
from services.nightly.rulebook import BadFacts, Rules, load_rulebook
from services.nightly.sql_moves import move_in_sql
from services.nightly.steps import ChunkFn, Partition, PartitionFn, StepResult
from services.settings import Settings, load_settings

ZERO = Decimal("0")
STEP_COLUMNS = [c for c in CLAIM.c if c.name not in ("citations", "decision_trace", "content_hash",
                                                    "import_batch_id", "created_at", "updated_at")]
"""what a step reads of a claim by default: the decision's long texts are written by steps, never
read, and the bookkeeping columns are not the steps' business"""
MOVE_COLUMNS = [CLAIM.c[name] for name in (
    "id", "claim_id", "policy", "kind", "person_id", "person_key", "certificate_date", "training_end",
    "filed_on", "state", "event_seq", "event_head", "advance_paid", "payee_type", "payee_id",
    "set_aside_step", "set_aside_reason")]
"""what any step needs to order a person's claims, move them and write a payment row; a step
that reads no more declares `COLUMNS = MOVE_COLUMNS + [...]`"""


def chunk_columns(columns: list[Any]) -> list[ColumnElement[Any]]:
    """What a chunk reads: the step's columns, the money columns its events hash, and its last
    event's format and money — so its moves are written without reading the claims again."""
    have = {c.name for c in columns}
    return [*columns, *(CLAIM.c[name] for name in ("event_seq", "event_head", *MONEY_FIELDS) if name not in have),
            *LAST_EVENT_COLUMNS]


@dataclass(frozen=True)
class Run:
    """How a chunk runs: the business date, the flow run, who acts, and for `claims retry`
    the claims to take (`only`) and whether today's failures may be retried at once (`force`)."""

    as_of: date
    run_id: str | None = None
    actor: Actor = SYSTEM
    only: frozenset[int] | None = None
    force: bool = False


class StepModule(Protocol):
    STEP: str

    def source(self, run: Run, settings: Settings) -> Any: ...

    def decide(self, conn: Connection, rows: list[Any], batch: Batch) -> None: ...



@dataclass
class Batch:
    run: Run
    settings: Settings
    result: StepResult
    _rules: Rules | None = None
    phases: list[list[Move]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    read: dict[int, Any] = field(default_factory=dict)
    """the chunk's claims as it read them (`chunk_columns`), by primary key"""
    _moves_per_claim: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def rules(self) -> Rules:
        if self._rules is None:
            self._rules = load_rulebook()
        return self._rules

    def move(self, row: Any, trigger: str, *, reason: str | None = None,
             completion_ready: bool = True, **changes: Any) -> Move:
        """Plan `trigger` for the claim, clearing any set-aside unless `changes` sets one."""
        changes.setdefault("set_aside_step", None)
        changes.setdefault("set_aside_reason", None)
        planned = plan_move(row, trigger, reason=reason, completion_ready=completion_ready, **changes)
        phase = self._moves_per_claim[row.id]
        self._moves_per_claim[row.id] += 1
        while len(self.phases) <= phase:
            self.phases.append([])
        self.phases[phase].append(planned)
        self.result.moved[(row.policy, planned.to_state)] += 1
        return planned

    def move_then(self, row: Any, trigger: str, *, reason: str | None = None, **changes: Any) -> Any:
        """`move`, returning the claim as it will be after it, so a second move can follow."""
        planned = self.move(row, trigger, reason=reason, **changes)
        actor, run = self.run.actor, self.run
        head = event_hash(planned.head, planned.claim_pk, planned.seq + 1, planned.from_state,
                          planned.to_state, trigger, actor.name, actor.role, run.as_of, run.run_id, reason)
        after = dict(row._asdict()) if hasattr(row, "_asdict") else dict(vars(row))
        after.update(planned.changes, state=planned.to_state, event_seq=planned.seq + 1, event_head=head)
        return SimpleNamespace(**after)

    def pay(self, row: dict[str, Any], policy: str) -> None:
        """A payment row to insert; money that went out (or is owed back) is summed per policy."""
        self.payments.append(row)
        if row["status"] == "ordered":  # waits for its batch's release: held, not set aside
            self.result.held[policy] += 1
        if row["status"] in ("sent", "ordered", "due"):
            key = (policy, row["kind"])
            self.result.money[key] = self.result.money.get(key, ZERO) + row["amount"]

    def owe(self, conn: Connection, owed: list[tuple[Any, Decimal, str]]) -> None:
        """Recovery rows (status due) for (claim, amount, note)."""
        policies = {claim.id: claim.policy for claim, _, _ in owed}
        for row in recovery_rows(conn, owed, self.run.as_of):
            self.pay(row, policies[row["claim_pk"]])

    def set_aside(self, row: Any, reason: str, **values: Any) -> None:
        """Leave the claim where it is (with `values` written), listed for `claims failed` with
        this step and `reason`."""
        step = self.result.step
        self.result.set_aside.append((row.policy, row.claim_id, reason))
        if values or row.set_aside_step != step or row.set_aside_reason != reason:
            self.update(row, set_aside_step=step, set_aside_reason=reason, **values)

    def decide_or_set_aside(self, row: Any, history: list[Grant]) -> Decision | None:
        """The rules' decision, or None when the claim was set aside: facts the rules need are
        missing, or a number the seed leaves open has no local value."""
        try:
            decision = self.rules.evaluate(row, history)
        except BadFacts as exc:
            self.set_aside(row, f"missing_facts: {exc}")
            return None
        if decision.missing:
            self.set_aside(row, "missing_parameter: " + ", ".join(decision.missing))
            return None
        return decision

    def update(self, row: Any, **values: Any) -> None:
        """Columns that change without a transition (no event)."""
        self.updates.append({"b_pk": row.id, "b_seq": row.event_seq, **values})

    def flush(self, conn: Connection) -> None:
        if self.payments:
            execute_many(conn, insert(PAYMENT), self.payments)
            checkpoint(f"{self.result.step}.after_payments")
        read = self.read
        known = {m.claim_pk: now_of(read[m.claim_pk]) for m in self.phases[0] if m.claim_pk in read} \
            if self.phases else {}
        for moves in self.phases:
            write_moves(conn, moves, actor=self.run.actor, on=self.run.as_of, run_id=self.run.run_id, known=known)
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for values in self.updates:
            by_columns[tuple(sorted(k for k in values if not k.startswith("b_")))].append(values)
        for columns, rows in by_columns.items():
            params = [{"b_pk": r["b_pk"], "b_seq": r["b_seq"], **{f"v_{c}": r[c] for c in columns}}
                      for r in rows]
            execute_many(conn, update(CLAIM)
                         .where(CLAIM.c.id == bindparam("b_pk"), CLAIM.c.event_seq == bindparam("b_seq"))
                         .values({c: bindparam(f"v_{c}") for c in columns}), params)


def _where(module: StepModule, run: Run, settings: Settings) -> Any:
    condition = module.source(run, settings)
    if run.only is not None:
        condition = and_(condition, CLAIM.c.id.in_(sorted(run.only)))
    return condition


def writes_in_sql(module: Any) -> bool:
    """The step writes its usual moves in SQL (it declares `WRITES_IN_SQL`, and has `sql_moves` or
    `write_in_sql`): only its unusual claims are read into Python."""
    return bool(getattr(module, "WRITES_IN_SQL", False))


def partition_size(module: Any, size: int, settings: Settings) -> int:
    """Claims per partition of the step: `size`, times `sql_partition_factor` for a step that writes in SQL."""
    return size * settings.sql_partition_factor if writes_in_sql(module) else size


def person_partitions(engine: Engine, module: StepModule, run: Run, size: int,
                      settings: Settings | None = None) -> list[Partition]:
    """Ranges of person_key holding about `partition_size` of the step's claims each (one GROUP BY)."""
    settings = settings or load_settings()
    size = partition_size(module, size, settings)
    if (prepare := getattr(module, "prepare", None)) is not None:
        prepare(engine, run, settings)  # the first step's once-a-night work (pay_advances: signals)
    with engine.connect() as conn:
        counts = conn.execute(
            select(CLAIM.c.person_key, func.count())
            .where(_where(module, run, settings))
            .group_by(CLAIM.c.person_key).order_by(CLAIM.c.person_key)
        ).all()
    partitions: list[Partition] = []
    lo: int | None = None
    total = 0
    for key, count in counts:
        if lo is None:
            lo = key
        total += count
        if total >= size:
            partitions.append(Partition(module.STEP, lo, key + 1, total))
            lo, total = None, 0
    if lo is not None:
        partitions.append(Partition(module.STEP, lo, counts[-1][0] + 1, total))
    return partitions


def run_chunk(engine: Engine, module: StepModule, partition: Partition, run: Run,
              settings: Settings | None = None) -> StepResult:
    """One partition of one step in one transaction: the moves the lifecycle table decides alone
    written in SQL (a step's `sql_moves`), then one SELECT of the rest, decide, bulk writes — with
    the cyclic garbage collector held (services/gc_pause.py)."""
    with gc_paused():
        return _run_chunk(engine, module, partition, run, settings)


def _run_chunk(engine: Engine, module: StepModule, partition: Partition, run: Run,
               settings: Settings | None) -> StepResult:
    settings = settings or load_settings()
    result = StepResult(module.STEP, chunks=1)
    checkpoint(f"{module.STEP}.chunk_start")
    with money_transaction(engine) as conn:  # fenced: a stalled run whose lease was taken over stops here
        chunk = and_(CLAIM.c.person_key >= partition.lo, CLAIM.c.person_key < partition.hi,
                     _where(module, run, settings))
        moved_in_sql = 0
        if (planned := getattr(module, "sql_moves", None)) is not None:
            for move in planned(conn, run, settings, chunk):
                moved_in_sql += move_in_sql(conn, chunk, move, result, actor=run.actor, on=run.as_of,
                                            run_id=run.run_id)
        if (written := getattr(module, "write_in_sql", None)) is not None:
            moved_in_sql += written(conn, run, settings, chunk, result)
        columns = getattr(module, "COLUMNS", STEP_COLUMNS)
        rows = plain_rows(conn.execute(select(*chunk_columns(columns)).select_from(LAST_EVENT).where(chunk)))
        rows.sort(key=person_order)
        result.claims_seen = moved_in_sql + len(rows)
        if rows:
            batch = Batch(run, settings, result, read={row.id: row for row in rows})
            module.decide(conn, rows, batch)
            checkpoint(f"{module.STEP}.before_flush")
            batch.flush(conn)
        if rows or moved_in_sql:
            fence(conn)
            checkpoint(f"{module.STEP}.before_commit")
    return result


@lru_cache(maxsize=64)
def _row_type(fields: tuple[str, ...]) -> Any:
    return namedtuple("ClaimRow", fields)


def plain_rows(result: Any) -> list[Any]:
    """The result's rows as plain named tuples: a step reads dozens of attributes per claim,
    and a named tuple's attribute is several times cheaper than a Row's."""
    make = _row_type(tuple(result.keys()))._make
    return [make(row) for row in result.all()]


def make_step(module: StepModule) -> tuple[PartitionFn, ChunkFn]:
    def partitions(engine: Engine, as_of: date, size: int) -> list[Partition]:
        return person_partitions(engine, module, Run(as_of), size)

    def chunk(engine: Engine, partition: Partition, as_of: date, run_id: str | None) -> StepResult:
        return run_chunk(engine, module, partition, Run(as_of, run_id))

    partitions.__name__ = f"{module.STEP}_partitions"
    chunk.__name__ = f"{module.STEP}_chunk"
    return partitions, chunk

