"""Filing a claim file: read and validate every row, write each chunk of rows in one transaction
(staged pieces: several per transaction, `STAGED_PIECES_PER_TRANSACTION`).

Rows are read and validated (intake/columns.py, falling back to `intake/validate.py:parse_values`)
in worker processes for a large CSV file while this process writes (services/importing/filing_pool.py).
Per chunk: one query for the claim_ids already filed, claim rows inserted with the driver's
executemany (PostgreSQL: COPY) — or, on SQLite with the worker pool, copied with one INSERT …
SELECT from the stage file the workers wrote (services/importing/filing_stage.py) — their first event
("" -> filed, hash-chained as services/nightly/moves.py chains every later one) with one INSERT …
SELECT, people, payees and classes upserted in bulk, every rejected row kept with its raw
content.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from heapq import merge
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    column,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
    text,
    update,
)

from intake.keys import canonical, differences
from intake.messages import msg
from intake.screen import (
    CLAIM_ID,
    DIGEST,
    NUMBER,
    POLICY,
    ScreenedRow,
    csv_raw,
    csv_records,
    raw_json,
    stored_canonical,
)
from intake.validate import FieldError, show
from models.tables import (
    BATCH,
    CLAIM,
    CLASS,
    EVENT,
    PAYEE,
    PERSON,
    REJECTION,
)
from rules.record import RECORD_FIELDS
from services.access.actors import Actor
from services.access.roles import check_role
from services.importing.advances import advance_warnings, unpayable_advances
from services.importing.filing_pool import Batch, screened_batches
from services.importing.filing_stage import SCHEMA as STAGE
from services.nightly.moves import EVENT_FORMAT, filing_event_heads, filing_money
from services.settings import chunk_size

NEW_CLAIM = table("new_claim", column("line"), column("id"), column("event_head"), column("money"),
                  schema="temp")
"""A staged batch's new claims: stage line, claim id, first event's hash and money as filed
(`_insert_staged`); ids rise with lines."""

CLAIM_COLUMNS = ("id", *RECORD_FIELDS, "person_key", "content_hash", "event_head")
"""The claim columns of a new claim's row tuple: id, a screened row's values, hash, head."""
(_POLICY, _PERSON_ID, _PERSON_NAME, _PAYEE_ID, _PAYEE_TYPE, _PAYEE_NAME, _BANK_ACCOUNT,
 _CLASS_ID, _ORGANIZER, _TRAINING_START, _TRAINING_END, _MONTHS, _DAYS) = (RECORD_FIELDS.index(name) for name in (
    "policy", "person_id", "person_name", "payee_id", "payee_type", "payee_name", "bank_account",
    "class_id", "organizer", "training_start", "training_end", "months", "days"))
SQLITE_IN_LIMIT = 30000
"""Bound parameters per SQLite IN list (SQLite allows 32,766)."""

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Rejection:
    row: int
    claim_id: str | None
    policy: str | None
    kind: str
    """invalid | conflict"""
    errors: tuple[FieldError, ...]


@dataclass(slots=True)
class ImportReport:
    batch_id: int
    file_name: str
    rows: int = 0
    filed: int = 0
    skipped: int = 0
    conflicts: int = 0
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.rejected == 0 and self.conflicts == 0


@dataclass(slots=True)
class _Chunk:
    """One chunk's rows sorted into what happens to them."""

    header: list[str] | None
    """the CSV header (to recover a conflicting row's raw content from its text)"""
    new: dict[Key, ScreenedRow] = field(default_factory=dict)
    rejections: list[tuple[Rejection, str]] = field(default_factory=list)
    """each with the row's raw content as JSON"""
    against_stored: list[tuple[int, int, ScreenedRow]] = field(default_factory=list)
    """(index in rejections, stored claim's row id, this file's row) to describe"""
    skipped: int = 0


