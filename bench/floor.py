"""The yardstick: the same lifecycle as the product, written by plain set-based SQL.

ALSO THE TESTS' INDEPENDENT ORACLE: tests/integration/scale/ compare the product's end state,
events, hash heads and payment files with this floor's, claim by claim. It must change with
every lifecycle change (a new state, trigger, payment row, batch or release the product writes):
a product change without the same change here fails those tests, as it should.

Starting from a copy of the same imported claims, the floor records the same rosters and runs
the same nights (bench.schedule), reaching the same state per claim with one event row per
transition (hash-chained as the product chains them) and the same payment rows, plus the same
payment batch files. Every step is a handful of INSERT … SELECT / UPDATE … FROM statements over
all claims at once; decisions come from bench.floor_rates (one rules evaluation per signature).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from bench import floor_rates
from bench.floor_sql import (
    analyze,
    as_text,
    index,
    now,
    payment_hash_sql,
    register_sha256,
    sha256_sql,
    transition,
    yuan,
)
from bench.product import APPROVER, CLERK, INSPECTOR, PUBLIC, REVIEWER, Timings, clock
from bench.schedule import COMPLETION_DAY, OBJECTION_DAY, REVIEW_DAY, SETTLED_STATES, nights
from bench.synthetic import SyntheticFiles
from intake.privacy import safe_cell
from services.access.actors import SYSTEM
from services.calendar import add_working_days
from services.money.channel import BATCH_HEADERS, KIND_ZH
from services.nightly import pay_due as pay_due_step
from services.nightly.base import partition_size
from services.settings import DEFAULT_CHUNK_SIZE, chunk_size, load_settings

ORGANISATIONS = "('enterprise', 'institution')"
CERTIFICATE_KINDS_SQL = ("('skill_upgrade', 'enterprise_training', 'pre_job_training', 'job_transfer_training', "
                         "'apprenticeship', 'project_training')")
STAGE_ROWS = 5000


def _year(conn: Connection, expr: str) -> str:
    if conn.dialect.name == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {expr}) AS INTEGER)"
    return f"CAST(strftime('%Y', {expr}) AS INTEGER)"


def _key(kind: str, attempt: str) -> str:
    return f"c.policy || ':' || c.claim_id || ':{kind}:' || {as_text(attempt)}"


def _insert_payments(conn: Connection, *, source: str, where: str, kind: str, attempt: str, amount: str,
                     status: str, note: str, on: date) -> int:
    key = _key(kind, attempt)
    reference = _reference(conn, kind, attempt) if status in ("sent", ORDERED) else "NULL"
    payee = "c.payee_name, c.bank_account, c.bank_name" if status == ORDERED else "NULL, NULL, NULL"
    hashed = payment_hash_sql(conn, pk="c.id", kind=f"'{kind}'", attempt=attempt, amount=amount, key=key,
                              payee_type="c.payee_type", payee_id="c.payee_id", on_text=":on_text")
    result = conn.execute(text(
        "INSERT INTO payment (claim_pk, kind, attempt, amount, status, idempotency_key, payee_type, payee_id, "
        "business_date, reference, settled_on, note, created_at, hash, payee_name, bank_account, bank_name) "
        f"SELECT c.id, '{kind}', {attempt}, {amount}, '{status}', {key}, c.payee_type, c.payee_id, :on, "
        f"{reference}, NULL, {note}, :at, {hashed}, {payee} FROM {source} WHERE {where}"),
        {"on": on, "at": now(), "on_text": on.isoformat()})
    return int(result.rowcount or 0)


def _reference(conn: Connection, kind: str, attempt: str) -> str:
    """The payment reference the channel gives a sent row (as _insert_payments writes it)."""
    return f"'PAY' || UPPER(SUBSTR({sha256_sql(conn, _key(kind, attempt))}, 1, 17))"


def _recovery_rows(conn: Connection, *, source: str, where: str, amount: str, note: str, on: date) -> None:
    # the earlier recovery attempts joined as one grouped derived table, not a correlated MAX
    # subquery per row: PostgreSQL's plan for that changed tenfold with its statistics
    earlier = ("LEFT JOIN (SELECT claim_pk, MAX(attempt) AS last FROM payment WHERE kind = 'recovery' "
               "GROUP BY claim_pk) pr ON pr.claim_pk = c.id")
    _insert_payments(conn, source=f"{source} {earlier}", where=f"({where}) AND {amount} > 0", kind="recovery",
                     attempt="(COALESCE(pr.last, 0) + 1)", amount=amount, status="due", note=note, on=on)


ORDERED = "ordered"
ORDER_KINDS_SQL = "('advance', 'final')"
CANDIDATES = {
    "pay_advances": "c.state IN ('filed', 'advance_paid') AND ((c.state = 'filed' AND c.advance_requested = TRUE "
                    "AND c.advance_amount IS NULL) OR (c.set_aside_step = 'pay_advances' AND c.advance_amount > 0 "
                    "AND c.advance_paid = 0))",
    "pay_due": "c.state IN ('approved', 'payment_failed') AND (c.state = 'approved' OR c.state_on < :on)",
}
"""the claims each paying step of the product lists (its `source`): its person_key partitions are
cut over them, and its orders are written partition by partition"""


def _fen_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _partitions(conn: Connection, step: str, on: date, size: int) -> None:
    """The product's partitions of a paying step (services.nightly.base.person_partitions: ranges
    of person_key holding about `size` candidates each) as temp table floor_part: one GROUP BY,
    the cut in Python over its per-key counts."""
    counts = conn.execute(text(f"SELECT c.person_key, COUNT(*) FROM claim c WHERE {CANDIDATES[step]} "
                               "GROUP BY c.person_key ORDER BY c.person_key"), {"on": on}).all()
    ranges: list[dict[str, int]] = []
    lo: int | None = None
    total = 0
    for key, count in counts:
        lo = key if lo is None else lo
        total += count
        if total >= size:
            ranges.append({"lo": lo, "hi": key + 1})
            lo, total = None, 0
    if lo is not None:
        ranges.append({"lo": lo, "hi": counts[-1][0] + 1})
    conn.execute(text("DROP TABLE IF EXISTS floor_part"))
    conn.execute(text("CREATE TEMP TABLE floor_part (lo BIGINT, hi BIGINT)"))
    if ranges:
        conn.execute(text("INSERT INTO floor_part (lo, hi) VALUES (:lo, :hi)"), ranges)


def _seal_batches(conn: Connection, on: date, chunk: int) -> None:
    """The outbox's sealing (services/money/outbox.seal_batches) set-based: the step's unbatched
    ordered orders, in the order the product wrote them (partition, then DESIGN rule 9's person
    order), one policy per batch, at most `chunk` orders a batch, batches numbered in the order of
    their first order (the outbox takes the policy of the lowest order left each time); count,
    total and the hash over (reference, key, amount) in line order."""
    bytewise = ' COLLATE "C"' if conn.dialect.name == "postgresql" else ""  # Python's order of str
    conn.execute(text("DROP TABLE IF EXISTS floor_line"))
    conn.execute(text(
        "CREATE TEMP TABLE floor_line AS SELECT p.id AS payment_id, c.policy AS policy, ROW_NUMBER() OVER ("
        f"ORDER BY fp.lo, c.person_id{bytewise}, COALESCE(c.certificate_date, c.training_end, c.filed_on), "
        f"c.filed_on, c.claim_id{bytewise}) AS pos FROM payment p JOIN claim c ON c.id = p.claim_pk "
        "JOIN floor_part fp ON c.person_key >= fp.lo AND c.person_key < fp.hi "
        f"WHERE p.status = '{ORDERED}' AND p.kind IN {ORDER_KINDS_SQL} AND p.reference IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM payment_batch_order bo WHERE bo.payment_id = p.id)"))
    if not conn.execute(text("SELECT COUNT(*) FROM floor_line")).scalar_one():
        return
    base = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM payment_batch")).scalar_one()
    conn.execute(text("DROP TABLE IF EXISTS floor_seal"))
    conn.execute(text(
        "CREATE TEMP TABLE floor_seal AS SELECT payment_id, policy, "
        "DENSE_RANK() OVER (ORDER BY first) + :base AS batch_id, line FROM ("
        "SELECT payment_id, policy, (n - 1) % :chunk + 1 AS line, "
        "MIN(pos) OVER (PARTITION BY policy, (n - 1) / :chunk) AS first FROM (SELECT payment_id, policy, pos, "
        "ROW_NUMBER() OVER (PARTITION BY policy ORDER BY pos) AS n FROM floor_line) t) u"),
        {"chunk": chunk, "base": base})
    number = ("LPAD(CAST(s.batch_id AS VARCHAR), 8, '0')" if conn.dialect.name == "postgresql"
              else "SUBSTR('00000000' || CAST(s.batch_id AS VARCHAR), -8)")
    conn.execute(text(
        'INSERT INTO payment_batch (id, business_date, file_name, "rows", total, hash, created_at) '
        f"SELECT s.batch_id, :on, 'payments-' || :on_text || '-B' || {number} || '.csv', COUNT(*), "
        "SUM(p.amount), '', :at FROM floor_seal s JOIN payment p ON p.id = s.payment_id GROUP BY s.batch_id"),
        {"on": on, "on_text": on.isoformat(), "at": now()})
    conn.execute(text("INSERT INTO payment_batch_order (payment_id, batch_id, line) "
                      "SELECT payment_id, batch_id, line FROM floor_seal"))
    conn.execute(text("UPDATE payment SET batch_id = floor_seal.batch_id FROM floor_seal "
                      "WHERE payment.id = floor_seal.payment_id"))
    if conn.dialect.name == "postgresql":  # later inserts without an id (none here) would start after these
        conn.execute(text("SELECT setval(pg_get_serial_sequence('payment_batch', 'id'), "
                          "(SELECT MAX(id) FROM payment_batch))"))
    # the hash: one streamed query over the new batches' lines, sha256 per batch
    digests: dict[int, Any] = {}
    lines = conn.execute(text(
        "SELECT bo.batch_id, p.reference, p.idempotency_key, p.amount FROM payment_batch_order bo "
        "JOIN payment p ON p.id = bo.payment_id WHERE bo.batch_id > :base ORDER BY bo.batch_id, bo.line")
        .execution_options(stream_results=True, max_row_buffer=STAGE_ROWS), {"base": base})
    for r in lines:
        digest = digests.setdefault(r.batch_id, hashlib.sha256())
        digest.update(f"{r.reference}|{r.idempotency_key}|{_fen_text(r.amount)}\n".encode())
    conn.execute(text("UPDATE payment_batch SET hash = :h WHERE id = :id"),
                 [{"id": batch_id, "h": d.hexdigest()} for batch_id, d in digests.items()])
    conn.execute(text("DROP TABLE floor_seal"))
    conn.execute(text("DROP TABLE floor_line"))


def _release_and_send(conn: Connection, out_dir: Path, on: date, approver: str) -> None:
    """The night's release by a distinct approver (services/money/approval.approve_batch): one
    release row per waiting batch, bound to its id, count, total and hash; its orders released;
    its file written; the handover recorded; its orders sent."""
    # set-based throughout (no correlated subquery per batch): the waiting batches' orders as
    # one indexed temp table, each batch's policy by one grouped join over it
    conn.execute(text("DROP TABLE IF EXISTS floor_release_order"))
    conn.execute(text(
        "CREATE TEMP TABLE floor_release_order AS SELECT bo.payment_id AS payment_id, bo.batch_id AS batch_id "
        "FROM payment_batch_order bo JOIN payment_batch b ON b.id = bo.batch_id "
        f"JOIN payment p ON p.id = bo.payment_id WHERE b.business_date <= :on AND p.status = '{ORDERED}'"),
        {"on": on})
    index(conn, "floor_release_order", "payment_id")
    analyze(conn, "floor_release_order")
    conn.execute(text("DROP TABLE IF EXISTS floor_release"))
    conn.execute(text(
        "CREATE TEMP TABLE floor_release AS SELECT bo.batch_id AS batch_id, MIN(c.policy) AS policy "
        "FROM payment_batch_order bo JOIN payment p ON p.id = bo.payment_id JOIN claim c ON c.id = p.claim_pk "
        "WHERE bo.batch_id IN (SELECT batch_id FROM floor_release_order) GROUP BY bo.batch_id"))
    index(conn, "floor_release", "batch_id")
    analyze(conn, "floor_release")
    conn.execute(text(
        "INSERT INTO payment_batch_release (batch_id, policy, business_date, approver, claims, amount, hash, at) "
        "SELECT b.id, r.policy, :on, :approver, b.\"rows\", b.total, b.hash, "
        ":at FROM payment_batch b JOIN floor_release r ON r.batch_id = b.id ORDER BY b.id"),
        {"on": on, "approver": approver, "at": now()})
    mine = "SELECT payment_id FROM floor_release_order"
    conn.execute(text(f"UPDATE payment SET status = 'released' WHERE status = '{ORDERED}' AND id IN ({mine})"))
    _write_batch_files(conn, out_dir)
    conn.execute(text("INSERT INTO payment_batch_handover (batch_id, file_name, is_copy, actor, at) "
                      "SELECT b.id, b.file_name, FALSE, :approver, :at FROM payment_batch b "
                      "JOIN floor_release r ON r.batch_id = b.id ORDER BY b.id"), {"approver": approver, "at": now()})
    conn.execute(text(f"UPDATE payment SET status = 'sent' WHERE status = 'released' AND id IN ({mine})"))
    conn.execute(text("DROP TABLE floor_release"))
    conn.execute(text("DROP TABLE floor_release_order"))


def _write_batch_files(conn: Connection, out_dir: Path) -> None:
    """The released batches' files as the outbox writes them (services/money/outbox._write): BOM,
    the header with 批次号, the orders in line order with the payee the order stored."""
    rows = conn.execute(text(
        "SELECT b.file_name, b.id AS batch_id, p.reference, p.idempotency_key, c.policy, c.claim_id, p.kind, "
        "p.payee_type, p.payee_name, p.payee_id, p.bank_account, p.amount, p.business_date "
        "FROM floor_release r JOIN payment_batch b ON b.id = r.batch_id "
        "JOIN payment_batch_order bo ON bo.batch_id = b.id JOIN payment p ON p.id = bo.payment_id "
        "JOIN claim c ON c.id = p.claim_pk ORDER BY b.id, bo.line")
        .execution_options(stream_results=True, max_row_buffer=STAGE_ROWS))
    out_dir.mkdir(parents=True, exist_ok=True)
    handle: Any = None
    writer: Any = None
    current = None
    try:
        for r in rows:
            if r.file_name != current:
                if handle is not None:
                    handle.close()
                current = r.file_name
                handle = (out_dir / r.file_name).open("w", encoding="utf-8-sig", newline="")
                writer = csv.writer(handle)
                writer.writerow([*BATCH_HEADERS, "批次号"])
            cells = [r.reference, r.idempotency_key, r.policy, r.claim_id, KIND_ZH.get(r.kind, r.kind),
                     r.payee_type, r.payee_name or "", r.payee_id, r.bank_account or "", _fen_text(r.amount),
                     str(r.business_date)[:10], str(r.batch_id)]
            writer.writerow([str(safe_cell(cell)) for cell in cells])
    finally:
        if handle is not None:
            handle.close()


def _stage(conn: Connection, name: str, columns: str, path: Path, convert: dict[str, Any]) -> None:
    """Load a roster file into a temp table in bulk (executemany of STAGE_ROWS rows)."""
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMP TABLE {name} ({columns})"))
    names = [c.split()[0] for c in columns.split(", ")]
    insert = text(f"INSERT INTO {name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})")
    for batch in _batches(path):
        conn.execute(insert, [{n: convert.get(n, _text)(row.get(n)) for n in names} for row in batch])
    index(conn, name, "policy", "claim_id", unique=False)  # joined to claim by these
    analyze(conn, name)


def _batches(path: Path) -> Iterator[list[dict[str, str]]]:
    with path.open(encoding="utf-8") as handle:
        batch: list[dict[str, str]] = []
        for row in csv.DictReader(handle):
            batch.append(row)
            if len(batch) >= STAGE_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch


def _text(value: str | None) -> str | None:
    return value if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Floor:
    def __init__(self, engine: Engine, files: SyntheticFiles, payment_dir: Path,
                 size: int = DEFAULT_CHUNK_SIZE) -> None:
        register_sha256(engine)
        engine.dispose()
        self.engine, self.files, self.payment_dir = engine, files, payment_dir
        self.size = size
        """the product's partition size (its orders are written partition by partition)"""
        self.settings = load_settings()
        self.join = f"claim c JOIN floor_rate r ON {floor_rates.join_condition('c', 'r')}"

    # --- rosters -------------------------------------------------------------------------
    def record_inspections(self, conn: Connection, on: date) -> None:
        _stage(conn, "floor_si", "claim_id VARCHAR(64), policy VARCHAR(32), inspected_on DATE, "
               "inspector VARCHAR(100), result VARCHAR(8), note TEXT", self.files.inspections,
               {"inspected_on": _date})
        src = "claim c JOIN floor_si s ON c.claim_id = s.claim_id AND c.policy = s.policy"
        cond = ("c.state IN ('filed', 'advance_paid') AND NOT (COALESCE(c.inspection_result, '') = s.result "
                "AND c.inspected_on IS NOT NULL AND c.inspected_on = s.inspected_on)")
        conn.execute(text("INSERT INTO inspection (claim_pk, inspected_on, inspector, result, note, recorded_at) "
                          f"SELECT c.id, s.inspected_on, s.inspector, s.result, s.note, :at FROM {src} WHERE {cond}"),
                     {"at": now()})
        # an event in the chain, as the product writes it: the acting actor and the file's inspector
        transition(conn, source=src, where=cond, to_state="c.state", trigger="record_inspection",
                   reason="'inspection ' || s.result || ' on ' || " + as_text("s.inspected_on")
                          + " || ' by inspector ' || COALESCE(NULLIF(TRIM(s.inspector), ''), :inspector)",
                   actor=INSPECTOR, on=on, run_id=None, params={"inspector": INSPECTOR.name},
                   sets={"inspection_result": "s.result", "inspected_on": "s.inspected_on"})

    def record_completions(self, conn: Connection, on: date) -> None:
        _stage(conn, "floor_sc", "claim_id VARCHAR(64), policy VARCHAR(32), certificate_no VARCHAR(64), "
               "certificate_date DATE, level VARCHAR(32), result VARCHAR(8)", self.files.completions,
               {"certificate_date": _date})
        src = "claim c JOIN floor_sc s ON c.claim_id = s.claim_id AND c.policy = s.policy"
        cond = ("c.state IN ('filed', 'advance_paid', 'on_site_inspected') AND s.result IN ('pass', 'fail') "
                "AND (s.certificate_date IS NULL OR s.certificate_date <= :on) "
                "AND NOT (s.result = 'pass' AND s.certificate_date IS NULL AND c.certificate_date IS NULL)")
        conn.execute(text(
            "INSERT INTO completion (claim_pk, completed_on, certificate_no, certificate_date, level, result, actor, "
            "recorded_at) SELECT c.id, :on, COALESCE(s.certificate_no, c.certificate_no), "
            "COALESCE(s.certificate_date, c.certificate_date), COALESCE(s.level, c.level), s.result, :actor, :at "
            f"FROM {src} WHERE {cond}"), {"on": on, "actor": CLERK.name, "at": now()})
        transition(conn, source=src, where=cond, to_state="c.state", trigger="record_completion",
                   reason="'completion ' || s.result || '; certificate ' || COALESCE(s.certificate_no, "
                          "c.certificate_no, '-') || ' of ' || COALESCE(" + as_text("s.certificate_date") + ", '-')",
                   actor=CLERK, on=on, run_id=None, params={"on": on},
                   sets={"completion_result": "s.result", "completed_on": ":on",
                         "certificate_no": "COALESCE(s.certificate_no, c.certificate_no)",
                         "certificate_date": "COALESCE(s.certificate_date, c.certificate_date)",
                         "level": "COALESCE(s.level, c.level)"})

    def raise_objections(self, conn: Connection, on: date) -> None:
        _stage(conn, "floor_so", "claim_id VARCHAR(64), policy VARCHAR(32), reason TEXT, outcome VARCHAR(8), "
               "review_reason TEXT", self.files.objections, {})
        src = "claim c JOIN floor_so s ON c.claim_id = s.claim_id AND c.policy = s.policy"
        cond = "c.state = 'publicly_posted' AND c.posting_closes_on >= :on AND c.state_on <= :on"
        conn.execute(text("INSERT INTO objection (claim_pk, raised_on, reason, actor, status) "
                          f"SELECT c.id, :on, s.reason, :actor, 'open' FROM {src} WHERE {cond}"),
                     {"on": on, "actor": PUBLIC.name})
        transition(conn, source=src, where=cond, to_state="'objected'", trigger="object",
                   reason="'objection: ' || s.reason", actor=PUBLIC, on=on, run_id=None, params={"on": on})

    def review_objections(self, conn: Connection, on: date) -> None:
        _stage(conn, "floor_so", "claim_id VARCHAR(64), policy VARCHAR(32), reason TEXT, outcome VARCHAR(8), "
               "review_reason TEXT", self.files.objections, {})
        src = ("claim c JOIN floor_so s ON c.claim_id = s.claim_id AND c.policy = s.policy "
               "JOIN objection o ON o.claim_pk = c.id AND o.status = 'open'")
        upheld = "c.state = 'objected' AND s.outcome = 'uphold'"
        _recovery_rows(conn, source=src, where=upheld, amount="c.advance_paid",
                       note="'objection_upheld: advance paid back'", on=on)
        transition(conn, source=src, where=upheld,
                   to_state="CASE WHEN c.advance_paid > 0 THEN 'recovery_due' ELSE 'rejected' END",
                   trigger="uphold", reason="'objection_upheld: ' || s.review_reason", actor=REVIEWER, on=on,
                   run_id=None, sets={"reasons": "'objection_upheld'", "amount": "0",
                                      "recovery_owed": "c.recovery_owed + c.advance_paid"})
        transition(conn, source=src, where="c.state = 'objected' AND s.outcome = 'dismiss'",
                   to_state="'publicly_posted'", trigger="dismiss",
                   reason="'objection dismissed: ' || s.review_reason", actor=REVIEWER, on=on, run_id=None)
        conn.execute(text(
            "UPDATE objection SET status = CASE WHEN s.outcome = 'uphold' THEN 'upheld' ELSE 'dismissed' END, "
            "reviewer = :actor, reviewed_on = :on, review_reason = s.review_reason FROM floor_so s, claim c "
            "WHERE objection.status = 'open' AND c.id = objection.claim_pk AND c.claim_id = s.claim_id "
            "AND c.policy = s.policy"), {"actor": REVIEWER.name, "on": on})

    # --- the night ---------------------------------------------------------------------
    def pay_advances(self, conn: Connection, on: date, run_id: str) -> None:
        due = ("c.state = 'filed' AND c.advance_requested = TRUE AND c.payee_type IN " + ORGANISATIONS
               + " AND c.class_id IS NOT NULL AND c.advance_amount IS NULL")
        conn.execute(text(
            "UPDATE claim SET advance_amount = 0, set_aside_step = NULL, set_aside_reason = NULL WHERE id IN "
            f"(SELECT c.id FROM {self.join} WHERE {due} AND (r.advance IS NULL OR r.advance <= 0))"))
        paid = f"{due} AND r.advance > 0"
        _partitions(conn, "pay_advances", on, self.size)
        _insert_payments(conn, source=self.join, where=paid, kind="advance", attempt="1", amount="r.advance",
                         status=ORDERED, note="NULL", on=on)
        transition(conn, source=self.join, where=paid, to_state="'advance_paid'", trigger="pay_advance",
                   reason="'advance ' || " + yuan("r.advance") + " || ' (' || " + _reference(conn, "advance", "1")
                   + " || ')'", actor=SYSTEM, on=on,
                   run_id=run_id, sets={"advance_amount": "r.advance", "advance_paid": "r.advance"})
        _seal_batches(conn, on, chunk_size())  # the outbox after the step (services/nightly/runner.run_step)

    def apply_inspections(self, conn: Connection, on: date, run_id: str) -> None:
        base = "c.state IN ('filed', 'advance_paid')"
        transition(conn, source="claim c", where=f"{base} AND c.inspection_result = 'pass'",
                   to_state="'on_site_inspected'", trigger="pass_inspection",
                   reason="'on-site inspection passed on ' || " + as_text("c.inspected_on"),
                   actor=SYSTEM, on=on, run_id=run_id)
        failed = f"{base} AND c.inspection_result = 'fail'"
        _recovery_rows(conn, source="claim c", where=failed, amount="c.advance_paid",
                       note="'inspection_failed: advance paid back'", on=on)
        transition(conn, source="claim c", where=failed,
                   to_state="CASE WHEN c.advance_paid > 0 THEN 'recovery_due' ELSE 'rejected' END",
                   trigger="fail_inspection",
                   reason="'inspection_failed: on-site inspection failed on ' || " + as_text("c.inspected_on"),
                   actor=SYSTEM, on=on, run_id=run_id,
                   sets={"reasons": "'inspection_failed'", "amount": "0",
                         "recovery_owed": "c.recovery_owed + c.advance_paid"})

    def assess(self, conn: Connection, on: date, run_id: str) -> None:
        failed = "c.state = 'on_site_inspected' AND c.completion_result = 'fail'"
        refused_to = "CASE WHEN c.advance_paid > 0 THEN 'recovery_due' ELSE 'rejected' END"
        _recovery_rows(conn, source="claim c", where=failed, amount="c.advance_paid",
                       note="'completion_failed: advance paid back'", on=on)
        transition(conn, source="claim c", where=failed, to_state=refused_to, trigger="refuse",
                   reason="'not eligible: completion_failed'", actor=SYSTEM, on=on, run_id=run_id,
                   sets={"amount": "0", "reasons": "'completion_failed'", "citations": "'[]'",
                         "decision_trace": "CAST(NULL AS TEXT)",
                         "recovery_owed": "c.recovery_owed + c.advance_paid"})
        ready = (f"c.state = 'on_site_inspected' AND COALESCE(c.completion_result, '') <> 'fail' AND "
                 f"((c.kind IN {CERTIFICATE_KINDS_SQL} AND c.certificate_date IS NOT NULL) OR "
                 f"(c.kind NOT IN {CERTIFICATE_KINDS_SQL} AND (c.completion_result = 'pass' "
                 "OR c.advance_requested = FALSE)))")
        year = _year(conn, "c.certificate_date")
        granted = ("g.amount IS NOT NULL AND g.certificate_date IS NOT NULL AND "
                   "(g.state IN ('assessed', 'publicly_posted', 'objected', 'approved', 'paid', "
                   "'payment_failed') OR (g.state IN ('recovery_due', 'recovered') AND g.reasons = ''))")
        g_year = _year(conn, "g.certificate_date")
        # the person's certificate subsidies already granted that year, in each database's faster
        # form: PostgreSQL counts them once for every person with a claim to assess (its per-row
        # subquery took 45 s at 100k), indexed for the join; SQLite looks each person up by index
        # (the pre-count was slower there)
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TABLE IF EXISTS floor_used"))
            conn.execute(text(f"CREATE TEMP TABLE floor_used AS SELECT g.person_id AS person_id, {g_year} "
                              f"AS year, COUNT(*) AS n FROM claim g WHERE {granted} AND g.person_id IN "
                              f"(SELECT c.person_id FROM claim c WHERE {ready}) GROUP BY g.person_id, {g_year}"))
            index(conn, "floor_used", "person_id", "year")
            analyze(conn, "floor_used")
            used = "COALESCE(u.n, 0)"
            joined = f"{self.join} LEFT JOIN floor_used u ON u.person_id = c.person_id AND u.year = {year}"
        else:
            used = (f"(SELECT COUNT(*) FROM claim g WHERE g.person_id = c.person_id AND {g_year} = {year} "
                    f"AND {granted})")
            joined = self.join
        conn.execute(text("DROP TABLE IF EXISTS floor_assess"))
        conn.execute(text(
            f"CREATE TEMP TABLE floor_assess AS SELECT c.id AS id, r.eligible, r.cap, r.amount, r.citations, "
            "r.trace, r.draft, r.reasons, r.cap_reasons, r.cap_citations, r.cap_trace, r.months_paid, "
            f"CASE WHEN r.cap IS NULL THEN 0 ELSE {used} END AS used, "
            f"ROW_NUMBER() OVER (PARTITION BY c.person_id, CASE WHEN r.cap IS NULL THEN c.id ELSE 0 END, {year} "
            "ORDER BY c.certificate_date, c.filed_on, c.claim_id) AS rn "
            f"FROM {joined} WHERE {ready}"))
        conn.execute(text("DROP TABLE IF EXISTS floor_used"))
        # joined to claim by id below, where the claim table's statistics predate the nights (its
        # advance_paid > 0 was estimated at 1 row for 1,148): indexed, the nested loop probes it
        # instead of rescanning it per claim (4.5 of PostgreSQL's 5.9 s of assess at 20k)
        index(conn, "floor_assess", "id")
        analyze(conn, "floor_assess")
        src = "claim c JOIN floor_assess a ON a.id = c.id"
        grant = "a.eligible = 1 AND (a.cap IS NULL OR a.used + a.rn - 1 < a.cap)"
        transition(conn, source=src, where=grant, to_state="'assessed'", trigger="assess",
                   reason="'eligible: ' || " + yuan("a.amount"), actor=SYSTEM, on=on,
                   run_id=run_id, sets={"amount": "a.amount", "citations": "a.citations",
                                        "decision_trace": "a.trace", "reasons": "''",
                                        "months_paid": "a.months_paid",
                                        "draft": "CASE WHEN a.draft = 1 THEN TRUE ELSE FALSE END"})
        capped = "a.eligible = 1 AND a.cap IS NOT NULL AND a.used + a.rn - 1 >= a.cap"
        refused = f"(a.eligible = 0 OR ({capped}))"
        reasons = f"CASE WHEN {capped} THEN a.cap_reasons ELSE a.reasons END"
        _recovery_rows(conn, source=src, where=refused, amount="c.advance_paid",
                       note=f"{reasons} || ': advance paid back'", on=on)
        transition(conn, source=src, where=refused, to_state=refused_to, trigger="refuse",
                   reason=f"'not eligible: ' || {reasons}", actor=SYSTEM, on=on, run_id=run_id,
                   sets={"amount": "0", "reasons": reasons,
                         "citations": f"CASE WHEN {capped} THEN a.cap_citations ELSE a.citations END",
                         "decision_trace": f"CASE WHEN {capped} THEN a.cap_trace ELSE a.trace END",
                         "draft": "CASE WHEN a.draft = 1 THEN TRUE ELSE FALSE END",
                         "recovery_owed": "c.recovery_owed + c.advance_paid"})
        conn.execute(text("DROP TABLE floor_assess"))

    def post(self, conn: Connection, on: date, run_id: str) -> None:
        policies = conn.execute(text("SELECT DISTINCT policy FROM claim WHERE state = 'assessed'")).scalars().all()
        day = "CAST(:on AS DATE)" if conn.dialect.name == "postgresql" else ":on"
        closes = "CAST(:closes AS DATE)" if conn.dialect.name == "postgresql" else ":closes"
        for policy in policies:
            days = self.settings.posting_days(policy)
            conn.execute(text(
                "INSERT INTO posting_window (policy, opened_on, closes_on, working_days) "
                f"SELECT CAST(:p AS VARCHAR), {day}, {closes}, :n WHERE NOT EXISTS "
                f"(SELECT 1 FROM posting_window WHERE policy = CAST(:p AS VARCHAR) AND opened_on = {day})"),
                {"p": policy, "on": on, "closes": add_working_days(on, days), "n": days})
        transition(conn, source="claim c JOIN posting_window w ON w.policy = c.policy AND w.opened_on = :on",
                   where="c.state = 'assessed'", to_state="'publicly_posted'", trigger="post",
                   reason="'posted ' || " + as_text("w.opened_on") + " || ' until ' || " + as_text("w.closes_on")
                   + " || ' (' || " + as_text("w.working_days") + " || ' working days)'",
                   actor=SYSTEM, on=on, run_id=run_id, params={"on": on},
                   sets={"posting_window_id": "w.id", "posting_closes_on": "w.closes_on"})

    def close_postings(self, conn: Connection, on: date, run_id: str) -> None:
        transition(conn, source="claim c", where="c.state = 'publicly_posted' AND c.posting_closes_on <= :on",
                   to_state="'approved'", trigger="close_posting",
                   reason="'posting window closed on ' || " + as_text("c.posting_closes_on")
                   + " || ' with no objection open'",
                   actor=SYSTEM, on=on, run_id=run_id, params={"on": on})

    def pay_due(self, conn: Connection, on: date, run_id: str) -> None:
        rest = "(c.amount - c.advance_paid - c.final_paid)"
        due = f"c.state = 'approved' AND {rest} > 0"
        _partitions(conn, "pay_due", on, partition_size(pay_due_step, self.size, load_settings()))
        _insert_payments(conn, source="claim c", where=due, kind="final", attempt="c.payment_attempt + 1",
                         amount=rest, status=ORDERED, note="NULL", on=on)
        transition(conn, source="claim c", where=due, to_state="'paid'", trigger="pay",
                   reason="'paid ' || " + yuan(rest) + " || ' (' || "
                   + _reference(conn, "final", "c.payment_attempt + 1") + " || ')'", actor=SYSTEM, on=on, run_id=run_id,
                   sets={"final_paid": f"c.final_paid + {rest}", "payment_attempt": "c.payment_attempt + 1"})
        transition(conn, source="claim c", where=f"c.state = 'approved' AND {rest} = 0", to_state="'paid'",
                   trigger="pay", reason="'settled by the advance: nothing more to pay'", actor=SYSTEM, on=on,
                   run_id=run_id)
        excess = f"c.state = 'approved' AND {rest} < 0"
        _recovery_rows(conn, source="claim c", where=excess, amount=f"(0 - {rest})",
                       note="'advance above the assessed amount'", on=on)
        transition(conn, source="claim c", where=excess, to_state="'recovery_due'", trigger="recover_excess",
                   reason="'assessed ' || " + yuan("c.amount") + " || ' is below the ' || " + yuan("c.advance_paid")
                   + " || ' paid: ' || " + yuan(f"0 - {rest}") + " || ' to recover'",
                   actor=SYSTEM, on=on, run_id=run_id,
                   sets={"recovery_owed": f"c.recovery_owed - {rest}"})
        _seal_batches(conn, on, chunk_size())

    def unsettled(self, conn: Connection) -> int:
        states = ", ".join(f"'{s}'" for s in SETTLED_STATES)
        return int(conn.execute(text(f"SELECT COUNT(*) FROM claim WHERE state NOT IN ({states})")).scalar_one())

    def run(self) -> Timings:
        timings = Timings()
        steps = (self.pay_advances, self.apply_inspections, self.assess, self.post, self.close_postings,
                 self.pay_due)
        began = clock()
        with self.engine.begin() as conn:
            floor_rates.build(conn)
            self.record_inspections(conn, next(iter(nights())))
        timings.since("rates and inspections", began, 0)
        for day in nights():
            run_id = f"bench-{day}"
            with self.engine.begin() as conn:
                if day == COMPLETION_DAY:
                    self.record_completions(conn, day)
                if day == OBJECTION_DAY:
                    self.raise_objections(conn, day)
                if day == REVIEW_DAY:
                    self.review_objections(conn, day)
            for step in steps:
                began = clock()
                with self.engine.begin() as conn:
                    step(conn, day, run_id)
                timings.since(step.__name__, began, 0)
            began = clock()
            with self.engine.begin() as conn:
                _release_and_send(conn, self.payment_dir, day, APPROVER.name)
            timings.since("release", began, 0)
            timings.nights += 1
            with self.engine.connect() as conn:
                if self.unsettled(conn) == 0 and day >= REVIEW_DAY:
                    return timings
        raise RuntimeError(f"the floor left claims unsettled after {timings.nights} nights")

