"""Correcting and withdrawing filed claims before assessment, with their history kept; the payee
fields (name, account, bank) also on an approved or payment_failed claim (trigger amend_payee), so
that a claim set aside as payee_incomplete, or whose payment the bank failed, is paid after the
next night.

An amendment row names claim_id and policy and gives the fields to change; empty cells leave
a field as it is. The merged record is validated as a whole, the before/after values of the
changed fields go to the amendment table, and the `amend` trigger is written through
services/nightly/moves.py, so the claim's event chain shows it. Withdrawal fires `withdraw`; an
advance already paid becomes money owed back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.dialects import postgresql, sqlite

from intake.keys import canonical, content_hash, differences, person_key, record_values
from intake.messages import msg
from intake.readers import RawRow, read_rows
from intake.validate import FieldError, InvalidRecord, parse_record, text_problem
from models.tables import AMENDMENT, CLAIM, PAYMENT, PERSON
from rules.record import RECORD_FIELDS
from services.access.actors import Actor
from services.access.roles import check_role
from services.importing.filing import Rejection
from services.lookup import AmbiguousClaim, ClaimNotFound, find_claims, one_claim
from services.money.approval import void_unsent_orders
from services.money.payee_check import PAYEE_FIELDS
from services.money.recovery import money_out, recovery_rows
from services.nightly.moves import Move, plan_move, write_moves
from services.settings import chunk_size
from states.lifecycle import IllegalTransition, sources

IDENTIFYING = ("claim_id", "policy")
_LIFECYCLE_COLUMNS = ("id", "claim_id", "policy", "state", "advance_paid", "final_paid",
                      "recovery_owed", "event_seq", "event_head", "payee_type", "payee_id")
_COLUMNS = [CLAIM.c[name] for name in dict.fromkeys((*_LIFECYCLE_COLUMNS, *RECORD_FIELDS))]


class WithdrawRefused(Exception):
    """The claim cannot be withdrawn; the message names claim, state and trigger."""


@dataclass(slots=True)
class AmendReport:
    rows: int = 0
    amended: int = 0
    unchanged: int = 0
    refused: list[Rejection] = field(default_factory=list)


def amend_file(engine: Engine, path: Path, *, actor: Actor, on: date,
               chunk_rows: int | None = None) -> AmendReport:
    """Apply every valid correction of `path`; refuse the others with their reasons."""
    check_role(actor)
    rows = read_rows(Path(path), known=RECORD_FIELDS)
    report = AmendReport()
    seen: dict[tuple[str, str], int] = {}
    for chunk in _chunks(rows, chunk_rows or chunk_size()):
        with engine.begin() as conn:
            _amend_chunk(conn, chunk, report, seen, actor=actor, on=on)
    return report


def _chunks(rows: Iterator[tuple[int, RawRow]], size: int) -> Iterator[list[tuple[int, RawRow]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _refuse(report: AmendReport, number: int, raw: RawRow, *errors: FieldError) -> None:
    report.refused.append(Rejection(number, raw.get("claim_id"), raw.get("policy"), "amend",
                                    tuple(errors)))


VOIDING_FIELDS = ("payee_type", "payee_id", "payee_name", "bank_account", "bank_name")
"""a change to any of these voids the claim's unsent orders and their release"""


def _void_orders_of_payee_changes(conn: Connection, chunk: list[tuple[int, RawRow]],
                                  refs: list[tuple[str, str | None]], *, actor: Actor, on: date) -> None:
    """A payee change on a claim whose order was not sent yet voids that order and its batch's
    release (services/money/approval.void_unsent_orders): the claim waits as payment_failed, the next
    night orders it anew, and that batch needs a new release, which the amender may not give
    (services/access/roles.check_may_approve). Only a correction the amendment will accept voids:
    the row first in the file for its claim, its merged record valid, and what it changes only payee
    fields (`amend_payee`); a refused row leaves the order as it is."""
    if "payment_failed" not in sources("amend_payee"):
        return
    wanted: dict[tuple[str, str], RawRow] = {}
    for (_, raw), (c, p) in zip(chunk, refs, strict=True):
        if c and p and (c, p) not in wanted and any(raw.get(f) is not None for f in VOIDING_FIELDS):
            wanted[(c, p)] = raw
    if not wanted:
        return
    found = find_claims(conn, list(wanted), _COLUMNS)
    changed = [matches[0].id for key, raw in wanted.items()
               if len(matches := found.get(key, [])) == 1 and _payee_only_change(matches[0], raw)]
    if changed:
        void_unsent_orders(conn, changed, f"payee amended by {actor.name}", actor=actor, on=on)


def _payee_only_change(row: Any, raw: RawRow) -> bool:
    """Would `_amend_chunk` accept this row, changing a payee field of `row`, once its unsent order is
    voided (a paid claim then waits as payment_failed, where only payee fields may change)?"""
    before = {name: getattr(row, name) for name in RECORD_FIELDS}
    merged: dict[str, object] = {name: canonical(value) or None for name, value in before.items()}
    merged.update({k: v for k, v in raw.items() if v is not None and k in RECORD_FIELDS})
    try:
        record = parse_record(merged)
    except InvalidRecord:
        return False
    changed = differences(before, record_values(record))
    if not set(changed) & set(VOIDING_FIELDS):
        return False
    state = "payment_failed" if row.state == "paid" else row.state  # where voiding its order puts the claim
    return state in sources("amend") or (set(changed) <= set(PAYEE_FIELDS) and state in sources("amend_payee"))


