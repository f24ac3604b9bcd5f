"""Raw row -> `ClaimRecord`, collecting every field error of the row (CONTRACT §1).

Plain functions, no per-row model objects: import runs this on every row of a file.
Messages are plain language, name the field and show the bad value (identity numbers and
accounts masked).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, cast

from intake.headers import normal_header
from intake.identity import birth_date
from intake.identity import credit_code_problem as _credit_code_problem
from intake.identity import identity_problem as _identity_problem
from intake.jurisdictions import JURISDICTIONS
from intake.limits import INT_RANGES, MAX_MONEY, TEXT_LIMITS
from intake.messages import msg
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
from rules.text import HIDDEN, INVISIBLE, folded_code, half_width

identity_problem = lru_cache(maxsize=1 << 16)(_identity_problem)
"""intake.identity's checks, remembered per number: a file names the same people and payees
on many rows."""
credit_code_problem = lru_cache(maxsize=1 << 16)(_credit_code_problem)

APPRENTICE_TYPES: dict[str, str] = {"employee": "职工学徒", "student": "学生学徒"}
ORGANISATION_PAYEES = frozenset({"enterprise", "institution"})
TRUE_WORDS = frozenset({"true", "1", "是", "yes", "y"})
FALSE_WORDS = frozenset({"false", "0", "否", "no", "n"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LOOSE_DATE = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?"
                         r"(?:\s+0{1,2}:00(?::00)?)?")
_SERIAL = re.compile(r"\d{5}(\.0+)?")
_EXCEL_EPOCH = date(1899, 12, 30)
_SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]+")
_TRAILING_ZERO = re.compile(r"[0-9]+\.0+")
_ACCOUNT = re.compile(r"[0-9]{8,32}")
_PERSONAL_ACCOUNT = re.compile(r"[0-9]{16,19}")
"""an individual's bank card or social security card number (issue 17: 16–19 digits); an
organisation's account has 8 to 32"""
_MONEY = re.compile(r"\d+(\.\d{1,2})?")
_GROUP_SPLIT = re.compile(r"[;；、,，]")

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


def text_problem(field: str, value: str, limit: int | None = None, *, free: bool = False) -> str | None:
    """What is wrong with a text brought in from outside (a roster, a statement, a registry extract,
    an option), as the claim import screens its own texts, or None. A one-line text: at most `limit`
    characters, no formula, no line break, tab or invisible character. A `free` text (a note, a
    reason): no invisible character (line breaks allowed)."""
    if free:
        hidden = INVISIBLE.search(value)
    else:
        if limit is not None and len(value) > limit:
            return msg("row.too_long", "en", length=len(value), limit=limit)
        if looks_like_formula(value):
            return msg("row.formula", "en", value=show(field, value))
        hidden = HIDDEN.search(value)
    if hidden:
        return msg("row.hidden_char", "en", value=show(field, value), code=f"{ord(hidden.group()):04X}")
    return None


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
    problem = text_problem(field, value, TEXT_LIMITS[field])
    if problem:
        row.fail(field, problem)
        return None
    return value


def excel_mangled(value: str) -> str | None:
    """What Excel did to a long number typed into a number cell, or None."""
    if _SCIENTIFIC.fullmatch(value):
        return msg("row.excel_scientific", "en", value=repr(value))
    if _TRAILING_ZERO.fullmatch(value):
        return msg("row.excel_decimal", "en", tail=repr(value[value.index("."):]))
    return None


