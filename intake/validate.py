"""Raw row -> `ClaimRecord`, collecting every field error of the row (CONTRACT §1).

Plain functions, no per-row model objects: import runs this on every row of a file.
Messages are plain language, name the field and show the bad value (identity numbers and
accounts masked).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, cast

from intake.identity import birth_date
from intake.identity import credit_code_problem as _credit_code_problem
from intake.identity import identity_problem as _identity_problem
from intake.jurisdictions import JURISDICTIONS
from intake.limits import INT_RANGES, MAX_MONEY, TEXT_LIMITS
from intake.privacy import mask_account, mask_id
from intake.readers import RowProblem, _clean
from rules.packs import load_pack
from rules.payee import required_payee_type
from rules.record import (
    CERTIFICATE_KINDS,
    GROUPS,
    KINDS,
    LEVELS,
    PAYEE_TYPES,
    POLICIES,
    RECORD_FIELDS,
    ClaimRecord,
)

identity_problem = lru_cache(maxsize=1 << 16)(_identity_problem)
"""intake.identity's checks, remembered per number: a file names the same people and payees
on many rows."""
credit_code_problem = lru_cache(maxsize=1 << 16)(_credit_code_problem)

APPRENTICE_TYPES: dict[str, str] = {"employee": "职工学徒", "student": "学生学徒"}
ORGANISATION_PAYEES = frozenset({"enterprise", "institution"})
TRUE_WORDS = frozenset({"true", "1", "是", "yes", "y"})
FALSE_WORDS = frozenset({"false", "0", "否", "no", "n"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONEY = re.compile(r"\d+(\.\d{1,2})?")
_GROUP_SPLIT = re.compile(r"[;；]")

ALWAYS_REQUIRED = ("claim_id", "policy", "kind", "person_id", "person_name", "region",
                   "filed_on", "payee_type", "payee_id")
KIND_REQUIRED: dict[str, tuple[str, ...]] = {
    "apprenticeship": ("apprentice_type", "apprentice_year"),
    "work_based_training": ("months",),
    "living_allowance": ("days",),
    "employment_service": ("employed_on",),
    "project_training": ("catalog_standard",),
}
CERTIFICATE_FIELDS = ("occupation", "level", "certificate_date")
ADVANCE_MAY_LEAVE_EMPTY = frozenset({"level", "certificate_date"})


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidRecord(Exception):
    """A row that is not a valid claim record; `errors` holds every problem found."""

    def __init__(self, claim_id: str | None, errors: list[FieldError]) -> None:
        self.claim_id = claim_id
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def show(field: str, value: str) -> str:
    """The value as a message may quote it: identity numbers and accounts masked."""
    if field in ("person_id", "payee_id"):
        return repr(mask_id(value))
    if field == "bank_account":
        return repr(mask_account(value))
    return repr(value if len(value) <= 40 else value[:37] + "...")


FORMULA_STARTS = "=+-@"
"""First characters of a text a spreadsheet may take for a formula (`looks_like_formula`)."""


def looks_like_formula(text: str) -> bool:
    if text[0] == "=":
        return True
    return text[0] in FORMULA_STARTS[1:] and (len(text) == 1 or not text[1].isdigit())


class _Row:
    """One row being parsed: typed values so far and the errors met."""

    __slots__ = ("errors", "raw", "values")

    def __init__(self, raw: Mapping[str, object]) -> None:
        self.raw = raw
        self.values: dict[str, Any] = {}
        self.errors: list[FieldError] = []

    def text(self, field: str) -> str | None:
        value = self.raw.get(field)
        return value.strip() or None if isinstance(value, str) else _clean(value)

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))


def _text(row: _Row, field: str, value: str) -> Any:
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        row.fail(field, f"is {len(value)} characters long; at most {limit} are allowed")
        return None
    if looks_like_formula(value):
        row.fail(field, f"{show(field, value)} looks like a spreadsheet formula; "
                        "enter the value itself")
        return None
    return value


def _code(table: Mapping[str, str]) -> Callable[[_Row, str, str], Any]:
    def parse(row: _Row, field: str, value: str) -> Any:
        if value in table:
            return value
        row.fail(field, f"{show(field, value)} is not a known code; use one of "
                        f"{', '.join(table)}")
        return None
    return parse


_KNOWN_LIMIT = 4096
"""Valid date and group texts remembered per process (a file repeats a few hundred)."""
_KNOWN_DATES: dict[str, date] = {}
_KNOWN_GROUPS: dict[str, tuple[str, ...]] = {}


def _remember(known: dict[str, Any], value: str, parsed: Any) -> Any:
    if len(known) < _KNOWN_LIMIT:
        known[value] = parsed
    return parsed


def _date(row: _Row, field: str, value: str) -> Any:
    found = _KNOWN_DATES.get(value)
    if found is not None:
        return found
    if _DATE.fullmatch(value):
        try:
            return _remember(_KNOWN_DATES, value, date.fromisoformat(value))
        except ValueError:
            row.fail(field, f"{show(field, value)} is not a real calendar date")
            return None
    row.fail(field, f"{show(field, value)} is not a date; write it as YYYY-MM-DD")
    return None


def _bool(row: _Row, field: str, value: str) -> Any:
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    row.fail(field, f"{show(field, value)} is not yes or no; write true/false, 1/0 or 是/否")
    return None


def _int(row: _Row, field: str, value: str) -> Any:
    low, high = INT_RANGES[field]
    if not value.isascii() or not value.isdigit():
        row.fail(field, f"{show(field, value)} is not a whole number")
        return None
    number = int(value)
    if not low <= number <= high:
        row.fail(field, f"{number} is out of range; it must be between {low} and {high}")
        return None
    return number


def _money(row: _Row, field: str, value: str) -> Any:
    if not _MONEY.fullmatch(value):
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            row.fail(field, f"{show(field, value)} is not an amount in yuan like 1500 or 1500.00")
            return None
        if parsed < 0:
            row.fail(field, f"{value} is negative; amounts are 0 or more")
        else:
            row.fail(field, f"{value} has more than 2 decimal places (fen)")
        return None
    amount = Decimal(value).quantize(Decimal("0.01"))
    if amount > MAX_MONEY:
        row.fail(field, f"{value} yuan is above the sanity bound of {MAX_MONEY} yuan")
        return None
    return amount


def _groups(row: _Row, field: str, value: str) -> Any:
    found = _KNOWN_GROUPS.get(value)
    if found is not None:
        return found
    codes = sorted({g.strip() for g in _GROUP_SPLIT.split(value) if g.strip()})
    unknown = [g for g in codes if g not in GROUPS]
    if unknown:
        verb = "is" if len(unknown) == 1 else "are"
        row.fail(field, f"{', '.join(map(repr, unknown))} {verb} not a known group code; use "
                        f"{', '.join(GROUPS)}")
        return ()
    if len(";".join(codes)) > TEXT_LIMITS["groups"]:
        row.fail(field, f"too long; at most {TEXT_LIMITS['groups']} characters")
        return ()
    return _remember(_KNOWN_GROUPS, value, tuple(codes))


def _upper(row: _Row, field: str, value: str) -> Any:
    return value.upper()


def _region(row: _Row, field: str, value: str) -> Any:
    if len(value) == 6 and value.isascii() and value.isdigit():
        return value
    row.fail(field, f"{show(field, value)} is not a 6-digit administrative division code")
    return None


PARSERS: dict[str, Callable[[_Row, str, str], Any]] = {
    "claim_id": _text, "policy": _code(dict.fromkeys(POLICIES, "")), "kind": _code(KINDS),
    "person_id": _upper, "person_name": _text, "groups": _groups, "region": _region,
    "filed_on": _date, "payee_type": _code(PAYEE_TYPES), "payee_id": _upper,
    "occupation": _text, "level": _code(LEVELS), "urgent": _bool, "certificate_no": _text,
    "certificate_date": _date, "enterprise_funded": _bool,
    "apprentice_type": _code(APPRENTICE_TYPES), "apprentice_year": _int, "months": _int,
    "days": _int, "training_start": _date, "training_end": _date, "employed_on": _date,
    "catalog_standard": _money, "advance_requested": _bool, "class_id": _text,
    "organizer": _text, "payee_name": _text, "bank_account": _text, "insured_months": _int,
    "employed_months": _int, "employed_in_province": _bool,
}
DEFAULTS: dict[str, Any] = {"groups": (), "urgent": False, "enterprise_funded": False,
                            "advance_requested": False}
EMPTY_VALUES: dict[str, Any] = {name: DEFAULTS.get(name) for name in RECORD_FIELDS}
assert set(PARSERS) == set(RECORD_FIELDS), "every record field needs a parser"


def parse_record(raw: Mapping[str, object]) -> ClaimRecord:
    """The validated record, or InvalidRecord naming every bad field of the row."""
    return ClaimRecord(**parse_values(raw))


def parse_values(raw: Mapping[str, object]) -> dict[str, Any]:
    """`parse_record`'s checks, returning the record's field values (every RECORD_FIELDS
    name) instead of the record: what import files without building a ClaimRecord per row."""
    if isinstance(raw, RowProblem):
        raise InvalidRecord(None, [FieldError("row", raw.problem)])
    row = _Row(raw)
    values = row.values = dict(EMPTY_VALUES)
    given: set[str] = set()
    parsers = PARSERS
    for field, value in raw.items():
        if value is None:
            continue
        parser = parsers.get(field)
        if parser is None:
            continue
        text = value.strip() if value.__class__ is str else _clean(value)
        if not text:
            continue
        given.add(field)
        parsed = parser(row, field, text)
        if parsed is not None:
            values[field] = parsed
    _check_required(row, given)
    _check_identities(row)
    _check_consistency(row)
    if row.errors:
        raise InvalidRecord(row.text("claim_id"), row.errors)
    _check_payee_rule(row, values)
    if row.errors:
        raise InvalidRecord(values["claim_id"], row.errors)
    return values


def _check_required(row: _Row, given: set[str]) -> None:
    values = row.values
    for field in ALWAYS_REQUIRED:
        if field not in given:
            row.fail(field, "is required and missing")
    kind = values["kind"]
    if kind in CERTIFICATE_KINDS:
        for field in CERTIFICATE_FIELDS:
            if field in given:
                continue
            if values["advance_requested"] and field in ADVANCE_MAY_LEAVE_EMPTY:
                continue
            row.fail(field, f"is required for kind {kind}"
                     + (" (a claim asking for an advance may leave it empty until completion)"
                        if field in ADVANCE_MAY_LEAVE_EMPTY else ""))
    for field in KIND_REQUIRED.get(kind, ()):
        if field not in given:
            row.fail(field, f"is required for kind {kind}")


def _check_identities(row: _Row) -> None:
    values = row.values
    person_id = values["person_id"]
    if person_id:
        problem = identity_problem(person_id)
        if problem:
            row.fail("person_id", f"{problem}: {show('person_id', person_id)}")
            values["person_id"] = None
        elif values["filed_on"] and birth_date(person_id) > values["filed_on"]:
            row.fail("person_id", f"its birth date is after filed_on {values['filed_on']}: "
                                  f"{show('person_id', person_id)}")
    payee_id, payee_type = values["payee_id"], values["payee_type"]
    if payee_id and payee_type:
        if payee_type == "individual":
            problem = None if payee_id == values["person_id"] else identity_problem(payee_id)
            what = "an identity number (payee_type individual)"
        else:
            problem = credit_code_problem(payee_id)
            what = f"a unified social credit code (payee_type {payee_type})"
        if problem:
            row.fail("payee_id", f"is not {what}: {problem}: {show('payee_id', payee_id)}")


def _check_consistency(row: _Row) -> None:
    values = row.values
    policy, region = values["policy"], values["region"]
    if policy and region and not JURISDICTIONS[policy].contains(region):
        jurisdiction = JURISDICTIONS[policy]
        row.fail("region", f"{region} is not in {jurisdiction.name}, the area of {policy} "
                           f"(its codes start with {jurisdiction.prefix})")
    if values["advance_requested"] and values["payee_type"] == "individual":
        row.fail("advance_requested", "advances go to organisations only; payee_type is "
                                      "individual")
    start, end = values["training_start"], values["training_end"]
    if start and end and end < start:
        row.fail("training_end", f"{end} is before training_start {start}")


def _check_payee_rule(row: _Row, values: dict[str, Any]) -> None:
    """Where a seed names who is paid, a contradicting payee_type is an input error."""
    required = _required_payee(values["policy"], values["kind"], values["groups"],
                               values["enterprise_funded"])
    if required is not None and required[0] != values["payee_type"]:
        payee_type, citation = required
        row.fail("payee_type", f"the policy pays the {payee_type} here ({citation}), "
                               f"the file says {values['payee_type']}")


@dataclass(frozen=True, slots=True)
class _PayeeFacts:
    """The claim facts `rules.payee.required_payee_type` reads; reading any other field of
    the claim fails loudly (AttributeError) instead of answering from a partial record."""

    kind: str
    groups: tuple[str, ...]
    enterprise_funded: bool


def _required_payee(policy: str, kind: str, groups: tuple[str, ...],
                    enterprise_funded: bool) -> tuple[str, str] | None:
    """required_payee_type, remembered in the pack's memo under the rules engine's own key
    (rules/engine.py `_payee`): a file repeats a few hundred combinations."""
    pack = load_pack(policy)
    key = ("payee", kind, groups, enterprise_funded)
    try:
        return pack.memo[key]
    except KeyError:
        facts = _PayeeFacts(kind, groups, enterprise_funded)
        found = pack.memo[key] = required_payee_type(cast(ClaimRecord, facts), pack)
        return found
