"""The import as it was before the parallel fast path (commit f852f46 services/importing/filing.py), kept
as the oracle the fast path is compared with (tests/integration/intake/test_fast_import.py). Two changes
since, made to both, so that what is filed does not depend on where chunks end (the staged
import's chunks are the workers' pieces): a chunk's rejections are kept in row order, and
within a chunk the first row of a person, payee or class stands, as it already did across
chunks.
The parts the fast path did not change (report types, file digest, write lock, claim ids,
conflict wording) are imported from services/importing/filing.py rather than copied.

Filing a claim file: read, validate, and write each chunk of rows in one transaction.

Per chunk: one IN query for the claim_ids already filed, claim rows and their first event
("" -> filed, hash-chained as services/nightly/moves.py chains every later one) inserted in bulk,
people, payees and classes upserted in bulk, every rejected row kept with its raw content.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from intake.keys import content_hash, person_key, record_values
from intake.readers import RawRow, read_rows
from intake.validate import FieldError, InvalidRecord, parse_record
from models.tables import (
    BATCH,
    CLAIM,
    CLASS,
    EVENT,
    PAYEE,
    PERSON,
    REJECTION,
)
from rules.record import RECORD_FIELDS, ClaimRecord
from services.access.actors import Actor
from services.access.roles import check_role
from services.importing.filing import (
    ImportReport,
    Rejection,
    _diff,
    _take_write_lock,
    allocate_claim_ids,
    file_sha256,
)
from services.nightly.moves import event_hash_v2, execute_many, money_text

FILED_DEFAULTS: dict[str, Any] = {
    "amount": None, "months_paid": None, "advance_amount": None, "advance_paid": Decimal("0"),
    "final_paid": Decimal("0"), "recovery_owed": Decimal("0"), "recovered": Decimal("0")}
"""A new claim's money columns the record does not give (the claim table's defaults)."""

CHUNK_ROWS = 5000
"""Product setting: rows validated and written per transaction."""

Key = tuple[str, str]


@dataclass(slots=True)
class _Chunk:
    """One chunk's rows sorted into what happens to them."""

    new: dict[Key, tuple[int, ClaimRecord, str]] = field(default_factory=dict)
    rejections: list[tuple[Rejection, RawRow]] = field(default_factory=list)
    against_stored: list[tuple[int, int, ClaimRecord]] = field(default_factory=list)
    """(index in rejections, stored claim's row id, this file's record) to describe"""
    skipped: int = 0


