"""Step 3 — assess inspected claims whose completion facts are present (审核).

The rules decide: eligible → assessed with amount, citations, trace and draft flag; ineligible →
rejected with reason codes (recovery_due with a recovery row when an advance went out); a
completion result `fail` → refused as completion_failed. A decision that needs a parameter the
seed leaves open (`missing_parameter`) moves nothing: the claim is set aside, named, and taken
again every night until a local override supplies the value.

A person's claims are decided in (certificate date, filed date, claim id) order against the
person's grants, counting those granted earlier in the same chunk (`decide` takes the chunk's rows
in that order, `person_order`: a person's claims are next to each other).
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, and_, or_

from rules.decision import Decision, TraceEntry
from rules.record import CERTIFICATE_KINDS
from services.nightly.base import CLAIM, ZERO, Batch, Run
from services.nightly.grants import grant_of, grants_in_range
from services.oversight.fraud import CertificateHolders, findings
from services.oversight.holds import hold_reason, open_holds
from services.oversight.reference import References, reference_findings
from services.settings import Settings
from states.lifecycle import sources

STEP = "assess"
COMPLETION_FAILED = "completion_failed"


def completion_ready(row: Any) -> bool:
    """Certificate kinds need the certificate date; other kinds filed with an advance wait for
    their completion result; the rest carry their facts from filing."""
    if row.completion_result == "fail":
        return False
    if row.kind in CERTIFICATE_KINDS:
        return row.certificate_date is not None
    return row.completion_result == "pass" or not row.advance_requested


def source(run: Run, settings: Settings) -> Any:
    ready = or_(
        CLAIM.c.completion_result == "fail",
        and_(CLAIM.c.kind.in_(sorted(CERTIFICATE_KINDS)), CLAIM.c.certificate_date.isnot(None)),
        and_(CLAIM.c.kind.notin_(sorted(CERTIFICATE_KINDS)),
             or_(CLAIM.c.completion_result == "pass", CLAIM.c.advance_requested.is_(False))),
    )
    return and_(CLAIM.c.state.in_(sources("assess", "refuse")), ready)


_TRACE_FIELDS = tuple(f.name for f in fields(TraceEntry))


_TRACES: dict[tuple[TraceEntry, ...], str] = {}
"""trace -> its JSON: most claims of a chunk repeat a few traces (entries are immutable values)"""


def trace_json(decision: Decision) -> str:
    found = _TRACES.get(decision.trace)
    if found is None:
        if len(_TRACES) >= 10_000:
            _TRACES.clear()
        found = _TRACES[decision.trace] = _trace_text(decision.trace)
    return found


_CITATIONS: dict[tuple[str, ...], str] = {}
"""citations -> their JSON: one text per decision shape"""


def citations_json(citations: tuple[str, ...] | list[str]) -> str:
    key = tuple(citations)
    found = _CITATIONS.get(key)
    if found is None:
        if len(_CITATIONS) >= 10_000:
            _CITATIONS.clear()
        found = _CITATIONS[key] = json.dumps(list(key), ensure_ascii=False)
    return found


def _trace_text(trace: tuple[TraceEntry, ...]) -> str:
    entries = []
    for entry in trace:
        item = {name: getattr(entry, name) for name in _TRACE_FIELDS}
        item["read_for"] = entry.read_for.isoformat()
        entries.append(item)
    return json.dumps(entries, ensure_ascii=False)


def decide(conn: Connection, rows: list[Any], batch: Batch) -> None:
    history = grants_in_range(conn, rows[0].person_key, max(r.person_key for r in rows) + 1,
                              persons=(r.person_id for r in rows))
    holders = CertificateHolders(conn, rows)
    refs = References(conn, rows)
    held = open_holds(conn, [r.id for r in rows])
    owed: list[tuple[Any, Any, str]] = []
    last = len(rows) - 1
    for at, row in enumerate(rows):
        if row.id in held:  # an institution signal: a reviewer clears or confirms it first
            batch.set_aside(row, hold_reason(held[row.id]))
            continue
        if row.completion_result == "fail":
            _refuse(batch, row, (COMPLETION_FAILED,), [], None, owed)
            continue
        if not completion_ready(row):
            continue
        decision = batch.decide_or_set_aside(row, history.get(row.person_id, []))
        if decision is None:
            continue
        if decision.eligible and (found := [*findings(row, history.get(row.person_id, []), holders),
                                            *reference_findings(row, refs)]):
            _refuse(batch, row, tuple(f.code for f in found),
                    [*decision.citations, *(f.citation for f in found if f.citation)], decision, owed,
                    detail="; ".join(f.message for f in found))
        elif decision.eligible:
            batch.move(row, "assess", reason=f"eligible: {decision.amount:.2f}",
                       amount=decision.amount, citations=citations_json(decision.citations),
                       decision_trace=trace_json(decision), draft=decision.draft, reasons="",
                       months_paid=decision.months_paid if row.months is not None else None)
            if at < last and rows[at + 1].person_id == row.person_id:  # a later claim of the person counts it
                history.setdefault(row.person_id, []).append(
                    grant_of(row, decision.amount, decision.months_paid if row.months is not None else None))
            holders.granted(row)
        else:
            _refuse(batch, row, decision.reasons, list(decision.citations), decision, owed)
    batch.owe(conn, owed)


def _refuse(batch: Batch, row: Any, reasons: tuple[str, ...], citations: list[str],
            decision: Decision | None, owed: list[tuple[Any, Any, str]], detail: str | None = None) -> None:
    codes = ";".join(reasons)
    why = f"not eligible: {codes}" + (f" — {detail}" if detail else "")
    batch.move(row, "refuse", reason=why, amount=ZERO, reasons=codes,
               citations=citations_json(citations),
               decision_trace=trace_json(decision) if decision else None,
               draft=decision.draft if decision else row.draft,
               recovery_owed=row.recovery_owed + row.advance_paid)
    if row.advance_paid > 0:
        owed.append((row, row.advance_paid, f"{codes}: advance paid back"))
