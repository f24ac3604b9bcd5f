"""Reference extracts and the assessment's checks against them (证书联网查询, 参保记录比对).

`claims reference import` loads a certificate registry extract (证书编号, 姓名, 身份证号, 职业,
等级, 发证日期, 发证机构) or an insurance extract (身份证号, 参保月数, 截至日期) as dated rows;
the same row again changes nothing (the database's unique keys decide).

Where a reference is present the assess step checks the claim against it instead of taking the
claim's word (`reference_findings`, pure):

- `certificate_not_in_registry` — the registry holds extracts but not this certificate number;
- `certificate_mismatch`        — the registry's holder (身份证号), level or issue date differs;
- `insured_months_not_confirmed` — the claim states more insured months than the person's latest
                                   insurance extract dated on or before the filing day shows.

A person absent from every insurance extract is not checked (the extract does not cover them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from intake.messages import msg
from intake.validate import text_problem
from models.oversight import REF_CERTIFICATE, REF_INSURANCE
from models.tables import text_length
from rules.record import LEVELS
from rules.text import folded_code
from services.oversight.fraud import SUPERVISION_CLAUSE, Finding
from services.settings import chunk_size

CERTIFICATE_COLUMNS: dict[str, str] = {
    "证书编号": "certificate_no", "姓名": "name", "身份证号": "person_id", "职业": "occupation",
    "等级": "level", "发证日期": "issued_on", "发证机构": "issuer",
}
INSURANCE_COLUMNS: dict[str, str] = {"身份证号": "person_id", "参保月数": "insured_months", "截至日期": "as_of"}
REASON_ZH: dict[str, str] = {
    "certificate_not_in_registry": "证书联网查询无此证书编号",
    "certificate_mismatch": "证书信息与证书查询系统不一致",
    "insured_months_not_confirmed": "参保月数与社保记录不符",
}
_LEVEL_CODES: dict[str, str] = {**{zh: code for code, zh in LEVELS.items()}, **{code: code for code in LEVELS}}
for _code, _zh in LEVELS.items():
    if "（" in _zh:  # 中级工（四级） -> 中级工, 四级
        _LEVEL_CODES[_zh.split("（")[0]] = _code
        _LEVEL_CODES[_zh.split("（")[1].rstrip("）")] = _code


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    unchanged: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)


def _value(raw: Mapping[str, Any], names: Mapping[str, str], key: str) -> str | None:
    for column, name in names.items():
        if name == key:
            for candidate in (column, key):
                value = raw.get(candidate)
                if value is not None and str(value).strip():
                    return str(value).strip()
    return None


def _screened(raw: Mapping[str, Any], names: Mapping[str, str], key: str, table: Any,
              problems: list[str]) -> str | None:
    """A text of the extract as the claim import screens the claim's own (`text_problem`, within
    the column): a certificate number with a zero-width space would be "not in the registry", and
    one value over its column would fail the whole chunk on PostgreSQL. An identity number is
    read as the import reads the claim's (full-width as ASCII, upper case), or the two never meet."""
    text = _value(raw, names, key)
    if text is None:
        return None
    if key == "person_id":
        text = folded_code(text)
    problem = text_problem(key, text, text_length(table.c[key]))
    if problem:
        problems.append(f"{key}: {problem}")
        return None
    return text


def _day(text: str | None, what: str, problems: list[str]) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        problems.append(msg("reference.not_date", "en", what=what, value=repr(text)))
        return None


def _insert_ignoring(conn: Connection, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> int:
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(rows).on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    return len(conn.execute(stmt).all())  # rows written: rowcount is -1 for psycopg's multi-row insert


def import_certificates(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any]]], *,
                        extract_on: date) -> ImportReport:
    return _import(engine, rows, extract_on=extract_on, certificates=True)


def import_insurance(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any]]], *,
                     extract_on: date) -> ImportReport:
    return _import(engine, rows, extract_on=extract_on, certificates=False)