def file_sha256(path: Path) -> str:
    """The file's sha256 (the import hashes it in a thread while this one checks and cuts the
    file: hashlib lets go of the GIL on large blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def import_file(engine: Engine, path: Path, *, actor: Actor, on: date,
                chunk_rows: int | None = None,
                progress: Callable[[int], None] | None = None,
                workers: int | None = None) -> ImportReport:
    """File every valid row of `path`; keep every other row as a rejection. See module doc.

    `workers`: processes that read and validate a large CSV file while this one writes
    (services/importing/filing_pool.py); default one per CPU, 1 = everything in this process.
    """
    check_role(actor)
    path = Path(path)
    warnings: list[str] = []
    with ExitStack() as stack:
        stage_dir = (Path(stack.enter_context(TemporaryDirectory(prefix="claims-import-")))
                     if engine.dialect.name == "sqlite" else None)
        digest = stack.enter_context(ThreadPoolExecutor(1)).submit(file_sha256, path)
        header, batches = screened_batches(path, known=RECORD_FIELDS, warnings=warnings,
                                           size=chunk_rows or chunk_size(), workers=workers, stage_dir=stage_dir)
        first = list(islice(batches, 1))  # the workers go on while the file's hash is awaited
        with engine.begin() as conn:
            batch_id = conn.execute(insert(BATCH).values(
                file_name=path.name[:500], file_sha256=digest.result(), actor=actor.name[:100],
                at=datetime.now(UTC)).returning(BATCH.c.id)).scalar_one()
        report = ImportReport(batch_id=batch_id, file_name=path.name, warnings=warnings)
        seen: dict[Key, int] = {}
        filed_here = _FiledHere()
        with engine.connect() as conn, _bulk_settings(conn), _StagedTransaction(conn) as staged:
            for batch in chain(first, batches):
                if batch.stage is None:
                    staged.commit()
                    with conn.begin():
                        _file_chunk(conn, batch.rows, report, seen, header, actor=actor, on=on)
                else:
                    _file_staged(conn, staged.attach(batch), batch, report, seen, filed_here,
                                 header, actor=actor, on=on)
                    staged.commit_when_full()
                if progress:
                    progress(batch.size)
            staged.commit()
    report.warnings.extend(advance_warnings(unpayable_advances(engine, batch_id)))
    return report


IMPORT_CACHE_KIB = 262144
"""Product setting: SQLite page cache of the importing connection: the claim indexes of a
large database and a whole transaction's new pages (services/importing/filing_pool.py PIECE_LINES ×
STAGED_PIECES_PER_TRANSACTION rows) stay in memory while a file is filed, none spilled into
the WAL before the commit."""
IMPORT_CHECKPOINT_PAGES = 16384
"""Product setting: WAL pages (64 MB at models/db.py SQLITE_PAGE_BYTES) before SQLite
checkpoints during an import (default 1,000: a checkpoint after nearly every chunk)."""


IMPORT_PRAGMAS = {"cache_size": -IMPORT_CACHE_KIB, "wal_autocheckpoint": IMPORT_CHECKPOINT_PAGES,
                  "temp_store": 2}
"""The importing connection's SQLite settings while it imports (temp_store 2: MEMORY)."""


@contextmanager
def _bulk_settings(conn: Connection) -> Iterator[None]:
    """SQLite: the importing connection's page cache, checkpoint interval and temporary
    storage for the import, then its own again (the connection goes back to the pool). The
    import's temporary table, `temp.new_claim` (three columns of a piece's new claims), is
    kept in memory, not in a temporary file; changing the setting drops the connection's
    temporary tables, which every user creates again when it needs one."""
    driver = conn.connection.driver_connection
    if conn.dialect.name != "sqlite" or driver is None:
        yield
        return
    own = {name: int(driver.execute(f"PRAGMA {name}").fetchone()[0]) for name in IMPORT_PRAGMAS}
    for name, value in IMPORT_PRAGMAS.items():
        driver.execute(f"PRAGMA {name}={value}")
    try:
        yield
    finally:
        for name, value in own.items():
            driver.execute(f"PRAGMA {name}={value}")


STAGED_PIECES_PER_TRANSACTION = 8
"""Product setting: staged pieces filed in one transaction (SQLite attaches at most 10 files).
Fewer commits write the pages a piece's random keys touch (the claim indexes, people) fewer
times into the WAL."""


