"""The floor's one tool: move every claim a WHERE clause selects by one transition, set-based.

A transition is three statements whatever the number of claims: CREATE TEMP TABLE … AS SELECT
(the moves, with the new column values and the event hashes), INSERT … SELECT into claim_event,
UPDATE claim … FROM the temp table. The event hash is the
product's (services.nightly.moves.event_hash) computed in SQL: PostgreSQL's sha256(), on SQLite the
same function registered on the connection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, text

from services.access.actors import Actor
from services.nightly.moves import MONEY_FIELDS

SEP = "'|'"


def register_sha256(engine: Engine) -> None:
    """Give SQLite connections sha256_hex(text) (PostgreSQL has sha256 built in)."""
    if engine.dialect.name != "sqlite":
        return

    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function(
            "sha256_hex", 1, lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest(), deterministic=True)

    event.listen(engine, "connect", _on_connect)


def sha256_sql(conn: Connection, expr: str) -> str:
    if conn.dialect.name == "postgresql":
        return f"encode(sha256(convert_to({expr}, 'UTF8')), 'hex')"
    return f"sha256_hex({expr})"


def analyze(conn: Connection, table: str, *columns: str) -> None:
    """Give PostgreSQL's planner the statistics of a table the floor just filled (it has none
    until autovacuum gets there — never, for a temp table — and plans joins on guesses); SQLite
    needs none here. `columns`: only those (the ones joined on), not every wide text column."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {table}{' (' + ', '.join(columns) + ')' if columns else ''}"))


def index(conn: Connection, table: str, *columns: str, unique: bool = True) -> None:
    """An index on a temp table the floor joins to by these columns: without one PostgreSQL can
    only scan it (a nested loop over a mis-estimated outer side rescans it per row)."""
    name = f"{table}_{'_'.join(columns)}"
    conn.execute(text(f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table} ({', '.join(columns)})"))


def as_text(expr: str) -> str:
    return f"CAST({expr} AS VARCHAR)"


def yuan(expr: str) -> str:
    """A non-negative amount in fen (an integer expression) as the product writes yuan in event
    reasons: 2000.00, 0.50."""
    return (f"{as_text(f'({expr}) / 100')} || '.' || "
            f"SUBSTR({as_text(f'100 + ({expr}) % 100')}, 2, 2)")


MONEY_KIND = {"amount": "yuan", "advance_amount": "yuan", "advance_paid": "yuan", "final_paid": "yuan",
              "recovery_owed": "yuan", "recovered": "yuan", "months_paid": "int", "months": "int", "days": "int"}


def money_sql(values: Mapping[str, str]) -> str:
    """The product's event money snapshot (services.nightly.moves.money_text) of the SQL expressions
    `values` (per money column; amounts in fen): '|'-joined, NULL as ''."""
    parts = []
    for col in MONEY_FIELDS:
        expr, kind = values[col], MONEY_KIND.get(col, "text")
        shown = yuan(expr) if kind == "yuan" else as_text(expr) if kind == "int" else expr
        parts.append(f"COALESCE({shown}, '')")
    return f" || {SEP} || ".join(parts)


def payment_hash_sql(conn: Connection, *, pk: str, kind: str, attempt: str, amount: str, key: str,
                     payee_type: str, payee_id: str, on_text: str) -> str:
    """services.nightly.moves.payment_hash in SQL (amount in fen)."""
    text_ = f" || {SEP} || ".join(["'p1'", as_text(pk), kind, as_text(attempt), yuan(amount), key, payee_type,
                                   payee_id, on_text])
    return sha256_sql(conn, text_)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def transition(conn: Connection, *, source: str, where: str, to_state: str, trigger: str, reason: str,
               actor: Actor, on: date, run_id: str | None, sets: Mapping[str, str] | None = None,
               params: Mapping[str, Any] | None = None) -> int:
    """Move the claims `c` of `source` (a FROM clause) matching `where` to `to_state` (an SQL
    expression). `sets` maps claim columns to SQL expressions over the same FROM clause."""
    sets = dict(sets or {})
    sets.setdefault("set_aside_step", "CAST(NULL AS VARCHAR)")
    sets.setdefault("set_aside_reason", "CAST(NULL AS VARCHAR)")
    bind = {"t_trigger": trigger, "t_actor": actor.name, "t_role": actor.role, "t_on": on,
            "t_on_text": on.isoformat(), "t_run": run_id or "", "t_at": now(), **(params or {})}
    extra = "".join(f", {expr} AS x_{col}" for col, expr in sets.items())
    money = money_sql({col: sets.get(col, f"c.{col}") for col in MONEY_FIELDS})
    chain = f" || {SEP} || ".join([
        "'2'", "m.head", as_text("m.id"), as_text("m.seq"), "m.from_state", "m.to_state", as_text(":t_trigger"),
        as_text(":t_actor"), as_text(":t_role"), as_text(":t_on_text"), as_text(":t_run"),
        "COALESCE(m.reason, '')", "m.money"])
    conn.execute(text("DROP TABLE IF EXISTS floor_move"))
    # the event hash computed as the moves are selected (an UPDATE of the temp table after it
    # rewrote every row once more); MATERIALIZED so that neither database inlines the reason and
    # money expressions into the hash and computes them twice
    conn.execute(text(
        "CREATE TEMP TABLE floor_move AS WITH m AS MATERIALIZED ("
        f"SELECT c.id AS id, c.event_seq + 1 AS seq, c.event_head AS head, "
        f"c.state AS from_state, {to_state} AS to_state, {reason} AS reason, "
        f"{money} AS money{extra} FROM {source} WHERE {where}) "
        f"SELECT m.*, {sha256_sql(conn, chain)} AS hash FROM m"), bind)
    moved = conn.execute(text("SELECT count(*) FROM floor_move")).scalar_one()
    if not moved:
        return 0
    analyze(conn, "floor_move", "id")  # its row count, and id for the join below
    conn.execute(text(
        'INSERT INTO claim_event (claim_pk, seq, from_state, to_state, "trigger", actor, role, "on", at, '
        "run_id, reason, prev_hash, hash, version, money) SELECT id, seq, from_state, to_state, :t_trigger, "
        ":t_actor, :t_role, :t_on, :t_at, :t_run_or_null, reason, head, hash, 2, money FROM floor_move"),
        {**bind, "t_run_or_null": run_id})
    assignments = ", ".join(
        ["state = floor_move.to_state", "state_on = :t_on", "event_seq = floor_move.seq",
         "event_head = floor_move.hash", "updated_at = :t_at"]
        + [f"{col} = floor_move.x_{col}" for col in sets])
    conn.execute(text(f"UPDATE claim SET {assignments} FROM floor_move WHERE claim.id = floor_move.id"), bind)
    conn.execute(text("DROP TABLE floor_move"))
    return int(moved)
