"""The policy-pack file format, validated on load (pydantic, unknown keys refused).

A pack is one seed policy as data. Every number is a dated entry with its kind
(fixed / minimum / maximum / open) and its seed clause; see docs/rules.md.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.record import GROUPS, KINDS, LEVELS, PAYEE_TYPES, POLICIES

Kind = Literal["fixed", "minimum", "maximum", "open"]
Unit = Literal[
    "yuan", "yuan_per_year", "yuan_per_month", "yuan_per_day", "rate", "months", "years", "count"
]
Basis = Literal["per_certificate", "per_year", "per_month", "per_day", "catalog_standard"]
Layout = Literal["district", "city", "department", "year", "span"]

SEED_FILES: dict[str, str] = {
    "huludao-2019": "000_024512f998c4ead0.txt",
    "heilongjiang-2019": "001_ee879c1017401fad.txt",
    "nanxun-2019": "002_726346298f4f3b50.txt",
    "zhumadian-2019": "003_af086d0a8329b243.txt",
    "ordos-2019": "004_f9282158eb6a007b.txt",
}
_CITATION = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt \S.*$")


def _citation(value: str) -> str:
    if not _CITATION.match(value):
        raise ValueError(f"{value!r} is not a citation '<seed file> <clause>'")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValueEntry(Strict):
    """One dated value of a parameter. `value` is null only for kind `open`."""

    start: date | None = Field(None, alias="from")
    until: date | None = None
    value: Decimal | None = None
    kind: Kind
    source: str
    quote: str = ""
    note: str = ""

    _source = field_validator("source")(_citation)

    @model_validator(mode="after")
    def _consistent(self) -> ValueEntry:
        if self.kind == "open" and self.value is not None:
            raise ValueError("an open value has no number (value must be null)")
        if self.kind != "open" and self.value is None:
            raise ValueError(f"a {self.kind} value needs a number")
        if self.value is not None and self.value <= 0:
            raise ValueError(f"value {self.value} must be positive")
        if self.start and self.until and self.until < self.start:
            raise ValueError(f"until {self.until} is before from {self.start}")
        return self


class ParameterSpec(Strict):
    label_zh: str
    label_en: str
    unit: Unit
    values: list[ValueEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _bounds_and_overlap(self) -> ParameterSpec:
        for entry in self.values:
            if entry.value is not None and self.unit == "rate" and entry.value > 1:
                raise ValueError(f"rate {entry.value} is above 1")
            if entry.value is not None and self.unit in ("months", "years", "count") and (
                entry.value != entry.value.to_integral_value()
            ):
                raise ValueError(f"{self.unit} value {entry.value} must be whole")
        spans = sorted(
            ((e.start or date.min, e.until or date.max) for e in self.values), key=lambda s: s[0]
        )
        for (_, end), (start, _) in pairwise(spans):
            if start <= end:
                raise ValueError(f"dated values overlap (one runs to {end}, the next starts {start})")
        return self


class RateRow(Strict):
    """Which parameter prices a claim: the first row whose set fields match it."""

    level: str | None = None
    urgent: bool | None = None
    apprentice_type: Literal["employee", "student"] | None = None
    groups_any: list[str] = []
    """the row prices only these groups (a clause that grants a group its own, maybe open, amount)"""
    param: str
    term: str | None = None
    """parameter capping apprenticeship years (unit years)"""
    term_after_other_scheme: str | None = None
    """parameter: this scheme's years for a person already granted the other apprenticeship scheme
    (a student apprentice who becomes an employee apprentice, or the reverse). Open where the seed
    states no conversion rule: such a claim is `missing_parameter` naming it until the deployment
    sets it; the term still caps it"""
    min_tenure_months: str | None = None
    """parameter: months employed before the claim (checked where employed_months is given)"""
    actual: Literal["apprentice_allowance_actual"] | None = None
    """the claim's own figure (a record field) is the amount, paid up to `param`, which must be a
    ceiling (不高于/不超过): "一般按学徒月实习津贴标准确定，每人每年不高于3000元". Without the figure the
    claim lacks a fact (`missing_facts`), never paid the ceiling"""

    @field_validator("level")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        if value is not None and value not in LEVELS:
            raise ValueError(f"unknown level {value!r} (GLOSSARY: {', '.join(LEVELS)})")
        return value


class EmploymentCondition(Strict):
    """A fact the kind depends on, checked where the claim gives it (else attested)."""

    employed_months_min: str | None = None
    employed_within_months: str | None = None
    employed_in_province: bool | None = None
    when_groups: list[str] = []
    source: str

    _source = field_validator("source")(_citation)


class InsuredCondition(Strict):
    """The trainee must be insured (参保职工…, 凡参加失业保险的人员): `insured_months` when the
    claim gives it (at least `months_min`'s value, else at least one month), else the
    `unemployment_insured` group. Groups in `except_groups` (the seed's 参照执行) need neither."""

    months_min: str | None = None
    """parameter: the shortest insurance the seed states (e.g. 参保1年以上 = 12 months)"""
    except_groups: list[str] = []
    source: str

    _source = field_validator("source")(_citation)


class KindSpec(Strict):
    label_zh: str
    basis: Basis
    source: str
    rates: list[RateRow] = []
    months_cap: str | None = None
    groups_any: list[str] = []
    groups_none: list[str] = []
    groups_source: str | None = None
    conditions: list[EmploymentCondition] = []
    insured: InsuredCondition | None = None
    note: str = ""

    _source = field_validator("source")(_citation)

    @field_validator("groups_any", "groups_none")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        unknown = [g for g in value if g not in GROUPS]
        if unknown:
            raise ValueError(f"unknown group code(s) {unknown} (GLOSSARY)")
        return value

    @model_validator(mode="after")
    def _shape(self) -> KindSpec:
        if self.basis == "catalog_standard" and self.rates:
            raise ValueError("a catalog_standard kind takes its amount from the claim, not rates")
        if self.basis != "catalog_standard" and not self.rates:
            raise ValueError(f"a {self.basis} kind needs rates")
        if self.basis == "per_month" and not self.months_cap:
            raise ValueError("a per_month kind needs months_cap")
        if (self.groups_any or self.groups_none) and not self.groups_source:
            raise ValueError("groups need groups_source (the clause naming them)")
        return self


class PayeeRule(Strict):
    kinds: list[str] = []
    groups: list[str] = []
    enterprise_funded: bool | None = None
    payee: str
    source: str

    _source = field_validator("source")(_citation)

    @field_validator("payee")
    @classmethod
    def _payee(cls, value: str) -> str:
        if value not in PAYEE_TYPES:
            raise ValueError(f"unknown payee type {value!r}")
        return value


class AdvanceSpec(Strict):
    rate: str | None = None
    """parameter name; null when the seed provides no advance"""
    kinds: list[str] = []
    payee_types: list[str] = []
    groups_any: list[str] = []
    regions_any: list[str] = []
    """region-code prefixes the advance is for (e.g. the 四煤城 2303, 2304, 2305, 2309); the claim's
    region must start with one of them as well as its person being in `groups_any`"""
    source: str
    note: str = ""

    _source = field_validator("source")(_citation)


class NotCombinable(Strict):
    kinds: list[str] = Field(min_length=2, max_length=2)
    source: str
    quote: str = ""
    only_groups: dict[str, list[str]] = {}
    """per kind of the pair, the groups a claim or grant of that kind must name to count: the seed
    names only one sort of it (新录用人员岗前技能培训: pre_job_training with newly_hired, attested)"""

    @field_validator("only_groups")
    @classmethod
    def _only_groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = [g for groups in value.values() for g in groups if g not in GROUPS]
        if unknown:
            raise ValueError(f"unknown group code(s) {unknown} (GLOSSARY)")
        return value

    _source = field_validator("source")(_citation)


class CrossPolicy(Strict):
    rule_zh: str
    rule_en: str
    source: str
    policies: list[str] = []
    """other policy ids whose grants count as this policy's for the caps"""

    _source = field_validator("source")(_citation)


class CapsSpec(Strict):
    annual_limit: str
    annual_limit_kinds: list[str]
    duplicate_occupation_level_source: str
    not_combinable: list[NotCombinable] = []
    cross_policy: list[CrossPolicy] = []

    _source = field_validator("duplicate_occupation_level_source")(_citation)


class Validity(Strict):
    start: date | None
    end: date | None
    derivation: str
    source: str
    quote: str = ""
    start_open: bool = False
    """the text says 自印发之日起 with no date: the start is open, the deployment confirms it with
    the draft (`in_force_from` in the local override file); `start` is then left empty"""

    _source = field_validator("source")(_citation)

    @property
    def derived(self) -> bool:
        """True when a date was read from a title or a plan's years rather than stated."""
        return "derived" in self.derivation

    @model_validator(mode="after")
    def _order(self) -> Validity:
        if self.start_open and self.start is not None:
            raise ValueError("an open start (自印发之日起) has no start date to state")
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"validity end {self.end} is before start {self.start}")
        return self


class TargetRowSpec(Strict):
    key: str
    label_zh: str
    target: int = Field(gt=0)
    year: int | None = None
    region_codes: list[str] = []
    organizer: str | None = None
    source: str
    note: str = ""

    _source = field_validator("source")(_citation)


class TargetTableSpec(Strict):
    key: str
    title_zh: str
    layout: Layout
    span: tuple[int, int]
    rows: list[TargetRowSpec] = Field(min_length=1)
    total: int = Field(gt=0)
    source: str

    _source = field_validator("source")(_citation)


class PackSpec(Strict):
    policy: str
    seed: str
    title_zh: str
    title_en: str
    issuer_zh: str
    document_no: str | None = None
    issued_on: date | None = None
    draft: bool
    draft_note: str = ""
    validity: Validity
    parameters: dict[str, ParameterSpec]
    kinds: dict[str, KindSpec]
    payees: list[PayeeRule] = []
    advance: AdvanceSpec
    caps: CapsSpec
    targets: list[TargetTableSpec] = []
    open_notes: list[str] = []
    """Things the seed leaves open that no claim kind prices (shown by `claims rules show`)."""

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: str) -> str:
        if value not in POLICIES:
            raise ValueError(f"unknown policy {value!r} (one of {', '.join(POLICIES)})")
        return value

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: dict[str, KindSpec]) -> dict[str, KindSpec]:
        unknown = [k for k in value if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown claim kind(s) {unknown} (GLOSSARY)")
        return value

    @model_validator(mode="after")
    def _references(self) -> PackSpec:
        if self.seed != SEED_FILES[self.policy]:
            raise ValueError(f"seed {self.seed!r} is not {self.policy}'s ({SEED_FILES[self.policy]})")
        for entry_source in self._all_sources():
            if not entry_source.startswith(self.seed + " "):
                raise ValueError(f"source {entry_source!r} cites another seed than {self.seed}")
        names = set(self.parameters)
        for ref, where in self._parameter_refs():
            if ref not in names:
                raise ValueError(f"{where} names parameter {ref!r}, which the pack does not define")
        for kind, spec in self.kinds.items():
            for row in spec.rates:
                if row.actual and any(e.kind != "maximum" for e in self.parameters[row.param].values):
                    raise ValueError(f"kinds.{kind}: a rate paying the claim's {row.actual} needs a "
                                     f"ceiling (maximum), not {row.param}'s kinds")
        for rule in self.payees:
            bad = [k for k in rule.kinds if k not in KINDS]
            if bad:
                raise ValueError(f"payees: unknown kind(s) {bad}")
        return self

    def _all_sources(self) -> list[str]:
        sources = [self.validity.source, self.advance.source, self.caps.duplicate_occupation_level_source]
        sources += [e.source for p in self.parameters.values() for e in p.values]
        sources += [k.source for k in self.kinds.values()]
        sources += [k.insured.source for k in self.kinds.values() if k.insured]
        sources += [r.source for r in self.payees]
        sources += [t.source for t in self.targets] + [r.source for t in self.targets for r in t.rows]
        return sources

    def _parameter_refs(self) -> list[tuple[str, str]]:
        refs: list[tuple[str, str]] = [(self.caps.annual_limit, "caps.annual_limit")]
        if self.advance.rate:
            refs.append((self.advance.rate, "advance.rate"))
        for kind, spec in self.kinds.items():
            if spec.months_cap:
                refs.append((spec.months_cap, f"kinds.{kind}.months_cap"))
            if spec.insured and spec.insured.months_min:
                refs.append((spec.insured.months_min, f"kinds.{kind}.insured.months_min"))
            for i, row in enumerate(spec.rates):
                for ref in (row.param, row.term, row.min_tenure_months, row.term_after_other_scheme):
                    if ref:
                        refs.append((ref, f"kinds.{kind}.rates.{i}"))
            for i, cond in enumerate(spec.conditions):
                for ref in (cond.employed_months_min, cond.employed_within_months):
                    if ref:
                        refs.append((ref, f"kinds.{kind}.conditions.{i}"))
        return refs
