"""Does the floor's end state equal the product's? Aggregates (payment batches with their count,
total, hash and file name, the orders in them line by line, releases and handovers included), then
claim by claim (streamed)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

AGGREGATES: dict[str, str] = {
    "claims per state and reasons": "SELECT state, reasons, COUNT(*), COALESCE(SUM(amount), 0), SUM(advance_paid), "
                                    "SUM(final_paid), SUM(recovery_owed) FROM claim GROUP BY state, reasons",
    "payments per kind and status": "SELECT kind, status, attempt, COUNT(*), SUM(amount) FROM payment "
                                    "GROUP BY kind, status, attempt",
    "events per transition": 'SELECT "trigger", from_state, to_state, "on", COUNT(*) FROM claim_event '
                             'GROUP BY "trigger", from_state, to_state, "on"',
    "event reasons": 'SELECT "trigger", reason, COUNT(*) FROM claim_event GROUP BY "trigger", reason',
    "inspections, completions, objections": "SELECT 'inspection', COUNT(*) FROM inspection UNION ALL "
                                            "SELECT 'completion', COUNT(*) FROM completion UNION ALL "
                                            "SELECT 'objection ' || status, COUNT(*) FROM objection GROUP BY status",
    "posting windows": "SELECT policy, opened_on, closes_on, COUNT(*) FROM posting_window "
                       "GROUP BY policy, opened_on, closes_on",
    "payment batches": 'SELECT id, business_date, file_name, "rows", total, hash FROM payment_batch',
    "orders in batches": "SELECT bo.batch_id, bo.line, p.idempotency_key, p.reference, p.status "
                         "FROM payment_batch_order bo JOIN payment p ON p.id = bo.payment_id",
    "batch releases": "SELECT batch_id, policy, business_date, approver, claims, amount, hash, "
                      "CASE WHEN voided_at IS NULL THEN 'valid' ELSE 'voided' END FROM payment_batch_release",
    "batch handovers": "SELECT batch_id, file_name, is_copy, actor FROM payment_batch_handover",
}
SEALED_BY_SEVERAL: dict[str, str] = {
    "payment batches": 'SELECT business_date, SUM("rows"), SUM(total) FROM payment_batch GROUP BY business_date',
    "orders in batches": "SELECT b.business_date, p.idempotency_key, p.reference, p.status FROM payment_batch_order bo "
                         "JOIN payment p ON p.id = bo.payment_id JOIN payment_batch b ON b.id = bo.batch_id",
    "batch releases": "SELECT policy, business_date, approver, SUM(claims), SUM(amount), "
                      "CASE WHEN voided_at IS NULL THEN 'valid' ELSE 'voided' END FROM payment_batch_release "
                      "GROUP BY policy, business_date, approver, "
                      "CASE WHEN voided_at IS NULL THEN 'valid' ELSE 'voided' END",
    "batch handovers": "SELECT is_copy, actor, COUNT(*) FROM payment_batch_handover GROUP BY is_copy, actor",
}
"""The batch aggregates for nights whose orders several workers wrote at once: a batch's id, line
order, hash and which orders fill it up to its size follow the order the workers' commits reached
the database, which neither side can predict; each day's orders, their totals, the batch each one
is in (by key) and who released how much per policy must still agree."""
PER_CLAIM = ("SELECT id, state, amount, advance_amount, advance_paid, final_paid, recovery_owed, reasons, "
             "event_seq, event_head, payment_attempt, posting_closes_on, completion_result FROM claim ORDER BY id")
"""event_head is the hash chain's head: equal only when every event (reason included) is equal"""
SHOWN = 10


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return sorted((tuple(str(v) for v in row) for row in conn.execute(text(sql))), key=str)


def _line_hash(line: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(line, digest_size=8).digest(), "big")


def _bag_of_rows(engine: Engine, sql: str) -> tuple[int, int]:
    """(rows, sum of a 64-bit hash of each row mod 2^64), streamed: equal for two sides that hold
    the same rows in any order, without holding them (a million orders at 1M claims)."""
    count = total = 0
    with engine.connect() as conn:
        for row in conn.execute(text(sql).execution_options(stream_results=True, max_row_buffer=5000)):
            total = (total + _line_hash("\x1f".join(map(str, row)).encode("utf-8"))) % (1 << 64)
            count += 1
    return count, total


def _file_lines(path: Path) -> Iterator[bytes]:
    """A payment file's lines, header first, streamed; in a batch file (last column 批次号) each
    line without that column: both sides number their batches, the rows compared are the orders."""
    with path.open("rb") as handle:
        header = handle.readline().rstrip(b"\r\n")
        if not header:
            return
        batched = header.rstrip().endswith("批次号".encode())
        yield header.rsplit(b",", 1)[0] if batched else header
        for raw in handle:
            line = raw.rstrip(b"\r\n")
            yield line.rsplit(b",", 1)[0] if batched else line


