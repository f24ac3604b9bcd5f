"""Writing a chunk of transitions: claim rows, their events and hash chain, in bulk.

Every step decides in Python, then calls `write_moves` once per chunk inside the chunk's
transaction, so the state change and its event row commit together or not at all.
Each UPDATE is guarded by the claim's event sequence: a claim changed by someone else
since it was read is not overwritten (`StaleClaims`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import attrgetter
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
    delete,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.schema import CreateTable

from models.audit_hash import money_value
from models.tables import CLAIM, EVENT
from services.access.actors import Actor
from services.crash_drill import checkpoint
from services.nightly.lease import fence
from states.lifecycle import Subject, fire


class StaleClaims(Exception):
    """Some claims changed since they were read (a concurrent worker moved them)."""


RETRYABLE: tuple[type[BaseException], ...] = (StaleClaims, OperationalError, InterfaceError, ConnectionError,
                                              TimeoutError)
"""Errors after which a chunk may simply run again: its transaction rolled back, and every step is
idempotent in the database (flows retry on these, never on a bug)."""


@dataclass(slots=True)
class Move:
    """One transition of one claim, with the claim columns that change with it."""

    claim_pk: int
    claim_id: str
    seq: int
    head: str
    from_state: str
    to_state: str
    trigger: str
    reason: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)


_DESTINATIONS: dict[tuple[str, str, bool, bool], str] = {}
"""(state, trigger, has_advance, completion_ready) -> destination, as the shared Machine answered
it once: the table is static and its guards read only those two facts."""


def plan_move(row: Any, trigger: str, *, reason: str | None = None, completion_ready: bool = True,
              **changes: Any) -> Move:
    """Check `trigger` against the lifecycle table for a claim row and return the Move."""
    key = (row.state, trigger, row.advance_paid > 0, completion_ready)
    to_state = _DESTINATIONS.get(key)
    if to_state is None:
        to_state = fire(Subject(row.claim_id, row.state, row.advance_paid, completion_ready), trigger)
        _DESTINATIONS[key] = to_state
    return Move(row.id, row.claim_id, row.event_seq, row.event_head, row.state, to_state,
                trigger, reason, changes)


def event_hash(prev_hash: str, claim_pk: int, seq: int, from_state: str, to_state: str,
               trigger: str, actor: str, role: str, on: date, run_id: str | None,
               reason: str | None) -> str:
    text = "|".join(
        [prev_hash, str(claim_pk), str(seq), from_state, to_state, trigger, actor, role,
         on.isoformat(), run_id or "", reason or ""]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


EVENT_FORMAT = 2
"""The format of the events written now (claim_event.version): 1 hashed the transition only; 2 also
hashes the claim's money after the move (`MONEY_FIELDS`, kept in claim_event.money). Events of
format 1 (before migration 80) are verified as format 1: rehashing them would bless whatever the
table held when the migration ran and break the anchors already in the outside log."""

MONEY_FIELDS: tuple[str, ...] = (
    "amount", "months_paid", "months", "days", "advance_amount", "advance_paid", "final_paid",
    "recovery_owed", "recovered", "payee_type", "payee_id", "payee_name", "bank_account")
"""The claim columns that decide how much is paid and where it goes, in the order an event of format 2
hashes them."""

EVENT_ONLY_MONEY: tuple[str, ...] = (
    "amount", "months_paid", "months", "days", "final_paid", "recovery_owed", "payee_type", "payee_id",
    "payee_name", "bank_account")
"""Money columns that change only with an event: the claim must still hold its last event's values.
(advance_amount, advance_paid and recovered also change without a transition — an advance sent to a
claim already past filing, a failed advance, a partial return — and are checked against the payment
rows instead.)"""


def money_text(values: Any) -> str:
    """The money snapshot an event of format 2 hashes: `MONEY_FIELDS` joined by '|'."""
    return "|".join(money_value(values[name]) for name in MONEY_FIELDS)


def parse_money(text: str) -> dict[str, str]:
    return dict(zip(MONEY_FIELDS, text.split("|"), strict=False))


UNRECORDED_MONEY = "money_not_recorded"


def unrecorded_money(row: Any) -> str | None:
    """For a claim read with its last event (`LAST_EVENT_COLUMNS`): `money_not_recorded: …` naming the
    columns that change only with an event (`EVENT_ONLY_MONEY`) but differ from what that event
    recorded (format 2) — money or a payee edited by hand — else None. No order is written for such a
    claim: it is set aside until the columns are put back or changed by a command that logs it."""
    if getattr(row, "head_version", None) != 2:
        return None
    recorded = parse_money(row.head_money or "")
    edited = [name for name in EVENT_ONLY_MONEY if money_value(getattr(row, name)) != recorded.get(name, "")]
    if not edited:
        return None
    return (f"{UNRECORDED_MONEY}: {', '.join(edited)} differ from what the claim's last event recorded "
            "(claims audit verify names the edit); no order until they are put back")


def event_hash_v2(prev_hash: str, claim_pk: int, seq: int, from_state: str, to_state: str,
                  trigger: str, actor: str, role: str, on: date, run_id: str | None,
                  reason: str | None, money: str) -> str:
    """Format 2: "2|", format 1's fields, then the claim's money after the move."""
    return _v2_digest(prev_hash, claim_pk, seq, from_state, to_state, trigger, _by(actor, role, on, run_id),
                      reason, money)


def _by(actor: str, role: str, on: date, run_id: str | None) -> str:
    """The fields of a format-2 event that every move of one `write_moves` call shares, joined once."""
    return f"{actor}|{role}|{on.isoformat()}|{run_id or ''}"


def _v2_digest(prev_hash: str, claim_pk: int, seq: int, from_state: str, to_state: str, trigger: str, by: str,
               reason: str | None, money: str) -> str:
    return hashlib.sha256(f"2|{prev_hash}|{claim_pk}|{seq}|{from_state}|{to_state}|{trigger}|{by}|{reason or ''}|"
                          f"{money}".encode()).hexdigest()


FILING_MONEY_FIELDS: tuple[str, ...] = ("months", "days", "payee_type", "payee_id", "payee_name", "bank_account")
"""The money fields a claim is filed with (the import's row); every other field of `MONEY_FIELDS` is
empty (amount, months_paid, advance_amount) or 0.00 (the sums paid and owed) until a move sets it."""


def filing_money(months: str, days: str, payee_type: str, payee_id: str, payee_name: str,
                 bank_account: str) -> str:
    """`money_text` of a claim as filed, from the texts of `FILING_MONEY_FIELDS` ("" when empty),
    without building a mapping per row (the import's hot path)."""
    return f"||{months}|{days}||0.00|0.00|0.00|0.00|{payee_type}|{payee_id}|{payee_name}|{bank_account}"


def filing_event_heads(ids: Sequence[int], moneys: Sequence[str], actor: Actor, on: date) -> list[str]:
    """`event_hash_v2` of each new claim's first event ("" -> filed, seq 1) with its money as filed
    (`filing_money`), the text around the claim id built once."""
    if not ids:
        return []
    after = ("|" + "|".join(["1", "", "filed", "file", actor.name, actor.role, on.isoformat(), "", "", ""])
             ).encode("utf-8")
    sha = hashlib.sha256
    heads = [sha(b"2||%d%b%b" % (pk, after, money.encode("utf-8"))).hexdigest()
             for pk, money in zip(ids, moneys, strict=True)]
    if heads[0] != event_hash_v2("", ids[0], 1, "", "filed", "file", actor.name, actor.role, on, None, None,
                                 moneys[0]):
        raise AssertionError("filing_event_heads no longer matches event_hash_v2")
    return heads


_READ_CHUNK = 10_000


_EVENT_ONLY = frozenset(EVENT_ONLY_MONEY)


_OTHER_MONEY = tuple((index, name) for index, name in enumerate(MONEY_FIELDS) if name not in _EVENT_ONLY)
"""the money columns that may change without an event, by position: taken as the claim holds them"""
_OTHER_INDEXES = tuple(index for index, _ in _OTHER_MONEY)
_OTHER_VALUES = attrgetter(*(name for _, name in _OTHER_MONEY))
_FIELD_COUNT = len(MONEY_FIELDS)
_MONEY_INDEX = {name: index for index, name in enumerate(MONEY_FIELDS)}


@dataclass(slots=True)
class _Now:
    """A claim as the database holds it inside the chunk's transaction, for the snapshot its next event
    hashes: its sequence and head, and its money as hashed text — the columns that change only with an
    event (`EVENT_ONLY_MONEY`) as its last event recorded them when that event recorded money (format 2),
    the others as the claim holds them."""

    event_seq: int
    event_head: str
    money: list[str]


def now_of(row: Any) -> _Now:
    """`_Now` of a claim row read inside the chunk's transaction with its money columns, its
    `event_seq` and `event_head`, and its last event's `head_version` and `head_money` (a step's
    own read, `services.nightly.base.chunk_columns`, so `write_moves` need not read it again)."""
    if row.head_version != 2:
        return _Now(row.event_seq, row.event_head, [money_value(getattr(row, name)) for name in MONEY_FIELDS])
    money = row.head_money.split("|") if row.head_money else []
    if len(money) < _FIELD_COUNT:
        money += [""] * (_FIELD_COUNT - len(money))
    for index, value in zip(_OTHER_INDEXES, _OTHER_VALUES(row), strict=True):
        money[index] = money_value(value)
    return _Now(row.event_seq, row.event_head, money)


LAST_EVENT = CLAIM.outerjoin(EVENT, and_(EVENT.c.claim_pk == CLAIM.c.id, EVENT.c.seq == CLAIM.c.event_seq))
"""a claim with its last event (found by the event's unique (claim_pk, seq))"""
LAST_EVENT_COLUMNS = (EVENT.c.version.label("head_version"), EVENT.c.money.label("head_money"))
"""what `now_of` needs of a claim's last event, read with the claim through `LAST_EVENT`"""


def _money_now(conn: Connection, pks: list[int]) -> dict[int, _Now]:
    """`now_of` the claims not read by the caller — one SELECT per 10,000 claims, inside the chunk's
    transaction, the last event found by its unique (claim_pk, seq)."""
    columns = [CLAIM.c.id, CLAIM.c.event_seq, CLAIM.c.event_head, *(CLAIM.c[n] for n in MONEY_FIELDS),
               *LAST_EVENT_COLUMNS]
    found: dict[int, _Now] = {}
    for start in range(0, len(pks), _READ_CHUNK):
        for row in conn.execute(select(*columns).select_from(LAST_EVENT)
                                .where(CLAIM.c.id.in_(pks[start:start + _READ_CHUNK]))):
            found[row.id] = now_of(row)
    return found


def _money_after(move: Move, now: _Now) -> list[str]:
    """The snapshot a move's event hashes: the columns the move sets, the rest as `now` holds them —
    so an edit by hand of a column that changes only with an event is not taken into the chain but
    stays a difference `claims audit verify` names."""
    values = list(now.money)
    changes = move.changes
    for name, index in _money_slots(tuple(changes)):
        values[index] = money_value(changes[name])
    return values


_SLOTS: dict[tuple[str, ...], tuple[tuple[str, int], ...]] = {}
"""the changed columns of a move -> those that are money, with their place in the snapshot (a step's
moves change the same few sets of columns)"""


def _money_slots(names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    found = _SLOTS.get(names)
    if found is None:
        found = _SLOTS[names] = tuple((name, _MONEY_INDEX[name]) for name in names if name in _MONEY_INDEX)
    return found


_SORTED: dict[tuple[str, ...], tuple[str, ...]] = {}
"""the changed columns of a move, as given -> sorted: a move's group in the staging table"""


def _sorted_columns(names: tuple[str, ...]) -> tuple[str, ...]:
    found = _SORTED.get(names)
    if found is None:
        found = _SORTED[names] = tuple(sorted(names))
    return found


def write_moves(conn: Connection, moves: Sequence[Move], *, actor: Actor, on: date,
                run_id: str | None = None, known: dict[int, _Now] | None = None) -> int:
    """Persist `moves` (at most one per claim) as claim updates plus chained events, set-based.

    Python computes each event's hash; the chunk goes into a temp staging table in one bulk
    INSERT (in primary-key order), then one `UPDATE claim … FROM` per set of changed columns —
    guarded by the claim's event sequence — and one `INSERT INTO claim_event … SELECT`. A few moves
    (`FEW_MOVES`) are written as one guarded UPDATE each and one INSERT of their events.

    `known`: the claims as this transaction already read them (`now_of`); claims not in it are read.
    It is brought up to date with each claim as the move leaves it, so a later move of the same claim
    in this transaction chains from it without a read.
    """
    if not moves:
        return 0
    fence(conn)
    now = datetime.now(UTC)
    groups: dict[tuple[str, ...], int] = {}
    staged: list[tuple[Any, ...]] = []
    name, role = actor.name, actor.role
    ordered = sorted(moves, key=_by_pk)
    current = known if known is not None else {}
    unread = [m.claim_pk for m in ordered if m.claim_pk not in current]
    if unread:
        current.update(_money_now(conn, unread))
    by = _by(name, role, on, run_id)
    for move in ordered:
        now_row = current.get(move.claim_pk)
        if now_row is None or now_row.event_seq != move.seq:
            raise StaleClaims(f"claim {move.claim_id} changed while this step ran; the chunk was rolled "
                              "back and will be taken again")
        head = now_row.event_head  # the chain as written (an earlier phase of this chunk included)
        after = _money_after(move, now_row)
        money = "|".join(after)
        digest = _v2_digest(head, move.claim_pk, move.seq + 1, move.from_state, move.to_state, move.trigger, by,
                            move.reason, money)
        current[move.claim_pk] = _Now(move.seq + 1, digest, after)
        columns = _sorted_columns(tuple(move.changes))
        group = groups.get(columns)
        if group is None:
            group = groups[columns] = len(groups)
        staged.append((move.claim_pk, move.seq, group, move.from_state, move.to_state, move.trigger,
                       move.reason, head, digest, money, columns, move.changes))
    if len(staged) <= FEW_MOVES:
        updated = _update_one_by_one(conn, staged, on, now)
    else:
        stage = _staged(conn, staged, groups)
        updated = _update_from_stage(conn, stage, groups, on, now)
    if updated != len(moves):
        raise StaleClaims(
            f"{len(moves) - updated} of {len(moves)} claims changed while this step "
            "ran; the chunk was rolled back and will be taken again"
        )
    checkpoint("moves.before_events")
    if len(staged) <= FEW_MOVES:
        conn.execute(insert(EVENT), [
            {"claim_pk": pk, "seq": seq + 1, "from_state": from_state, "to_state": to_state, "trigger": trigger,
             "actor": name, "role": role, "on": on, "at": now, "run_id": run_id, "reason": reason,
             "prev_hash": prev, "hash": digest, "version": EVENT_FORMAT, "money": money}
            for pk, seq, _, from_state, to_state, trigger, reason, prev, digest, money, _, _ in staged])
    else:
        conn.execute(insert(EVENT).from_select(
            ["claim_pk", "seq", "from_state", "to_state", "trigger", "actor", "role", "on", "at", "run_id",
             "reason", "prev_hash", "hash", "version", "money"],
            select(stage.c.m_pk, stage.c.m_seq + 1, stage.c.m_from, stage.c.m_to, stage.c.m_trigger,
                   literal(name, EVENT.c.actor.type), literal(role, EVENT.c.role.type),
                   literal(on, EVENT.c.on.type), literal(now, EVENT.c.at.type),
                   literal(run_id, EVENT.c.run_id.type), stage.c.m_reason, stage.c.m_prev, stage.c.m_hash,
                   literal(EVENT_FORMAT, EVENT.c.version.type), stage.c.m_money)
            .order_by(stage.c.m_pk)))
    return len(moves)


FEW_MOVES = 8
"""up to this many moves (a clerk's command on one claim, an objection, a review) are written as one
guarded UPDATE each and one INSERT of their events: a staging table costs more statements than it
saves"""


def _update_one_by_one(conn: Connection, staged: list[tuple[Any, ...]], on: date, now: datetime) -> int:
    updated = 0
    for pk, seq, _, _, to_state, _, _, _, digest, _, _, changes in staged:
        updated += conn.execute(update(CLAIM).where(CLAIM.c.id == pk, CLAIM.c.event_seq == seq).values(
            state=to_state, state_on=on, event_seq=seq + 1, event_head=digest, updated_at=now, **changes)).rowcount
    return updated


def _staged(conn: Connection, staged: list[tuple[Any, ...]], groups: dict[tuple[str, ...], int]) -> Table:
    """The moves in the staging table, in primary-key order, with the claim columns they change."""
    stage = _stage(conn)
    wanted = {c for columns in groups for c in columns}
    changed = [c.name for c in stage.c if c.name in wanted]  # table order: the INSERT's own order
    names = [*_MOVE_COLUMNS, *changed]
    slots = {c: (i, p) for i, (c, p) in enumerate(zip(changed, _processors(conn, changed), strict=True))}
    placed = {columns: tuple((column, *slots[column]) for column in columns) for columns in groups}
    width = len(changed)
    rows: list[tuple[Any, ...]] = []
    for *fixed, columns, changes in staged:
        values: list[Any] = [None] * width
        for column, index, processor in placed[columns]:
            value = changes[column]
            values[index] = value if processor is None or value is None else processor(value)
        rows.append((*fixed, *values))
    _insert_rows(conn, stage, names, rows)
    return stage


def _update_from_stage(conn: Connection, stage: Table, groups: dict[tuple[str, ...], int], on: date,
                       now: datetime) -> int:
    """One `UPDATE claim … FROM` the stage per set of changed columns, guarded by the event sequence."""
    updated = 0
    for columns, group in groups.items():
        values_of: dict[str, Any] = {
            "state": stage.c.m_to, "state_on": on, "event_seq": stage.c.m_seq + 1,
            "event_head": stage.c.m_hash, "updated_at": now,
        }
        values_of.update({c: stage.c[c] for c in columns})
        where = [CLAIM.c.id == stage.c.m_pk, CLAIM.c.event_seq == stage.c.m_seq]
        if len(groups) > 1:
            where.append(stage.c.m_grp == group)
        updated += conn.execute(update(CLAIM).where(*where).values(values_of)).rowcount
    return updated


def _by_pk(move: Move) -> int:
    return move.claim_pk


_MOVE_COLUMNS = ("m_pk", "m_seq", "m_grp", "m_from", "m_to", "m_trigger", "m_reason", "m_prev", "m_hash",
                 "m_money")
_STAGE_META = MetaData()
STAGE = Table(
    "claim_move_stage", _STAGE_META,
    Column("m_pk", BigInteger), Column("m_seq", Integer), Column("m_grp", Integer),
    Column("m_from", String(24)), Column("m_to", String(24)), Column("m_trigger", String(32)),
    Column("m_reason", Text), Column("m_prev", String(64)), Column("m_hash", String(64)), Column("m_money", Text),
    *(Column(c.name, c.type) for c in CLAIM.c if c.name != "id"),
    prefixes=["TEMPORARY"],
)
"""A chunk's moves before they are applied: one row per move, with the claim columns it changes
(a temp table per connection, emptied before each use)."""


_DDL: dict[tuple[str, str], str] = {}


def empty_temp_table(conn: Connection, table: Table) -> Table:
    """`table` (a TEMPORARY table) created on this connection if it is not yet, and emptied."""
    name = conn.dialect.name
    key = (name, table.name)
    if key not in _DDL:
        _DDL[key] = str(CreateTable(table, if_not_exists=True).compile(dialect=conn.dialect))
    conn.exec_driver_sql(_DDL[key])
    if name == "postgresql":
        # DELETE would leave the last chunk's dead pages, which PostgreSQL's planner counts as
        # rows: a one-claim move then hash-joins a scan of the whole claim table (35 ms at 100k)
        conn.exec_driver_sql(f"TRUNCATE {table.name}")
    else:
        conn.execute(delete(table))
    return table


def _stage(conn: Connection) -> Table:
    return empty_temp_table(conn, STAGE)


def _processors(conn: Connection, names: Sequence[str]) -> list[Any]:
    dialect = conn.dialect
    return [STAGE.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]


_INSERTS: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[int] | None]] = {}
"""(dialect, table, names) -> the INSERT's text and, for a positional driver, the names' order in it:
compiled once per shape, not per chunk or per single-claim command"""


def _insert_rows(conn: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """executemany of already bind-processed tuples in `names` order, straight to the driver."""
    key = (conn.dialect.name, table.name, tuple(names))
    found = _INSERTS.get(key)
    if found is None:
        compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(names))
        order = [names.index(n) for n in compiled.positiontup or ()] if compiled.positional else None
        found = _INSERTS[key] = (str(compiled), order)
    sql, order = found
    if order is None:
        params: list[Any] = [dict(zip(names, row, strict=True)) for row in rows]
    else:
        params = rows if order == list(range(len(names))) else [tuple(row[i] for i in order) for row in rows]
    conn.exec_driver_sql(sql, params)


def execute_many(conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> int:
    """executemany of `rows` (dicts keyed by bind name) handed straight to the driver.

    SQLAlchemy's own executemany rebuilds every parameter set through the compiled statement,
    about three quarters of a bulk write's time (bench profile); this compiles once, applies each
    column type's bind processor (Money to fen, dates on SQLite …) and gives the driver plain
    tuples or dicts. An INSERT's columns with Python-side defaults get them once per call.
    Returns the driver's rowcount.
    """
    if not rows:
        return 0
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(rows[0]))
    binds = compiled.binds
    names = list(compiled.positiontup or ()) if compiled.positional else list(binds)
    processors = [(name, binds[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect))
                  for name in names]
    missing = [name for name in names if name not in rows[0]]
    if missing:
        defaults = _defaults(stmt, missing)
        rows = [{**defaults, **row} for row in rows]
    params: list[Any]
    if compiled.positional:
        params = [tuple([p(row[n]) if p else row[n] for n, p in processors]) for row in rows]
    else:
        params = [{n: (p(row[n]) if p else row[n]) for n, p in processors} for row in rows]
    return int(conn.exec_driver_sql(str(compiled), params).rowcount)


def _defaults(stmt: Any, names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        default = stmt.table.c[name].default
        if default is None:
            values[name] = None
        elif default.is_scalar:
            values[name] = default.arg
        else:
            values[name] = default.arg(None)
    return values