class _StagedTransaction:
    """The transaction staged pieces are filed in: a piece's stage file is ATTACHed inside it
    (as stage0, stage1, ...), and after STAGED_PIECES_PER_TRANSACTION pieces it is committed,
    the files DETACHed and deleted. On an error everything since the last commit is rolled
    back and its stage files deleted."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.transaction: Any = None
        self.attached: list[Path] = []

    def __enter__(self) -> _StagedTransaction:
        return self

    def attach(self, batch: Batch) -> str:
        """Attach the batch's stage file in the open transaction (begun here if none is); its
        schema name."""
        assert batch.stage is not None
        if self.transaction is None:
            self.transaction = self.conn.begin()
        schema = f"{STAGE}{len(self.attached)}"
        self._driver().execute(f"ATTACH DATABASE ? AS {schema}", (str(batch.stage),))
        self.attached.append(batch.stage)
        return schema

    def commit_when_full(self) -> None:
        if len(self.attached) >= STAGED_PIECES_PER_TRANSACTION:
            self.commit()

    def commit(self) -> None:
        if self.transaction is not None:
            self.transaction.commit()
        self._release()

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self.transaction is not None and self.transaction.is_active:
            self.transaction.rollback()
        self._release()

    def _release(self) -> None:
        self.transaction = None
        for index, path in enumerate(self.attached):
            self._driver().execute(f"DETACH DATABASE {STAGE}{index}")
            path.unlink(missing_ok=True)
        self.attached = []

    def _driver(self) -> Any:
        return self.conn.connection.driver_connection


class _FiledHere:
    """The claims this import filed from staged batches whose valid rows were all claims met
    for the first time (the common case): per batch its first claim id and its valid rows'
    numbers, the claims' ids following the rows. Such claims are not noted in the import's
    `seen` one by one; `first_rows` gives `seen`'s entries for those a later batch meets
    again (any claim met before is in the claim table, found by `_existing_staged`)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.rows: list[array[int]] = []

    def add(self, first_id: int, rows: list[int]) -> None:
        self.starts.append(first_id)
        self.rows.append(array("q", rows))

    def first_rows(self, found: dict[Key, tuple[int, str]]) -> dict[Key, int]:
        """The row number of each claim in `found` (claim -> (id, content hash)) that is one
        of them."""
        out: dict[Key, int] = {}
        for key, (pk, _) in found.items():
            at = bisect_right(self.starts, pk) - 1
            if at >= 0 and pk - self.starts[at] < len(self.rows[at]):
                out[key] = self.rows[at][pk - self.starts[at]]
        return out


def _file_staged(conn: Connection, schema: str, batch: Batch, report: ImportReport,
                 seen: dict[Key, int], filed_here: _FiledHere, header: list[str] | None, *,
                 actor: Actor, on: date) -> None:
    """A staged batch, its stage file ATTACHed as `schema` in the open transaction. When none
    of its claims is in the claim table yet (so none was met earlier in the file either) and
    they are all different, its valid rows are new claims, filed without reading them back;
    else its rows are read back from the stage file and sorted one by one, as a batch that
    was not staged."""
    _take_write_lock(conn, report.batch_id)
    existing = _existing_staged(conn, schema)
    if not existing and batch.distinct:
        _file_first_sight(conn, schema, batch, report, filed_here, actor=actor, on=on)
        return
    seen.update(filed_here.first_rows(existing))
    rows = list(merge(batch.rows, _staged_claims(conn, schema), key=itemgetter(NUMBER)))
    chunk = _with_staged_values(conn, schema, batch, rows, seen, existing, header)
    _file_chunk(conn, chunk, report, seen, header, actor=actor, on=on, existing=existing,
                stage=schema, moneys=dict(zip(batch.valid, batch.moneys, strict=True)))


