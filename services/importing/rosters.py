"""Recording what staff bring in from outside: on-site inspections and training completion.

Neither moves a claim by itself: the nightly run applies an inspection result (step 2) and
assesses a claim once its completion facts are present (step 3). Completion fires the
internal `record_completion` event so the history shows who recorded what and when.
Both are idempotent: the same row again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from intake.headers import normal_header
from intake.messages import msg
from intake.validate import PARSERS, _Row, half_width, text_problem
from intake.validate import _date as parse_date
from models.tables import CLAIM, COMPLETION, INSPECTION, text_length
from rules.record import LEVELS
from services.access.actors import Actor, normalise
from services.access.roles import check_role
from services.gc_pause import gc_paused
from services.lookup import LOOKUP_COLUMNS, find_claims
from services.nightly.moves import (
    LAST_EVENT,
    LAST_EVENT_COLUMNS,
    MONEY_FIELDS,
    execute_many,
    now_of,
    plan_move,
    write_moves,
)
from services.settings import chunk_size
from states.lifecycle import IllegalTransition, sources

INSPECTABLE = sources("pass_inspection", "fail_inspection")
COMPLETABLE = sources("record_completion")


@dataclass
class RowProblem:
    row: int
    claim_id: str | None
    field: str
    message: str


@dataclass
class RecordReport:
    recorded: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_LIMITS = {"claim_id": text_length(CLAIM.c.claim_id), "inspector": text_length(INSPECTION.c.inspector),
           "certificate_no": min(text_length(CLAIM.c.certificate_no), text_length(COMPLETION.c.certificate_no))}
"""the one-line texts a roster brings in, each at most its column's length"""


def _screened(raw: Mapping[str, Any], name: str, problems: list[str]) -> str | None:
    """A roster's text as the import screens a claim's (`text_problem`; a note is a free text): a
    certificate number with a zero-width space is another certificate to every comparison. A
    problem is added as 'field: message' and None returned."""
    text = _text(raw, name)
    if text is None:
        return None
    problem = text_problem(name, text, _LIMITS.get(name), free=name == "note")
    if problem:
        problems.append(f"{name}: {problem}")
        return None
    return text


def _date(raw: Mapping[str, Any], name: str, problems: list[str]) -> date | None:
    """A date as offices write it (2020-06-01, 2020/6/1, 2020年6月1日, an Excel date cell)."""
    text = _text(raw, name)
    if text is None:
        return None
    row = _Row({})
    found = parse_date(row, name, text)
    problems.extend(str(error) for error in row.errors)
    return found if isinstance(found, date) else None


def _policy(text: str | None) -> str | None:
    """A policy by its code or its jurisdiction's Chinese name (葫芦岛市); unknown text as it is."""
    if text is None:
        return None
    row = _Row({})
    code = PARSERS["policy"](row, "policy", text)
    return code if isinstance(code, str) else text


LEVEL_CODES = {normal_header(label): code for code, label in LEVELS.items()}
"""A level by its Chinese label (初级工（五级）) as well as its code."""

RESULTS = {"pass": "pass", "fail": "fail", "通过": "pass", "不通过": "fail", "合格": "pass",
           "不合格": "fail", "未通过": "fail"}
"""A roster's result: pass/fail or the Chinese words offices write."""


def _result(raw: Mapping[str, Any], problems: list[str]) -> str | None:
    text = _text(raw, "result") or ""
    value = RESULTS.get(half_width(text).replace(" ", "").lower())
    if value is None:
        problems.append("result: " + msg("roster.result", "en", value=repr(text or "empty")))
        return None
    return value


def _chunks(rows: Iterable[tuple[int, Mapping[str, Any]]]) -> Iterable[list[tuple[int, Mapping[str, Any]]]]:
    batch: list[tuple[int, Mapping[str, Any]]] = []
    size = chunk_size()
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _as_read(claims: list[Any]) -> dict[int, Any]:
    """the claims as this transaction read them, for `write_moves`"""
    return {claim.id: now_of(claim) for claim in claims}


INSPECTION_READ = [CLAIM.c[name] for name in dict.fromkeys((
    "id", "claim_id", "policy", "state", "inspection_result", "inspected_on", "event_seq", "event_head",
    *MONEY_FIELDS))]
"""what recording an inspection reads of a claim: to find it, compare the roster with it, move it and
hash its move (a completion reads `LOOKUP_COLUMNS`: it compares and keeps more of the claim)"""


def _resolve(conn: Any, batch: list[tuple[int, Mapping[str, Any]]], report: RecordReport,
             allowed: tuple[str, ...], what: str,
             columns: Iterable[Any] = LOOKUP_COLUMNS) -> list[tuple[int, Mapping[str, Any], Any]]:
    refused: dict[int, list[str]] = {}
    refs = []
    for number, raw in batch:
        problems: list[str] = []
        claim_id = _screened(raw, "claim_id", problems) or ""
        if problems:
            refused[number] = problems
        refs.append((claim_id, _policy(_text(raw, "policy"))))
    # with each claim's last event, so its move is hashed without reading the claim again
    found = find_claims(conn, [ref for ref in refs if ref[0]], [*columns, *LAST_EVENT_COLUMNS], LAST_EVENT)
    resolved = []
    for (number, raw), ref in zip(batch, refs, strict=True):
        claim_id = ref[0]
        if number in refused:  # the id as typed is not shown raw: it may hold bidi characters
            report.problems.extend(RowProblem(number, None, *p.split(": ", 1)) for p in refused[number])
            continue
        if not claim_id:
            report.problems.append(RowProblem(number, None, "claim_id", msg("roster.missing", "en")))
            continue
        matches = found.get(ref, [])
        if not matches:
            report.problems.append(RowProblem(number, claim_id, "claim_id", msg("roster.no_claim", "en")))
        elif len(matches) > 1:
            report.problems.append(RowProblem(
                number, claim_id, "policy",
                msg("roster.several_policies", "en", claim_id=claim_id)))
        elif matches[0].state not in allowed:
            report.problems.append(RowProblem(
                number, claim_id, "claim_id",
                msg(what, "en", state=matches[0].state, allowed=", ".join(allowed))))
        else:
            resolved.append((number, raw, matches[0]))
    return resolved