def import_file(engine: Engine, path: Path, *, actor: Actor, on: date,
                chunk_rows: int = CHUNK_ROWS,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """File every valid row of `path`; keep every other row as a rejection. See module doc."""
    check_role(actor)
    path = Path(path)
    warnings: list[str] = []
    rows = read_rows(path, known=RECORD_FIELDS, warnings=warnings)
    with engine.begin() as conn:
        batch_id = conn.execute(insert(BATCH).values(
            file_name=path.name[:500], file_sha256=file_sha256(path), actor=actor.name[:100],
            at=datetime.now(UTC)).returning(BATCH.c.id)).scalar_one()
    report = ImportReport(batch_id=batch_id, file_name=path.name, warnings=warnings)
    seen: dict[Key, int] = {}
    for chunk in _chunks(rows, chunk_rows):
        with engine.begin() as conn:
            _file_chunk(conn, chunk, report, seen, actor=actor, on=on)
        if progress:
            progress(len(chunk))
    return report


def _chunks(rows: Iterator[tuple[int, RawRow]], size: int) -> Iterator[list[tuple[int, RawRow]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _file_chunk(conn: Connection, chunk: list[tuple[int, RawRow]], report: ImportReport,
                seen: dict[Key, int], *, actor: Actor, on: date) -> None:
    _take_write_lock(conn, report.batch_id)
    parsed: list[tuple[int, RawRow, ClaimRecord]] = []
    sorted_rows = _Chunk()
    for number, raw in chunk:
        try:
            parsed.append((number, raw, parse_record(raw)))
        except InvalidRecord as exc:
            sorted_rows.rejections.append((Rejection(
                number, exc.claim_id, _raw_text(raw, "policy"), "invalid", tuple(exc.errors)), raw))
    existing = _existing(conn, [record for _, _, record in parsed])
    for number, raw, record in parsed:
        _classify(number, raw, record, existing, seen, sorted_rows)
    _describe_conflicts(conn, sorted_rows)
    sorted_rows.rejections.sort(key=lambda rejection: rejection[0].row)  # file order, however chunked
    filed = _insert_new(conn, sorted_rows.new, report.batch_id, actor=actor, on=on)
    _insert_rejections(conn, sorted_rows.rejections, report.batch_id)
    conflicts = sum(1 for r, _ in sorted_rows.rejections if r.kind == "conflict")
    rejected = len(sorted_rows.rejections) - conflicts
    conn.execute(update(BATCH).where(BATCH.c.id == report.batch_id).values(
        rows=BATCH.c.rows + len(chunk), filed=BATCH.c.filed + filed,
        skipped=BATCH.c.skipped + sorted_rows.skipped,
        conflicts=BATCH.c.conflicts + conflicts, rejected=BATCH.c.rejected + rejected))
    report.rows += len(chunk)
    report.filed += filed
    report.skipped += sorted_rows.skipped
    report.conflicts += conflicts
    report.rejected += rejected
    report.rejections.extend(r for r, _ in sorted_rows.rejections)


def _raw_text(raw: RawRow, name: str) -> str | None:
    value = raw.get(name)
    return value if isinstance(value, str) else None


def _existing(conn: Connection, records: Sequence[ClaimRecord]) -> dict[Key, tuple[int, str]]:
    """(policy, claim_id) -> (row id, content hash) of the chunk's claims already filed."""
    ids = {record.claim_id for record in records}
    if not ids:
        return {}
    rows = conn.execute(select(CLAIM.c.policy, CLAIM.c.claim_id, CLAIM.c.id, CLAIM.c.content_hash)
                        .where(CLAIM.c.claim_id.in_(ids)))
    return {(r.policy, r.claim_id): (r.id, r.content_hash) for r in rows}


def _classify(number: int, raw: RawRow, record: ClaimRecord,
              existing: dict[Key, tuple[int, str]], seen: dict[Key, int], out: _Chunk) -> None:
    key = (record.policy, record.claim_id)
    digest = content_hash(record_values(record))
    first = seen.get(key)
    if first is not None:
        earlier = out.new.get(key)
        same = (earlier[2] == digest) if earlier else (existing.get(key, (0, ""))[1] == digest)
        detail = "with the same content" if same else "with different content"
        if earlier and not same:
            detail += f" ({_diff(record_values(earlier[1]), record_values(record))})"
        out.rejections.append((Rejection(number, record.claim_id, record.policy, "conflict", (
            FieldError("claim_id", f"{record.claim_id!r} appears again in this file (first at row "
                                   f"{first}) {detail}; only the first row counts"),)), raw))
        return
    seen[key] = number
    found = existing.get(key)
    if found is None:
        out.new[key] = (number, record, digest)
    elif found[1] == digest:
        out.skipped += 1
    else:
        out.against_stored.append((len(out.rejections), found[0], record))
        out.rejections.append((Rejection(number, record.claim_id, record.policy, "conflict",
                                         ()), raw))


def _describe_conflicts(conn: Connection, chunk: _Chunk) -> None:
    """Name the differing fields of each conflict with an already-filed claim (one query)."""
    if not chunk.against_stored:
        return
    pks = {pk for _, pk, _ in chunk.against_stored}
    stored = {row.id: dict(row._mapping) for row in conn.execute(
        select(CLAIM.c.id, *(CLAIM.c[name] for name in RECORD_FIELDS)).where(CLAIM.c.id.in_(pks)))}
    for index, pk, record in chunk.against_stored:
        rejection, raw = chunk.rejections[index]
        message = (f"{record.claim_id!r} is already filed under {record.policy} with different "
                   f"content ({_diff(stored[pk], record_values(record))}); it was not changed "
                   "— correct a filed claim with `claims amend`")
        chunk.rejections[index] = (Rejection(rejection.row, rejection.claim_id, rejection.policy,
                                             "conflict", (FieldError("claim_id", message),)), raw)


def _insert_new(conn: Connection, new: dict[Key, tuple[int, ClaimRecord, str]], batch_id: int,
                *, actor: Actor, on: date) -> int:
    if not new:
        return 0
    now = datetime.now(UTC)
    ids = allocate_claim_ids(conn, len(new))
    claims: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for pk, (_, record, digest) in zip(ids, new.values(), strict=True):
        values = record_values(record)
        money = money_text({**FILED_DEFAULTS, **values})
        head = event_hash_v2("", pk, 1, "", "filed", "file", actor.name, actor.role, on, None, None, money)
        values["groups"] = ";".join(record.groups)
        values.update(id=pk, person_key=person_key(record.person_id), content_hash=digest,
                      import_batch_id=batch_id, state="filed", state_on=on, event_seq=1,
                      event_head=head, created_at=now, updated_at=now)
        claims.append(values)
        events.append({"claim_pk": pk, "seq": 1, "from_state": "", "to_state": "filed",
                       "trigger": "file", "actor": actor.name, "role": actor.role, "on": on,
                       "at": now, "run_id": None, "reason": None, "prev_hash": "", "hash": head,
                       "version": 2, "money": money})
    execute_many(conn, insert(CLAIM), claims)
    execute_many(conn, insert(EVENT), events)
    records = [record for _, record, _ in new.values()]
    records = list(reversed(records))  # the first row per key wins (below: the last one assigned)
    _upsert(conn, PERSON, ("person_id",),
            {r.person_id: {"person_id": r.person_id, "name": r.person_name} for r in records})
    _upsert(conn, PAYEE, ("payee_id",), {
        r.payee_id: {"payee_id": r.payee_id, "payee_type": r.payee_type, "name": r.payee_name,
                     "bank_account": r.bank_account} for r in records})
    _upsert(conn, CLASS, ("policy", "class_id"), {
        (r.policy, r.class_id): {
            "policy": r.policy, "class_id": r.class_id, "organizer": r.organizer,
            "payee_id": r.payee_id if r.payee_type != "individual" else None,
            "training_start": r.training_start, "training_end": r.training_end}
        for r in records if r.class_id})
    return len(claims)


def _upsert(conn: Connection, table: Any, keys: tuple[str, ...], rows: dict[Any, dict[str, Any]]) -> None:
    """Insert rows whose key is not there yet; the first filing of a person/payee/class stands."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, list(rows.values()))


def _insert_rejections(conn: Connection, rejections: list[tuple[Rejection, RawRow]],
                       batch_id: int) -> None:
    if not rejections:
        return
    conn.execute(insert(REJECTION), [{
        "batch_id": batch_id, "row_number": r.row,
        "claim_id": r.claim_id[:200] if r.claim_id else None,
        "policy": r.policy[:64] if r.policy else None, "kind": r.kind,
        "raw": json.dumps(raw, ensure_ascii=False),
        "errors": json.dumps([{"field": e.field, "message": e.message} for e in r.errors],
                             ensure_ascii=False),
    } for r, raw in rejections])
