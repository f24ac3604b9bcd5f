"""What the engine takes besides the claim, and what it returns. Shared by every caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

ParameterKind = Literal["fixed", "minimum", "maximum", "open"]


@dataclass(frozen=True, slots=True)
class Grant:
    """One of the person's earlier granted subsidies (assessed eligible, not later
    rejected or recovered). Caps (3 a year, same occupation+level once, terms) count these."""

    claim_id: str
    policy: str
    kind: str
    amount: Decimal
    subsidy_year: int | None = None
    occupation: str | None = None
    level: str | None = None
    certificate_no: str | None = None
    apprentice_year: int | None = None
    months: int | None = None
    apprentice_type: str | None = None
    """employee or student apprenticeship: their terms are counted apart (Nanxun 四(一)2)"""
    training_start: date | None = None
    training_end: date | None = None
    class_id: str | None = None
    groups: tuple[str, ...] = ()
    """the granted claim's groups (e.g. newly_hired: a pre-job grant for a 新录用人员, Zhumadian 二(三)1)"""


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One parameter the evaluation used: its value, kind, the date it was read for and where
    it comes from (a seed clause, or `local` when a deployment override set it)."""

    parameter: str
    value: str | None
    kind: ParameterKind
    read_for: date
    source: str
    local: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    claim_id: str
    policy: str
    eligible: bool
    amount: Decimal
    payee_type: str
    advance_amount: Decimal | None = None
    reasons: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    draft: bool = False
    trace: tuple[TraceEntry, ...] = field(default_factory=tuple)
    missing: tuple[str, ...] = ()
    """Names of open parameters with no local value (reason `missing_parameter`)."""
    notes: tuple[str, ...] = ()
    """Reason codes of an eligible decision that explain a cut without refusing (`capped`: months
    or days beyond the term, the class or what earlier grants left were not paid, 核减)."""
    months_paid: int | None = None
    """The months the amount pays (per-month kinds): the claimed months, or fewer when capped."""
    days_paid: int | None = None
    counted: tuple[str, ...] = ()
    """The claim ids of the person's earlier grants that counted toward a cap or limit."""
    """The training days the amount pays (per-day kinds): the claimed days, or fewer when capped."""