def _staged_claims(conn: Connection, schema: str) -> list[ScreenedRow]:
    """The valid rows of the stage file ATTACHed as `schema` as screened rows without values:
    (row number, policy, claim_id, content hash), in file order."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"SELECT line, policy, claim_id, content_hash FROM {schema}.stage ORDER BY line")
    rows: list[ScreenedRow] = [(number, policy, claim_id, digest, None, None, None)
                               for number, policy, claim_id, digest in cursor.fetchall()]
    cursor.close()
    return rows


def _file_first_sight(conn: Connection, schema: str, batch: Batch, report: ImportReport,
                      filed_here: _FiledHere, *, actor: Actor, on: date) -> None:
    """A staged batch whose valid rows are all new claims."""
    rejections = _invalid(batch.rows)
    ids = _insert_new_staged(conn, schema, batch.valid, batch.moneys, report.batch_id, actor=actor, on=on)
    if ids:
        filed_here.add(ids[0], batch.valid)
    _insert_rejections(conn, rejections, report.batch_id)
    _count(conn, report, batch.size, filed=len(ids), skipped=0, rejections=rejections)


def _invalid(chunk: list[ScreenedRow]) -> list[tuple[Rejection, str]]:
    """The rejections of the rows screening found invalid, with their raw content as JSON."""
    return [(Rejection(number, claim_id, policy, "invalid",
                       tuple(FieldError(name, message) for name, message in errors or ())), raw)
            for number, policy, claim_id, digest, _, errors, raw in chunk if digest is None]


def _with_staged_values(conn: Connection, schema: str, batch: Batch, rows: list[ScreenedRow],
                        seen: dict[Key, int], stored: dict[Key, tuple[int, str]],
                        header: list[str] | None) -> list[ScreenedRow]:
    """The batch's `rows`, those that may be a conflict given their values and raw content
    back (read from the stage file and the piece)."""
    wanted = _may_conflict(rows, seen, stored)
    if not wanted:
        return rows
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    lines = sorted(wanted)
    values: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(lines), SQLITE_IN_LIMIT):
        part = lines[start:start + SQLITE_IN_LIMIT]
        cursor.execute(f"SELECT * FROM {schema}.stage WHERE line IN ({','.join('?' * len(part))})", part)
        values.update((line, tuple(rest[:-1])) for line, *rest in cursor.fetchall())
    cursor.close()
    texts = {number: text for number, _, text in csv_records(header or [], batch.lines(), batch.first)
             if number in wanted}
    return [(number, policy, claim_id, digest, values[number], errors, texts[number])
            if number in wanted else row
            for row in rows
            for number, policy, claim_id, digest, _, errors, _ in (row,)]


def _may_conflict(rows: list[ScreenedRow], seen: dict[Key, int],
                  stored: dict[Key, tuple[int, str]]) -> set[int]:
    """Row numbers of the valid rows that may be a conflict: a claim met earlier in the file,
    filed before with other content, or met twice in these rows (both)."""
    wanted: set[int] = set()
    first: dict[Key, int] = {}
    for number, policy, claim_id, digest, _, _, _ in rows:
        if digest is None:
            continue
        key = (policy or "", claim_id or "")
        found = stored.get(key)
        if key in seen or (found is not None and found[1] != digest):
            wanted.add(number)
        earlier = first.setdefault(key, number)
        if earlier != number:
            wanted.update((earlier, number))
    return wanted


def _first_sight(rows: list[ScreenedRow], seen: dict[Key, int], filed: dict[Key, Any]
                 ) -> tuple[list[ScreenedRow], list[Key]] | None:
    """The valid rows and their keys when each is a claim met for the first time: not earlier
    in the file, not filed before, once in these rows — the common case, told by set
    operations instead of row by row; else None."""
    valid = [row for row in rows if row[DIGEST] is not None]
    keys: list[Key] = list(zip(map(itemgetter(POLICY), valid), map(itemgetter(CLAIM_ID), valid),
                               strict=True))
    if filed or len(set(keys)) != len(keys) or not seen.keys().isdisjoint(keys):
        return None
    return valid, keys


def _file_chunk(conn: Connection, chunk: list[ScreenedRow], report: ImportReport,
                seen: dict[Key, int], header: list[str] | None, *, actor: Actor,
                on: date, existing: dict[Key, tuple[int, str]] | None = None,
                stage: str | None = None, moneys: dict[int, str] | None = None) -> None:
    """`existing`: the chunk's claims already filed, read under the write lock this transaction
    already holds (else both are done here); `stage`: the schema its valid rows are in (an
    ATTACHed stage file), `moneys` their money as filed by row number."""
    if existing is None:
        _take_write_lock(conn, report.batch_id)
        existing = _existing(conn, {claim_id for _, _, claim_id, digest, _, _, _ in chunk
                                    if digest is not None and claim_id is not None})
    sorted_rows = _Chunk(header)
    sorted_rows.rejections.extend(_invalid(chunk))
    fresh = _first_sight(chunk, seen, existing)
    if fresh is not None:
        valid, keys = fresh
        sorted_rows.new.update(zip(keys, valid, strict=True))
        seen.update(zip(keys, map(itemgetter(NUMBER), valid), strict=True))
    else:
        for row in chunk:
            if row[DIGEST] is not None:
                _classify(row, existing, seen, sorted_rows)
    _describe_conflicts(conn, sorted_rows)
    sorted_rows.rejections.sort(key=lambda rejection: rejection[0].row)  # file order, however chunked
    if stage is not None:
        lines = [number for number, *_ in sorted_rows.new.values()]
        assert moneys is not None
        filed = len(_insert_new_staged(conn, stage, lines, [moneys[line] for line in lines],
                                       report.batch_id, actor=actor, on=on))
    else:
        filed = _insert_new(conn, sorted_rows.new, report.batch_id, actor=actor, on=on)
    _insert_rejections(conn, sorted_rows.rejections, report.batch_id)
    _count(conn, report, len(chunk), filed=filed, skipped=sorted_rows.skipped,
           rejections=sorted_rows.rejections)


def _count(conn: Connection, report: ImportReport, rows: int, *, filed: int, skipped: int,
           rejections: list[tuple[Rejection, str]]) -> None:
    """Add a chunk's outcome to the batch row and the report."""
    conflicts = sum(1 for r, _ in rejections if r.kind == "conflict")
    rejected = len(rejections) - conflicts
    conn.execute(update(BATCH).where(BATCH.c.id == report.batch_id).values(
        rows=BATCH.c.rows + rows, filed=BATCH.c.filed + filed,
        skipped=BATCH.c.skipped + skipped,
        conflicts=BATCH.c.conflicts + conflicts, rejected=BATCH.c.rejected + rejected))
    report.rows += rows
    report.filed += filed
    report.skipped += skipped
    report.conflicts += conflicts
    report.rejected += rejected
    report.rejections.extend(r for r, _ in rejections)