def _import(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any]]], *, extract_on: date,
            certificates: bool) -> ImportReport:
    report = ImportReport()
    names = CERTIFICATE_COLUMNS if certificates else INSURANCE_COLUMNS
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as conn:
            if certificates:
                added = _insert_ignoring(conn, REF_CERTIFICATE, batch, ["certificate_no", "extract_on"])
            else:
                added = _insert_ignoring(conn, REF_INSURANCE, batch, ["person_id", "as_of"])
        report.added += added
        report.unchanged += len(batch) - added
        batch.clear()

    for number, raw in rows:
        report.rows += 1
        problems: list[str] = []
        table = REF_CERTIFICATE if certificates else REF_INSURANCE
        person = _screened(raw, names, "person_id", table, problems)
        if not person and _value(raw, names, "person_id") is None:
            problems.append(msg("reference.no_person_id", "en"))
        if certificates:
            number_text = _screened(raw, names, "certificate_no", table, problems)
            if _value(raw, names, "certificate_no") is None:
                problems.append(msg("reference.no_certificate", "en"))
            level_text = _screened(raw, names, "level", table, problems)
            level = _LEVEL_CODES.get(level_text or "", level_text)
            row: dict[str, Any] = {
                "certificate_no": number_text, "name": _screened(raw, names, "name", table, problems),
                "person_id": person, "occupation": _screened(raw, names, "occupation", table, problems),
                "level": level, "issued_on": _day(_value(raw, names, "issued_on"), "发证日期", problems),
                "issuer": _screened(raw, names, "issuer", table, problems), "extract_on": extract_on}
        else:
            months_text = _value(raw, names, "insured_months")
            months = int(months_text) if months_text and months_text.isdigit() else None
            if months is None:
                problems.append(msg("reference.not_months", "en", value=repr(months_text)))
            row = {"person_id": person, "insured_months": months,
                   "as_of": _day(_value(raw, names, "as_of"), "截至日期", problems) or extract_on}
        if problems:
            report.problems.append((number, "; ".join(problems)))
            continue
        batch.append(row)
        if len(batch) >= chunk_size():
            flush()
    if batch:
        flush()
    return report


@dataclass(frozen=True, slots=True)
class CertificateFact:
    person_id: str
    level: str | None
    issued_on: date | None
    extract_on: date


class References:
    """What the extracts say about one chunk's claims: two bulk reads per chunk."""

    def __init__(self, conn: Connection, rows: Sequence[Any]) -> None:
        self.registry_present = bool(conn.execute(select(exists().select_from(REF_CERTIFICATE))).scalar())
        self.certificates: dict[str, CertificateFact] = {}
        self.insurance: dict[str, list[tuple[date, int]]] = defaultdict(list)
        numbers = sorted({r.certificate_no for r in rows if r.certificate_no})
        persons = sorted({r.person_id for r in rows if r.insured_months is not None})
        for start in range(0, len(numbers), 1000):
            for r in conn.execute(select(REF_CERTIFICATE.c.certificate_no, REF_CERTIFICATE.c.person_id,
                                         REF_CERTIFICATE.c.level, REF_CERTIFICATE.c.issued_on,
                                         REF_CERTIFICATE.c.extract_on)
                                  .where(REF_CERTIFICATE.c.certificate_no.in_(numbers[start:start + 1000]))):
                known = self.certificates.get(r.certificate_no)
                if known is None or r.extract_on > known.extract_on:  # the latest extract speaks
                    self.certificates[r.certificate_no] = CertificateFact(r.person_id, r.level, r.issued_on,
                                                                          r.extract_on)
        for start in range(0, len(persons), 1000):
            for ins in conn.execute(select(REF_INSURANCE.c.person_id, REF_INSURANCE.c.as_of,
                                         REF_INSURANCE.c.insured_months)
                                  .where(REF_INSURANCE.c.person_id.in_(persons[start:start + 1000]))):
                self.insurance[ins.person_id].append((ins.as_of, ins.insured_months))


def reference_findings(row: Any, refs: References) -> list[Finding]:
    """The claim against the extracts (pure given `refs`): reason codes with the supervision clause."""
    found: list[Finding] = []
    clause = SUPERVISION_CLAUSE.get(row.policy)
    if row.certificate_no and refs.registry_present:
        fact = refs.certificates.get(row.certificate_no)
        if fact is None:
            found.append(Finding("certificate_not_in_registry", clause,
                                 f"certificate {row.certificate_no} is not in the registry extract"))
        else:
            wrong = []
            if fact.person_id != row.person_id:
                wrong.append("holder 身份证号")
            if fact.level and row.level and fact.level != row.level:
                wrong.append(f"level {fact.level} in the registry, {row.level} claimed")
            if fact.issued_on and row.certificate_date and fact.issued_on != row.certificate_date:
                wrong.append(f"issued {fact.issued_on} in the registry, {row.certificate_date} claimed")
            if wrong:
                found.append(Finding("certificate_mismatch", clause,
                                     f"certificate {row.certificate_no} (registry extract of {fact.extract_on}): "
                                     + "; ".join(wrong)))
    if row.insured_months is not None:
        dated = [(as_of, months) for as_of, months in refs.insurance.get(row.person_id, ())
                 if as_of <= row.filed_on]
        if dated:
            as_of, months = max(dated)
            if row.insured_months > months:
                found.append(Finding("insured_months_not_confirmed", clause,
                                     f"{row.insured_months} insured months claimed, the insurance extract "
                                     f"shows {months} up to {as_of}"))
    return found