def record_inspections(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any]]], *,
                       actor: Actor, on: date | None = None) -> RecordReport:
    """`claims inspect FILE`: rows claim_id, [policy], inspected_on, inspector, result, note.
    A row without an inspector is taken as inspected by the command's actor, one without
    inspected_on as inspected on the business date `on`."""
    check_role(actor)
    report = RecordReport()
    for batch in _chunks(rows):
        with engine.begin() as conn, gc_paused():  # services/gc_pause.py
            inserts: list[dict[str, Any]] = []
            moves = []
            resolved = _resolve(conn, batch, report, INSPECTABLE, "roster.state_inspection", INSPECTION_READ)
            claims = [claim for _, _, claim in resolved]
            for number, raw, claim in resolved:
                errors: list[str] = []
                day = _date(raw, "inspected_on", errors) or (None if errors else on)
                result = _result(raw, errors)
                inspector = normalise(_screened(raw, "inspector", errors) or actor.name)
                note = _screened(raw, "note", errors)
                if day is None and not errors:
                    errors.append("inspected_on: " + msg("roster.no_day", "en"))
                if errors:
                    for error in errors:
                        name, _, message = error.partition(": ")
                        report.problems.append(RowProblem(number, claim.claim_id, name, message))
                    continue
                if claim.inspection_result == result and claim.inspected_on == day:
                    report.unchanged += 1
                    continue
                inserts.append({"claim_pk": claim.id, "inspected_on": day, "inspector": inspector,
                                "result": result, "note": note,
                                "recorded_at": datetime.now(UTC)})
                # an event in the chain: the acting actor (who loaded the file) and the file's inspector
                moves.append(plan_move(claim, "record_inspection",
                                       reason=f"inspection {result} on {day} by inspector {inspector}",
                                       inspection_result=result, inspected_on=day))
            if inserts:
                execute_many(conn, insert(INSPECTION), inserts)
                write_moves(conn, moves, actor=actor, on=on or max(i["inspected_on"] for i in inserts),
                            known=_as_read(claims))
            report.recorded += len(inserts)
    return report


def record_completions(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any]]], *,
                       actor: Actor, on: date, run_id: str | None = None) -> RecordReport:
    """`claims complete FILE`: rows claim_id, [policy], certificate_no, certificate_date, [level],
    result (pass/fail). Sets the completion facts and logs `record_completion`."""
    check_role(actor)
    report = RecordReport()
    for batch in _chunks(rows):
        with engine.begin() as conn, gc_paused():  # services/gc_pause.py
            inserts: list[dict[str, Any]] = []
            moves = []
            resolved = _resolve(conn, batch, report, COMPLETABLE, "roster.state_completion")
            claims = [claim for _, _, claim in resolved]
            for number, raw, claim in resolved:
                errors: list[str] = []
                result = _result(raw, errors)
                certificate_date = _date(raw, "certificate_date", errors)
                certificate_no = _screened(raw, "certificate_no", errors) or claim.certificate_no
                level = _text(raw, "level")
                level = LEVEL_CODES.get(normal_header(level), level) if level else claim.level
                if level is not None and level not in LEVELS:
                    errors.append("level: " + msg("roster.level", "en", value=repr(level), levels=", ".join(LEVELS)))
                if result == "pass" and certificate_date is None and claim.certificate_date is None:
                    errors.append("certificate_date: " + msg("roster.certificate_needed", "en"))
                if certificate_date is not None and certificate_date > on:
                    errors.append("certificate_date: "
                                  + msg("roster.certificate_late", "en", day=certificate_date, on=on))
                if errors:
                    for error in errors:
                        name, _, message = error.partition(": ")
                        report.problems.append(RowProblem(number, claim.claim_id, name, message))
                    continue
                certificate_date = certificate_date or claim.certificate_date
                if (claim.completion_result == result and claim.certificate_no == certificate_no
                        and claim.certificate_date == certificate_date and claim.level == level):
                    report.unchanged += 1
                    continue
                inserts.append({"claim_pk": claim.id, "completed_on": on,
                                "certificate_no": certificate_no,
                                "certificate_date": certificate_date, "level": level,
                                "result": result, "actor": actor.name,
                                "recorded_at": datetime.now(UTC)})
                try:
                    moves.append(plan_move(
                        claim, "record_completion",
                        reason=f"completion {result}; certificate {certificate_no or '-'} "
                               f"of {certificate_date or '-'}",
                        completion_result=result, completed_on=on, certificate_no=certificate_no,
                        certificate_date=certificate_date, level=level))
                except IllegalTransition as exc:
                    report.problems.append(RowProblem(number, claim.claim_id, "claim_id", str(exc)))
                    inserts.pop()
            if inserts:
                execute_many(conn, insert(COMPLETION), inserts)
                write_moves(conn, moves, actor=actor, on=on, run_id=run_id, known=_as_read(claims))
            report.recorded += len(inserts)
    return report
