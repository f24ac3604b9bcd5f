"""Moves decided by the lifecycle table alone, written in SQL: no claim row comes into Python.

Post, close postings and a passed inspection need no rules: which claims move, where to and with
which reason follow from the claim's own columns. `move_in_sql` moves them in four statements per
chunk — the moves with their event hashes selected into a temp table, the claims updated from it
(guarded by their event sequence), the events inserted from it, the moves counted — as
`services.nightly.moves.write_moves` would have written them, byte for byte: same destination,
reason, money snapshot and hash chain (tests/integration/services/test_sql_moves.py).

A claim goes this way only when its money columns are exactly what its last event recorded
(format 2): then the snapshot after a move that changes no money is that record. Any other claim —
an event of format 1, money edited by hand, an advance sent without an event — is left to the step's
Python decision, whose `write_moves` keeps the recorded values and lets `claims audit verify` name
the difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from models.tables import CLAIM, EVENT
from services.access.actors import Actor
from services.crash_drill import checkpoint
from services.nightly.lease import fence
from services.nightly.moves import EVENT_FORMAT, MONEY_FIELDS, StaleClaims, empty_temp_table
from services.nightly.steps import StepResult
from states.lifecycle import next_state, sources

_FEN_FIELDS = frozenset({"amount", "advance_amount", "advance_paid", "final_paid", "recovery_owed", "recovered"})
_INT_FIELDS = frozenset({"months_paid", "months", "days"})


@dataclass(frozen=True)
class SqlMove:
    """One trigger for the claims `where` selects (besides the chunk's partition and step source):
    `reason` an SQL expression over the claim, `sets` claim columns (never money) set with it."""

    trigger: str
    where: ColumnElement[bool]
    reason: ColumnElement[str]
    sets: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        money = set(self.sets) & set(MONEY_FIELDS)
        if money:
            raise ValueError(f"a move in SQL may not set money columns: {', '.join(sorted(money))}")


def as_text(expr: ColumnElement[Any]) -> ColumnElement[str]:
    return cast(expr, String)


def _shown(name: str, column: str | None = None) -> str:
    """a money column (or `column`, an SQL expression standing for it) as
    `models.audit_hash.money_value` writes it: yuan as 2000.00 or 0.50 from the stored fen (a negative
    value comes out malformed, so it never matches a recorded snapshot), counts as digits, texts as
    they are; NULL as ''"""
    column = f"({column})" if column else f"claim.{name}"
    if name in _FEN_FIELDS:
        shown = (f"CAST({column} / 100 AS VARCHAR) || '.' || "
                 f"SUBSTR(CAST(100 + {column} % 100 AS VARCHAR), 2, 2)")
    elif name in _INT_FIELDS:
        shown = f"CAST({column} AS VARCHAR)"
    else:
        shown = column
    return f"COALESCE({shown}, '')"


def money_text_sql(after: Mapping[str, str] | None = None) -> ColumnElement[str]:
    """`services.nightly.moves.money_text` of the claim as it is, in SQL — or as it will be with the
    money columns of `after` (name -> an SQL expression over the claim)."""
    after = after or {}
    return literal_column(" || '|' || ".join(_shown(name, after.get(name)) for name in MONEY_FIELDS), String)


def sha256_hex(conn: Connection, expr: ColumnElement[str]) -> ColumnElement[str]:
    """sha256 of the text's utf-8, in hex: PostgreSQL's own; on SQLite the function every product
    connection registers (models/db.py)."""
    if conn.dialect.name == "postgresql":
        return func.encode(func.sha256(func.convert_to(expr, literal("UTF8"))), literal("hex"))
    return func.sha256_hex(expr)


def destination(trigger: str) -> ColumnElement[str]:
    """The state `trigger` leads to from the claim's state, from the lifecycle table (a CASE where
    the table's guard `has_advance` decides)."""
    whens: list[tuple[ColumnElement[bool], str]] = []
    for state in sources(trigger):
        with_advance, without = (next_state(state, trigger, has_advance=flag) for flag in (True, False))
        if with_advance == without:
            whens.append((CLAIM.c.state == state, with_advance))
        else:
            whens.append((and_(CLAIM.c.state == state, literal_column("claim.advance_paid") > 0), with_advance))
            whens.append((CLAIM.c.state == state, without))
    return case(*whens)


_META = MetaData()
STAGE = Table(
    "claim_sql_move_stage", _META,
    Column("m_pk", BigInteger), Column("m_seq", Integer), Column("m_policy", String(32)),
    Column("m_from", String(24)), Column("m_to", String(24)), Column("m_reason", Text),
    Column("m_prev", String(64)), Column("m_hash", String(64)), Column("m_money", Text),
    *(Column(c.name, c.type) for c in CLAIM.c if c.name not in ("id", *MONEY_FIELDS)),
    prefixes=["TEMPORARY"],
)
"""a chunk's moves in SQL before they are applied (a temp table per connection, emptied before use)"""

def _stage(conn: Connection) -> Table:
    return empty_temp_table(conn, STAGE)


def recorded_money_matches() -> ColumnElement[bool]:
    """the claim's money is what its last event (format 2) recorded"""
    return and_(EVENT.c.version == EVENT_FORMAT, EVENT.c.money == money_text_sql())


def move_in_sql(conn: Connection, chunk: ColumnElement[bool], move: SqlMove, result: StepResult, *,
                actor: Actor, on: date, run_id: str | None) -> int:
    """Move the claims `chunk` and `move.where` select whose money their last event recorded, by
    `move.trigger`, clearing any set-aside; count them in `result`. Returns how many moved."""
    stage = _stage(conn)
    last = CLAIM.join(EVENT, and_(EVENT.c.claim_pk == CLAIM.c.id, EVENT.c.seq == CLAIM.c.event_seq))
    to_state = destination(move.trigger)
    parts: list[ColumnElement[str]] = [
        literal("2"), CLAIM.c.event_head, as_text(CLAIM.c.id), as_text(CLAIM.c.event_seq + 1), CLAIM.c.state,
        to_state, literal(move.trigger), literal(actor.name), literal(actor.role), literal(on.isoformat()),
        literal(run_id or ""), func.coalesce(move.reason, ""), EVENT.c.money]
    chained = joined(*parts)
    sets = {"set_aside_step": None, "set_aside_reason": None, **move.sets}
    names = ["m_pk", "m_seq", "m_policy", "m_from", "m_to", "m_reason", "m_prev", "m_hash", "m_money", *sets]
    conn.execute(insert(stage).from_select(names, select(
        CLAIM.c.id, CLAIM.c.event_seq, CLAIM.c.policy, CLAIM.c.state, to_state, move.reason, CLAIM.c.event_head,
        sha256_hex(conn, chained), EVENT.c.money,
        *(value if value is not None else literal(None, CLAIM.c[name].type) for name, value in sets.items()),
    ).select_from(last).where(chunk, move.where, recorded_money_matches())))
    counts = conn.execute(select(stage.c.m_policy, stage.c.m_to, func.count())
                          .group_by(stage.c.m_policy, stage.c.m_to)).all()
    staged = sum(count for _, _, count in counts)
    if not staged:
        return 0
    fence(conn)
    now = datetime.now(UTC)
    claims_from_stage(conn, stage, staged, on, now, {name: stage.c[name] for name in sets})
    checkpoint("moves.before_events")
    events_from_stage(conn, stage, move.trigger, actor, on, now, run_id)
    for policy, to_state_, count in counts:
        result.moved[(policy, to_state_)] += count
    return staged


def joined(*parts: ColumnElement[str]) -> ColumnElement[str]:
    """The parts joined by '|', as the event and payment hashes join their fields."""
    chained = parts[0]
    for part in parts[1:]:
        chained = chained + "|" + part
    return chained


def claims_from_stage(conn: Connection, stage: Table, staged: int, on: date, now: datetime,
                      sets: Mapping[str, Any]) -> None:
    """Each staged claim moved (state, event sequence and head, `sets`), guarded by the sequence it was
    staged with: `StaleClaims` unless all `staged` were."""
    values: dict[str, Any] = {"state": stage.c.m_to, "state_on": on, "event_seq": stage.c.m_seq + 1,
                              "event_head": stage.c.m_hash, "updated_at": now, **sets}
    updated = conn.execute(update(CLAIM).where(CLAIM.c.id == stage.c.m_pk, CLAIM.c.event_seq == stage.c.m_seq)
                           .values(values)).rowcount
    if updated != staged:
        raise StaleClaims(f"{staged - updated} of {staged} claims changed while this step ran; the chunk was "
                          "rolled back and will be taken again")


def events_from_stage(conn: Connection, stage: Table, trigger: str, actor: Actor, on: date, now: datetime,
                      run_id: str | None) -> None:
    """The staged moves' events (format 2), in claim order."""
    conn.execute(insert(EVENT).from_select(
        ["claim_pk", "seq", "from_state", "to_state", "trigger", "actor", "role", "on", "at", "run_id",
         "reason", "prev_hash", "hash", "version", "money"],
        select(stage.c.m_pk, stage.c.m_seq + 1, stage.c.m_from, stage.c.m_to, literal(trigger, EVENT.c.trigger.type),
               literal(actor.name, EVENT.c.actor.type), literal(actor.role, EVENT.c.role.type),
               literal(on, EVENT.c.on.type), literal(now, EVENT.c.at.type),
               literal(run_id, EVENT.c.run_id.type), stage.c.m_reason, stage.c.m_prev, stage.c.m_hash,
               literal(EVENT_FORMAT, EVENT.c.version.type), stage.c.m_money)
        .order_by(stage.c.m_pk)))