def _take_write_lock(conn: Connection, batch_id: int) -> None:
    """Start the chunk with a write so SQLite serialises writers before ids are read."""
    conn.execute(update(BATCH).where(BATCH.c.id == batch_id).values(rows=BATCH.c.rows))


def _existing(conn: Connection, claim_ids: set[str]) -> dict[Key, tuple[int, str]]:
    """(policy, claim_id) -> (row id, content hash) of the chunk's claims already filed."""
    if not claim_ids:
        return {}
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    columns = "SELECT policy, claim_id, id, content_hash FROM claim WHERE claim_id "
    if conn.dialect.name == "postgresql":
        cursor.execute(columns + "= ANY(%s)", (list(claim_ids),))
        found = cursor.fetchall()
    else:
        found = []
        ids = list(claim_ids)
        for start in range(0, len(ids), SQLITE_IN_LIMIT):
            part = ids[start:start + SQLITE_IN_LIMIT]
            cursor.execute(columns + f"IN ({','.join('?' * len(part))})", part)
            found.extend(cursor.fetchall())
    cursor.close()
    return {(policy, claim_id): (pk, digest) for policy, claim_id, pk, digest in found}


def _existing_staged(conn: Connection, schema: str) -> dict[Key, tuple[int, str]]:
    """`_existing` for a staged batch: its claims already filed, by a join with the stage file."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"SELECT c.policy, c.claim_id, c.id, c.content_hash FROM {schema}.stage s "
                   "JOIN claim c ON c.policy = s.policy AND c.claim_id = s.claim_id")
    found = cursor.fetchall()
    cursor.close()
    return {(policy, claim_id): (pk, digest) for policy, claim_id, pk, digest in found}


def _raw_json(source: Any, header: list[str] | None) -> str:
    """The raw content of a valid row (for a conflict) as import_rejection.raw holds it."""
    if isinstance(source, str) and header is not None:
        return raw_json(csv_raw(header, source))
    return raw_json(source)


def _classify(row: ScreenedRow, existing: dict[Key, tuple[int, str]], seen: dict[Key, int],
              out: _Chunk) -> None:
    number, policy, claim_id, digest, _, _, raw = row
    key: Key = (policy or "", claim_id or "")
    first = seen.get(key)
    if first is not None:
        earlier = out.new.get(key)
        same = (earlier[3] == digest) if earlier else (existing.get(key, (0, ""))[1] == digest)
        if same:
            message = msg("row.repeated_same", "en", claim_id=repr(claim_id), first=first)
        elif earlier:
            message = msg("row.repeated_changed", "en", claim_id=repr(claim_id), first=first,
                          diff=_diff(_values(earlier), _values(row)))
        else:
            message = msg("row.repeated_different", "en", claim_id=repr(claim_id), first=first)
        out.rejections.append((Rejection(number, claim_id, policy, "conflict", (
            FieldError("claim_id", message),)),
            _raw_json(raw, out.header)))
        return
    seen[key] = number
    found = existing.get(key)
    if found is None:
        out.new[key] = row
    elif found[1] == digest:
        out.skipped += 1
    else:
        out.against_stored.append((len(out.rejections), found[0], row))
        out.rejections.append((Rejection(number, claim_id, policy, "conflict", ()),
                               _raw_json(raw, out.header)))


def _values(row: ScreenedRow) -> dict[str, str]:
    return stored_canonical(row[4] or ())


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    parts = []
    for name in differences(before, after):
        old, new = canonical(before[name]), canonical(after[name])
        old = show(name, old) if old else msg("row.empty", "en")
        new = show(name, new) if new else msg("row.empty", "en")
        parts.append(msg("row.diff", "en", field=name, old=old, new=new))
    return "; ".join(parts)


def _describe_conflicts(conn: Connection, chunk: _Chunk) -> None:
    """Name the differing fields of each conflict with an already-filed claim (one query)."""
    if not chunk.against_stored:
        return
    pks = {pk for _, pk, _ in chunk.against_stored}
    stored = {row.id: dict(row._mapping) for row in conn.execute(
        select(CLAIM.c.id, *(CLAIM.c[name] for name in RECORD_FIELDS)).where(CLAIM.c.id.in_(pks)))}
    for index, pk, row in chunk.against_stored:
        rejection, raw = chunk.rejections[index]
        message = msg("row.already_filed", "en", claim_id=repr(rejection.claim_id),
                      policy=rejection.policy, diff=_diff(stored[pk], _values(row)))
        chunk.rejections[index] = (Rejection(rejection.row, rejection.claim_id, rejection.policy,
                                             "conflict", (FieldError("claim_id", message),)), raw)


def allocate_claim_ids(conn: Connection, count: int) -> list[int]:
    """`count` fresh claim primary keys, so events can be chained before the claims exist.

    PostgreSQL: from the column's sequence. SQLite: after max(id), safe because the chunk's
    transaction already holds SQLite's single write lock (`_take_write_lock`).
    """
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        return list(conn.execute(text(
            "SELECT nextval(pg_get_serial_sequence('claim', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}).scalars())
    if conn.dialect.name == "sqlite":
        top = conn.execute(select(func.max(CLAIM.c.id))).scalar() or 0
        return list(range(top + 1, top + 1 + count))
    raise NotImplementedError(f"claim ids on {conn.dialect.name}")


def _insert_new(conn: Connection, new: dict[Key, ScreenedRow], batch_id: int,
                *, actor: Actor, on: date) -> int:
    """Claim rows by the driver's executemany / COPY of plain tuples, their first events with
    one INSERT … SELECT, people/payees/classes upserted."""
    if not new:
        return 0
    now = datetime.now(UTC)
    ids = allocate_claim_ids(conn, len(new))
    heads = filing_event_heads(ids, [_filed_money(values) if values is not None else ""
                                     for _, _, _, _, values, _, _ in new.values()],
                               actor, on)
    _insert_rows(conn, CLAIM, CLAIM_COLUMNS, [
        (pk, *values, digest, head)
        for pk, (_, _, _, digest, values, _, _), head in zip(ids, new.values(), heads, strict=True)
        if values is not None], _new_claim_constants(batch_id, on, now))
    _insert_first_events(conn, CLAIM, actor, on, now, money=FILED_MONEY_SQL, where=(
        CLAIM.c.id.between(ids[0], ids[-1]) if ids == list(range(ids[0], ids[-1] + 1))
        else CLAIM.c.id.in_(ids)))
    values = [v for _, _, _, _, v, _, _ in new.values() if v is not None]
    _upsert(conn, PERSON, ("person_id", "name"), 1,
            _first_per_key((v[_PERSON_ID], (v[_PERSON_ID], v[_PERSON_NAME])) for v in values))
    _upsert(conn, PAYEE, ("payee_id", "payee_type", "name", "bank_account"), 1, _first_per_key(
        (v[_PAYEE_ID], (v[_PAYEE_ID], v[_PAYEE_TYPE], v[_PAYEE_NAME], v[_BANK_ACCOUNT]))
        for v in values))
    _upsert(conn, CLASS, CLASS_COLUMNS, 2, _first_per_key(
        ((v[_POLICY], v[_CLASS_ID]), (
            v[_POLICY], v[_CLASS_ID], v[_ORGANIZER],
            v[_PAYEE_ID] if v[_PAYEE_TYPE] != "individual" else None,
            v[_TRAINING_START], v[_TRAINING_END]))
        for v in values if v[_CLASS_ID]))
    return len(values)


def _insert_new_staged(conn: Connection, stage: str, lines: list[int], moneys: list[str], batch_id: int,
                       *, actor: Actor, on: date) -> list[int]:
    """The new claims of the stage file ATTACHed as `stage` (its rows `lines`, in file order, and
    their money as filed, `moneys`, which the workers computed) copied into the claim table, their
    first events with one INSERT … SELECT, people/payees/classes upserted; the claims' ids, in the
    same order."""
    if not lines:
        return []
    now = datetime.now(UTC)
    ids = allocate_claim_ids(conn, len(lines))
    heads = filing_event_heads(ids, moneys, actor, on)
    _insert_staged(conn, stage, list(zip(lines, ids, heads, moneys, strict=True)),
                   _new_claim_constants(batch_id, on, now))
    _insert_first_events(conn, NEW_CLAIM, actor, on, now, money=NEW_CLAIM.c.money, order=NEW_CLAIM.c.line)
    _upsert_staged(conn, stage)
    return ids


def _new_claim_constants(batch_id: int, on: date, now: datetime) -> dict[str, Any]:
    return {"import_batch_id": batch_id, "state": "filed", "state_on": on, "event_seq": 1,
            "created_at": now, "updated_at": now}


def _filed_money(values: tuple[Any, ...]) -> str:
    """services/nightly/moves.py `filing_money` of a screened row's stored values."""
    return filing_money(*("" if v is None else str(v) for v in (
        values[_MONTHS], values[_DAYS], values[_PAYEE_TYPE], values[_PAYEE_ID], values[_PAYEE_NAME],
        values[_BANK_ACCOUNT])))