def _labels(table: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Code per matching key (`normal_header`) of each code and of its Chinese label."""
    found = {normal_header(label): code for code, label in table.items() if label}
    found.update({normal_header(code): code for code in table})
    for label, code in (extra or {}).items():
        found[normal_header(label)] = code
    return found


def _code(table: Mapping[str, str],
          extra: Mapping[str, str] | None = None) -> Callable[[_Row, str, str], Any]:
    labels = _labels(table, extra)

    def parse(row: _Row, field: str, value: str) -> Any:
        if value in table:
            return value
        code = labels.get(normal_header(value))
        if code is not None:
            return code
        row.fail(field, msg("row.unknown_code", "en", value=show(field, value), choices=", ".join(table)))
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
            row.fail(field, msg("row.not_real_date", "en", value=show(field, value)))
            return None
    text = half_width(value)
    loose = _LOOSE_DATE.fullmatch(text)
    if loose:
        try:
            return _remember(_KNOWN_DATES, value, date(*map(int, loose.groups())))
        except ValueError:
            row.fail(field, msg("row.not_real_date", "en", value=show(field, value)))
            return None
    if _SERIAL.fullmatch(text):  # an Excel date cell read as its serial number
        serial = int(float(text))
        if 20000 <= serial <= 80000:  # 1954-10-03 … 2119-01-10: a date, not another number
            return _remember(_KNOWN_DATES, value, _EXCEL_EPOCH + timedelta(days=serial))
    row.fail(field, msg("row.not_a_date", "en", value=show(field, value)))
    return None


def _bool(row: _Row, field: str, value: str) -> Any:
    word = half_width(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    row.fail(field, msg("row.not_yes_no", "en", value=show(field, value)))
    return None


def _int(row: _Row, field: str, value: str) -> Any:
    low, high = INT_RANGES[field]
    value = half_width(value)
    if not value.isascii() or not value.isdigit():
        row.fail(field, msg("row.not_whole", "en", value=show(field, value)))
        return None
    number = int(value)
    if not low <= number <= high:
        row.fail(field, msg("row.out_of_range", "en", number=number, low=low, high=high))
        return None
    return number


def _money(row: _Row, field: str, value: str) -> Any:
    value = half_width(value)
    if not _MONEY.fullmatch(value):
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            row.fail(field, msg("row.not_money", "en", value=show(field, value)))
            return None
        if parsed < 0:
            row.fail(field, msg("row.negative", "en", value=value))
        else:
            row.fail(field, msg("row.fen", "en", value=value))
        return None
    amount = Decimal(value).quantize(Decimal("0.01"))
    if amount > MAX_MONEY:
        row.fail(field, msg("row.above_bound", "en", value=value, bound=MAX_MONEY))
        return None
    return amount


def _groups(row: _Row, field: str, value: str) -> Any:
    found = _KNOWN_GROUPS.get(value)
    if found is not None:
        return found
    codes = sorted({_GROUP_LABELS.get(normal_header(g), g.strip())
                    for g in _GROUP_SPLIT.split(value) if g.strip()})
    unknown = [g for g in codes if g not in GROUPS]
    if unknown:
        row.fail(field, msg("row.unknown_group" if len(unknown) == 1 else "row.unknown_groups", "en",
                            codes=", ".join(map(repr, unknown)), choices=", ".join(GROUPS)))
        return ()
    if len(";".join(codes)) > TEXT_LIMITS["groups"]:
        row.fail(field, msg("row.groups_too_long", "en", limit=TEXT_LIMITS["groups"]))
        return ()
    return _remember(_KNOWN_GROUPS, value, tuple(codes))


def _upper(row: _Row, field: str, value: str) -> Any:
    """An identity number or credit code: full-width characters read as ASCII; one Excel has
    turned into a number is refused with what Excel did."""
    value = folded_code(value)
    mangled = excel_mangled(value)
    if mangled:
        row.fail(field, mangled)
        return None
    return value


def _account(row: _Row, field: str, value: str) -> Any:
    """A bank account or social security card number: 8 to 32 digits (spaces are dropped)."""
    text = re.sub(r"[\s-]", "", half_width(value))
    mangled = excel_mangled(text)
    if mangled:
        row.fail(field, mangled)
        return None
    if not _ACCOUNT.fullmatch(text):
        row.fail(field, msg("row.not_account", "en", value=show(field, value)))
        return None
    return text


def _region(row: _Row, field: str, value: str) -> Any:
    value = half_width(value)
    if len(value) == 6 and value.isascii() and value.isdigit():
        return value
    row.fail(field, msg("row.not_region", "en", value=show(field, value)))
    return None


POLICY_LABELS: dict[str, str] = {policy: JURISDICTIONS[policy].name for policy in POLICIES}
POLICY_EXTRA: dict[str, str] = {
    "葫芦岛": "huludao-2019", "黑龙江": "heilongjiang-2019", "南浔区": "nanxun-2019",
    "南浔": "nanxun-2019", "驻马店": "zhumadian-2019", "鄂尔多斯": "ordos-2019",
    "鄂尔多斯市": "ordos-2019"}
"""Policies by the Chinese name of their jurisdiction (GLOSSARY), long or short."""
_GROUP_LABELS = _labels(GROUPS, {
    "贫困家庭": "poor_labor", "城乡失业人员": "unemployed", "下岗失业人员": "unemployed",
    "参保职工": "unemployment_insured", "参加失业保险": "unemployment_insured",
    "去产能失业人员": "capacity_reduction", "“四煤城”转岗职工": "capacity_reduction"})
_LEVEL_EXTRA = {"初级工": "L5", "五级": "L5", "中级工": "L4", "四级": "L4", "高级工": "L3",
                "三级": "L3", "技师": "L2", "二级": "L2", "高级技师": "L1", "一级": "L1"}
_PAYEE_EXTRA = {"生产经营主体": "enterprise", "职业院校": "institution", "培训主体": "institution"}
_KIND_EXTRA = {"职工岗位技能提升培训补贴": "skill_upgrade", "企业新型学徒制": "apprenticeship",
               "学徒": "apprenticeship", "转岗转业培训": "job_transfer_training"}

PARSERS: dict[str, Callable[[_Row, str, str], Any]] = {
    "claim_id": _text, "policy": _code(POLICY_LABELS, POLICY_EXTRA), "kind": _code(KINDS, _KIND_EXTRA),
    "person_id": _upper, "person_name": _text, "groups": _groups, "region": _region,
    "filed_on": _date, "payee_type": _code(PAYEE_TYPES, _PAYEE_EXTRA), "payee_id": _upper,
    "occupation": _text, "level": _code(LEVELS, _LEVEL_EXTRA), "urgent": _bool, "certificate_no": _text,
    "certificate_date": _date, "enterprise_funded": _bool,
    "apprentice_type": _code(APPRENTICE_TYPES, {"职工": "employee", "学生": "student"}),
    "apprentice_year": _int, "months": _int,
    "days": _int, "training_start": _date, "training_end": _date, "employed_on": _date,
    "catalog_standard": _money, "advance_requested": _bool, "class_id": _text,
    "organizer": _text, "payee_name": _text, "bank_account": _account, "insured_months": _int,
    "employed_months": _int, "employed_in_province": _bool,
    "bank_name": _text, "apprentice_allowance_actual": _money,
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
            row.fail(field, msg("row.required", "en"))
    kind = values["kind"]
    if kind in CERTIFICATE_KINDS:
        for field in CERTIFICATE_FIELDS:
            if field in given:
                continue
            if values["advance_requested"] and field in ADVANCE_MAY_LEAVE_EMPTY:
                continue
            row.fail(field, msg("row.required_unless_advance" if field in ADVANCE_MAY_LEAVE_EMPTY
                                else "row.required_for_kind", "en", kind=kind))
    for field in KIND_REQUIRED.get(kind, ()):
        if field not in given:
            row.fail(field, msg("row.required_for_kind", "en", kind=kind))


def _check_identities(row: _Row) -> None:
    values = row.values
    person_id = values["person_id"]
    if person_id:
        problem = identity_problem(person_id)
        if problem:
            row.fail("person_id", msg("row.person_id_bad", "en", problem=problem,
                                      value=show("person_id", person_id)))
            values["person_id"] = None
        elif values["filed_on"] and birth_date(person_id) > values["filed_on"]:
            row.fail("person_id", msg("row.born_after_filing", "en", filed_on=values["filed_on"],
                                      value=show("person_id", person_id)))
    payee_id, payee_type = values["payee_id"], values["payee_type"]
    if payee_id and payee_type:
        if payee_type == "individual":
            problem = None if payee_id == values["person_id"] else identity_problem(payee_id)
            if problem:
                row.fail("payee_id", msg("row.payee_not_person_id", "en", problem=problem,
                                         value=show("payee_id", payee_id)))
        else:
            problem = credit_code_problem(payee_id)
            if problem:
                row.fail("payee_id", msg("row.payee_not_credit_code", "en", payee_type=payee_type,
                                         problem=problem, value=show("payee_id", payee_id)))
    account = values.get("bank_account")
    if account and payee_type == "individual" and not _PERSONAL_ACCOUNT.fullmatch(account):
        row.fail("bank_account", msg("row.personal_account", "en", value=show("bank_account", account),
                                     digits=len(account)))


def _check_consistency(row: _Row) -> None:
    values = row.values
    policy, region = values["policy"], values["region"]
    if policy and region and not JURISDICTIONS[policy].contains(region):
        jurisdiction = JURISDICTIONS[policy]
        row.fail("region", msg("row.outside_jurisdiction", "en", region=region, area=jurisdiction.name,
                               policy=policy, prefix=jurisdiction.prefix))
    if values["advance_requested"] and values["payee_type"] == "individual":
        row.fail("advance_requested", msg("row.advance_individual", "en"))
    start, end = values["training_start"], values["training_end"]
    if start and end and end < start:
        row.fail("training_end", msg("row.training_order", "en", end=end, start=start))


def _check_payee_rule(row: _Row, values: dict[str, Any]) -> None:
    """Where a seed names who is paid, a contradicting payee_type is an input error."""
    required = _required_payee(values["policy"], values["kind"], values["groups"],
                               values["enterprise_funded"])
    if required is not None and required[0] != values["payee_type"]:
        payee_type, citation = required
        row.fail("payee_type", msg("row.payee_rule", "en", required=payee_type, citation=citation,
                                   given=values["payee_type"]))


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