def _amend_chunk(conn: Connection, chunk: list[tuple[int, RawRow]], report: AmendReport,
                 seen: dict[tuple[str, str], int], *, actor: Actor, on: date) -> None:
    report.rows += len(chunk)
    refs = [(raw.get("claim_id") or "", raw.get("policy")) for _, raw in chunk]
    _void_orders_of_payee_changes(conn, chunk, refs, actor=actor, on=on)
    found = find_claims(conn, [(c, p) for c, p in refs if c and p], _COLUMNS)
    moves: list[Move] = []
    amendments: list[dict[str, Any]] = []
    people: dict[str, dict[str, str]] = {}
    for (number, raw), (claim_id, policy) in zip(chunk, refs, strict=True):
        missing = [name for name in IDENTIFYING if not raw.get(name)]
        if missing:
            _refuse(report, number, raw, *(FieldError(n, msg("row.amend_identify", "en"))
                                           for n in missing))
            continue
        assert policy is not None
        matches = found.get((claim_id, policy), [])
        if not matches:
            _refuse(report, number, raw, FieldError(
                "claim_id", msg("row.amend_no_claim", "en", claim_id=claim_id, policy=policy)))
            continue
        if (policy, claim_id) in seen:
            _refuse(report, number, raw, FieldError(
                "claim_id", msg("row.amend_again", "en", claim_id=claim_id, first=seen[(policy, claim_id)])))
            continue
        seen[(policy, claim_id)] = number
        row = matches[0]
        before = {name: getattr(row, name) for name in RECORD_FIELDS}
        merged: dict[str, object] = {name: canonical(value) or None for name, value in before.items()}
        merged.update({k: v for k, v in raw.items() if v is not None and k in RECORD_FIELDS})
        try:
            record = parse_record(merged)
        except InvalidRecord as exc:
            _refuse(report, number, raw, *exc.errors)
            continue
        after = record_values(record)
        changed = differences(before, after)
        if not changed:
            report.unchanged += 1
            continue
        # after assessment only the payee may be corrected, on an approved or payment_failed claim
        payee_only = set(changed) <= set(PAYEE_FIELDS) and row.state in sources("amend_payee")
        try:
            changes = _changes(changed, after)
            if row.state == "filed":
                changes["advance_amount"] = None  # the advance is decided again on the corrected facts
            move = plan_move(row, "amend_payee" if payee_only else "amend", reason="amended: " + ", ".join(changed),
                             **changes)
        except IllegalTransition as exc:
            _refuse(report, number, raw, FieldError(
                "claim_id", msg("row.amend_too_late", "en", problem=exc, fields=", ".join(PAYEE_FIELDS))))
            continue
        moves.append(move)
        amendments.append({
            "claim_pk": row.id, "actor": actor.name, "on": on,
            "before": json.dumps({n: canonical(before[n]) for n in changed}, ensure_ascii=False),
            "after": json.dumps({n: canonical(after[n]) for n in changed}, ensure_ascii=False)})
        people[record.person_id] = {"person_id": record.person_id, "name": record.person_name}
    write_moves(conn, moves, actor=actor, on=on)
    if amendments:
        conn.execute(insert(AMENDMENT), amendments)
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(PERSON).on_conflict_do_nothing(index_elements=["person_id"]),
                     list(people.values()))
    report.amended += len(moves)


def _changes(changed: list[str], after: dict[str, Any]) -> dict[str, Any]:
    values = {name: after[name] for name in changed}
    if "groups" in values:
        values["groups"] = ";".join(values["groups"])
    if "person_id" in values:
        values["person_key"] = person_key(after["person_id"])
    values["content_hash"] = content_hash(after)
    return values


def withdraw_claim(engine: Engine, claim_id: str, *, policy: str | None, reason: str,
                   actor: Actor, on: date) -> str:
    """Fire `withdraw` on one claim; returns its new state."""
    check_role(actor)
    if not reason.strip():
        raise WithdrawRefused("a withdrawal needs --reason")
    if problem := text_problem("reason", reason, free=True):
        raise WithdrawRefused(problem)
    with engine.begin() as conn:
        try:
            row = one_claim(conn, claim_id, policy)
        except (ClaimNotFound, AmbiguousClaim) as exc:
            raise WithdrawRefused(str(exc)) from None
        owed = money_out(row)
        changes = {"recovery_owed": row.recovery_owed + owed} if owed > 0 else {}
        try:
            move = plan_move(row, "withdraw", reason=reason, **changes)
        except IllegalTransition as exc:
            raise WithdrawRefused(f"{exc}; claims can be withdrawn only before assessment") from None
        payments = recovery_rows(conn, [(row, owed, f"withdrawn: {reason}")], on) if owed > 0 else []
        if payments:
            conn.execute(insert(PAYMENT), payments)
        write_moves(conn, [move], actor=actor, on=on)
        return move.to_state