FILED_MONEY_SQL = literal_column(
    "'||' || COALESCE(CAST(claim.months AS VARCHAR), '') || '|' || COALESCE(CAST(claim.days AS VARCHAR), '') "
    "|| '||0.00|0.00|0.00|0.00|' || claim.payee_type || '|' || claim.payee_id || '|' "
    "|| COALESCE(claim.payee_name, '') || '|' || COALESCE(claim.bank_account, '')", String)
"""`filing_money` in SQL over the claim row just inserted: the money the first event records (the
same texts its hash was computed from, `_filed_money`)."""


def _insert_first_events(conn: Connection, source: Any, actor: Actor, on: date, now: datetime,
                         *, money: Any, where: Any = None, order: Any = None) -> None:
    """Each new claim's first event ("" -> filed, format 2 with `money`, the claim's money as filed)
    from `source`'s id and event head: the claim table (`where` picks the new claims) or
    temp.new_claim (all of it)."""
    event = select(source.c.id, literal(1), literal(""), literal("filed"), literal("file"),
                   literal(actor.name, EVENT.c.actor.type), literal(actor.role, EVENT.c.role.type),
                   literal(on, EVENT.c.on.type), literal(now, EVENT.c.at.type),
                   literal(None, EVENT.c.run_id.type), literal(None, EVENT.c.reason.type),
                   literal(""), source.c.event_head, literal(EVENT_FORMAT, EVENT.c.version.type), money)
    if where is not None:
        event = event.where(where)
    conn.execute(insert(EVENT).from_select(
        ["claim_pk", "seq", "from_state", "to_state", "trigger", "actor", "role", "on", "at",
         "run_id", "reason", "prev_hash", "hash", "version", "money"],
        event.order_by(source.c.id if order is None else order)))