def _day(path: Path) -> str:
    return path.name.removeprefix("payments-")[:10]


def _bags_by_day(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    """Per business day: the first header, the rows and their hash sum (as `_by_day` reads them),
    streamed file by file."""
    days: dict[str, tuple[bytes, int, int]] = {}
    for path in sorted(directory.glob("payments-*.csv")):
        lines = _file_lines(path)
        header = next(lines, b"")
        count = total = 0
        for line in lines:
            total = (total + _line_hash(line)) % (1 << 64)
            count += 1
        first, rows, sums = days.get(_day(path), (header, 0, 0))
        days[_day(path)] = (first, rows + count, (sums + total) % (1 << 64))
    return days


def _by_day(directory: Path) -> dict[str, list[bytes]]:
    """A side's payment files per business day: both seal a day's orders into batches
    (payments-DATE-B<id>.csv, with a last column 批次号; the file names are compared apart). The
    rows compared are the orders without the batch id."""
    days: dict[str, list[bytes]] = {}
    for path in sorted(directory.glob("payments-*.csv")):
        lines = list(_file_lines(path))
        days.setdefault(_day(path), lines[:1]).extend(lines[1:])
    return days


def batch_file_differences(product_dir: Path, floor_dir: Path) -> list[str]:
    """The payment files of both sides, per business day: the same header and the same rows byte
    for byte. The order of the rows is not compared: the product appends each partition's rows as
    its chunk finishes (by person within the chunk), the floor one INSERT … SELECT per day."""
    names = [{p.name for p in directory.glob("payments-*.csv")} for directory in (product_dir, floor_dir)]
    if names[0] == names[1] and _bags_by_day(product_dir) == _bags_by_day(floor_dir):
        return []  # the same files, headers and rows per day: nothing to show, nothing held in memory
    ours, theirs = _by_day(product_dir), _by_day(floor_dir)
    found = [f"batch file {name}: product only" for name in sorted(names[0] - names[1])]
    found += [f"batch file {name}: floor only" for name in sorted(names[1] - names[0])]
    found += [f"batch files of {day}: product only" for day in sorted(set(ours) - set(theirs))]
    found += [f"batch files of {day}: floor only" for day in sorted(set(theirs) - set(ours))]
    for day in sorted(set(ours) & set(theirs)):
        a, b = ours[day], theirs[day]
        if a[:1] != b[:1]:
            found.append(f"batch files of {day}: headers differ: product {a[:1]} floor {b[:1]}")
        only_a, only_b = sorted(set(a[1:]) - set(b[1:]))[:SHOWN], sorted(set(b[1:]) - set(a[1:]))[:SHOWN]
        if only_a or only_b or len(a) != len(b):
            found.append(f"batch files of {day}: {len(a) - 1} rows in the product's, {len(b) - 1} in the "
                         f"floor's; product only {only_a}; floor only {only_b}")
    return found


def differences(product: Engine, floor: Engine, batch_dirs: tuple[Path, Path] | None = None, *,
                heads: bool = True, several_workers: bool = False) -> list[str]:
    """Plain-language differences, empty when the two end states agree (and, given the two
    payment directories, their batch files). `heads=False` leaves the hash heads out, for a
    product whose nights ran under other run ids than the floor's `bench-DAY` (the hashes cover
    the run id). `several_workers`: the product's nights ran on several workers at once, so its
    batches are compared by content (SEALED_BY_SEVERAL), not by id, line and hash."""
    found: list[str] = batch_file_differences(*batch_dirs) if batch_dirs else []
    aggregates = {**AGGREGATES, **SEALED_BY_SEVERAL} if several_workers else AGGREGATES
    for name, sql in aggregates.items():
        if _bag_of_rows(product, sql) == _bag_of_rows(floor, sql):
            continue  # the same rows in any order: the rows themselves are read only to show a difference
        ours, theirs = _rows(product, sql), _rows(floor, sql)
        if ours != theirs:
            only_product = sorted(set(ours) - set(theirs), key=str)[:SHOWN]
            only_floor = sorted(set(theirs) - set(ours), key=str)[:SHOWN]
            found.append(f"{name}: product only {only_product}; floor only {only_floor}")
    with product.connect() as a, floor.connect() as b:
        sql = PER_CLAIM if heads else PER_CLAIM.replace("event_head, ", "")
        per_claim = text(sql).execution_options(stream_results=True, max_row_buffer=5000)
        left, right = a.execute(per_claim), b.execute(per_claim)
        shown = 0
        for a_row, b_row in zip_longest(left, right):
            if tuple(map(str, a_row or ())) != tuple(map(str, b_row or ())):
                shown += 1
                if shown <= SHOWN:
                    found.append(f"claim row differs: product {tuple(a_row or ())} floor {tuple(b_row or ())}")
        if shown > SHOWN:
            found.append(f"... {shown - SHOWN} more claims differ")
    return found