CLASS_COLUMNS = ("policy", "class_id", "organizer", "payee_id", "training_start", "training_end")
STAGED_UPSERTS: tuple[tuple[Any, tuple[str, ...], int, str, str], ...] = (
    (PERSON, ("person_id", "name"), 1, "s.person_id, s.person_name", ""),
    (PAYEE, ("payee_id", "payee_type", "name", "bank_account"), 1,
     "s.payee_id, s.payee_type, s.payee_name, s.bank_account", ""),
    (CLASS, CLASS_COLUMNS, 2,
     "s.policy, s.class_id, s.organizer, CASE WHEN s.payee_type <> 'individual' THEN s.payee_id END, "
     "s.training_start, s.training_end", "AND s.class_id IS NOT NULL AND s.class_id <> ''"),
)
"""People, payees and classes of a staged batch's new claims: (table, columns, key columns,
the stage columns giving them, a further condition) — the same values as `_insert_new`'s."""


def _first_per_key(pairs: Iterable[tuple[Any, tuple[Any, ...]]]) -> dict[Any, tuple[Any, ...]]:
    """The first row per key, in order: the first filing of a person/payee/class stands, even
    within one chunk."""
    out: dict[Any, tuple[Any, ...]] = {}
    for key, row in pairs:
        if key not in out:
            out[key] = row
    return out


def _insert_staged(conn: Connection, schema: str, new: list[tuple[int, int, str, str]],
                   constants: dict[str, Any]) -> None:
    """New claims copied from the stage file ATTACHed as `schema`: `new` holds (line, claim id, event
    head, money as filed) per new claim; everything else comes from the stage row or `constants`."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS new_claim "
                   "(line INTEGER PRIMARY KEY, id INTEGER NOT NULL, event_head TEXT NOT NULL, money TEXT NOT NULL)")
    cursor.execute("DELETE FROM temp.new_claim")
    cursor.executemany("INSERT INTO temp.new_claim VALUES (?, ?, ?, ?)", new)
    others, literals = _constant_columns(conn, CLAIM, CLAIM_COLUMNS, constants)
    names = ", ".join(f'"{name}"' for name in (*CLAIM_COLUMNS, *others))
    picked = ", ".join(["n.id", *(f's."{name}"' for name in CLAIM_COLUMNS[1:-1]), "n.event_head",
                        *literals])
    cursor.execute(f"INSERT INTO claim ({names}) SELECT {picked} FROM temp.new_claim n "
                   f"JOIN {schema}.stage s ON s.line = n.line")
    cursor.close()


def _upsert_staged(conn: Connection, schema: str) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for target, columns, keys, picked, condition in STAGED_UPSERTS:
        names = ", ".join(f'"{c}"' for c in columns)
        key = ", ".join(f'"{c}"' for c in columns[:keys])
        cursor.execute(f"INSERT INTO {target.name} ({names}) SELECT {picked} FROM temp.new_claim n "
                       f"JOIN {schema}.stage s ON s.line = n.line WHERE true {condition} "
                       f"ORDER BY n.line ON CONFLICT ({key}) DO NOTHING")
    cursor.close()


def _processed(conn: Connection, table: Any, name: str, value: Any) -> Any:
    """A column value as the driver receives it (the column type's bind processor)."""
    dialect = conn.dialect
    processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def _insert_rows(conn: Connection, table: Any, columns: tuple[str, ...],
                 rows: list[tuple[Any, ...]], constants: dict[str, Any]) -> None:
    """INSERT `rows` (driver-ready values of `columns`); every other column gets `constants`
    or its default. SQLite: the driver's executemany, the constants written into the statement
    (fewer parameters per row). PostgreSQL: COPY, the constants sent with each row as the
    server would have stored them bound as parameters (`_as_stored`)."""
    preparer = conn.dialect.identifier_preparer
    others = [c.name for c in table.columns if c.name not in columns]
    names = ", ".join(preparer.quote(name) for name in (*columns, *others))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if conn.dialect.name == "sqlite":
        _, literals = _constant_columns(conn, table, columns, constants)
        marks = ", ".join(["?"] * len(columns) + literals)
        cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
    else:
        fixed = {name: constants[name] if name in constants else _default(table.c[name])
                 for name in others}
        tail = "\t" + _copy_line(tuple(_as_stored(conn, table, n, fixed[n]) for n in others))
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            copy.write("".join([_copy_line(row) + tail + "\n" for row in rows]))
    cursor.close()


def _constant_columns(conn: Connection, table: Any, columns: tuple[str, ...],
                      constants: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(the other columns of `table`, each one's value from `constants` or its default as an
    SQLite literal)."""
    others = [c.name for c in table.columns if c.name not in columns]
    return others, [_sql_literal(_processed(conn, table, name, constants[name] if name in constants
                                            else _default(table.c[name]))) for name in others]


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_line(row: tuple[Any, ...]) -> str:
    """One row in COPY's text format, without the line end (values: None, bool, int, str,
    and naive datetimes)."""
    return "\t".join(["\\N" if v is None else "t" if v is True else "f" if v is False
                      else v.translate(_COPY_ESCAPES) if v.__class__ is str else str(v)
                      for v in row])


def _as_stored(conn: Connection, table: Any, name: str, value: Any) -> Any:
    """A PostgreSQL constant as the server stores it when bound as a parameter: COPY reads
    text, where a time zone offset given to a `timestamp` column would be ignored."""
    if isinstance(value, datetime):
        column = table.c[name]
        stored = conn.execute(select(literal(value, column.type).cast(column.type))).scalar_one()
        return stored
    return _processed(conn, table, name, value)


def _default(column: Any) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    return default.arg(None)


def _upsert(conn: Connection, table: Any, columns: tuple[str, ...], keys: int,
            rows: dict[Any, tuple[Any, ...]]) -> None:
    """Insert rows whose key (the first `keys` columns) is not there yet; the first filing of
    a person/payee/class stands. PostgreSQL: one statement over arrays of the columns."""
    if not rows:
        return
    preparer = conn.dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    key = ", ".join(preparer.quote(c) for c in columns[:keys])
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if conn.dialect.name == "sqlite":
        cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES "
                           f"({', '.join(['?'] * len(columns))}) ON CONFLICT ({key}) DO NOTHING",
                           list(rows.values()))
    else:
        types = [table.c[c].type.compile(dialect=conn.dialect) for c in columns]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) "
                       f"ON CONFLICT ({key}) DO NOTHING",
                       [list(column) for column in zip(*rows.values(), strict=True)])
    cursor.close()


def _insert_rejections(conn: Connection, rejections: list[tuple[Rejection, str]],
                       batch_id: int) -> None:
    if not rejections:
        return
    conn.execute(insert(REJECTION), [{
        "batch_id": batch_id, "row_number": r.row,
        "claim_id": r.claim_id[:200] if r.claim_id else None,
        "policy": r.policy[:64] if r.policy else None, "kind": r.kind,
        "raw": raw,
        "errors": json.dumps([{"field": e.field, "message": e.message} for e in r.errors],
                             ensure_ascii=False),
    } for r, raw in rejections])
