"""One claim's evaluation in progress: reasons, citations, the parameter trace and the
names of missing open parameters. Parameters are read here, for the claim's own date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from rules.decision import Decision, Grant, TraceEntry
from rules.overrides import LocalOverrides
from rules.packs import PolicyPack
from rules.record import ClaimRecord

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


class ClaimFactsError(ValueError):
    """The claim lacks a fact its kind needs; names the field (reason `missing_facts`: the claim
    waits for the fact, by `claims amend`, and is never paid without it)."""

    reason = "missing_facts"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def to_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


class Evaluation:
    """The evaluation of one claim: collects reasons, citations, trace and missing names."""

    __slots__ = ("citations", "claim", "counted", "days_paid", "missing", "months_paid", "notes", "on", "overrides",
                 "pack", "reasons", "trace")

    def __init__(self, claim: ClaimRecord, pack: PolicyPack, overrides: LocalOverrides) -> None:
        self.claim = claim
        self.pack = pack
        self.overrides = overrides
        self.on: date = claim.business_date
        self.reasons: list[str] = []
        self.citations: dict[str, None] = {}
        self.trace: list[TraceEntry] = []
        self.missing: list[str] = []
        self.notes: list[str] = []
        self.counted: dict[str, None] = {}
        self.months_paid: int | None = claim.months
        self.days_paid: int | None = claim.days

    def decision(
        self, payee_type: str, amount: Decimal | None = None, advance: Decimal | None = None
    ) -> Decision:
        """The Decision so far: eligible only with an amount and no reason against it."""
        reasons = self.reasons
        if self.missing and "missing_parameter" not in reasons:
            reasons.append("missing_parameter")
        eligible = not reasons and amount is not None
        return Decision(
            claim_id=self.claim.claim_id,
            policy=self.pack.policy,
            eligible=eligible,
            amount=to_fen(amount) if eligible and amount is not None else ZERO,
            payee_type=payee_type,
            advance_amount=advance if eligible else None,
            reasons=tuple(reasons),
            citations=tuple(self.citations),
            draft=self.pack.draft,
            trace=tuple(self.trace),
            missing=tuple(self.missing),
            notes=tuple(self.notes) if eligible else (),
            months_paid=self.months_paid if eligible else None,
            days_paid=self.days_paid if eligible else None,
            counted=tuple(self.counted),
        )

    def count(self, grants: Iterable[Grant]) -> None:
        """Name earlier grants that counted toward a cap or limit (for explain)."""
        for g in grants:
            self.counted[g.claim_id] = None

    def cite(self, source: str) -> None:
        self.citations[source] = None

    def refuse(self, reason: str, source: str | None = None) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
        if source:
            self.cite(source)

    def cap(self, unit: str, claimed: int, paid: int, source: str, why: str) -> None:
        """Pay `paid` of the `claimed` months or days (核减): reason `capped`, noted in the trace."""
        if unit == "months":
            self.months_paid = paid
        else:
            self.days_paid = paid
        if "capped" not in self.notes:
            self.notes.append("capped")
        self.cite(source)
        self.trace.append(TraceEntry(f"{unit}_paid", str(paid), "fixed", self.on, source, False,
                                     f"capped: claimed {claimed} {unit}, paid {paid} — {why}"))

    def read(self, name: str) -> Decimal | None:
        """The parameter's value on the claim's date: local override, else the seed's
        figure or bound; None (and a missing name) when open with no local value."""
        cache = _reads(self.pack, self.overrides)
        key = (name, self.on)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = _resolve(self.pack, self.overrides, name, self.on)
        value, source, trace, missing = hit
        if source:
            self.citations[source] = None
        if trace is not None:
            self.trace.append(trace)
        if missing:
            self.missing.append(missing)
        return value


_Read = tuple[Decimal | None, str | None, TraceEntry | None, str | None]
_READ_CACHES: dict[tuple[int, int], tuple[PolicyPack, LocalOverrides, dict[tuple[str, date], _Read]]] = {}
_MAX_CACHES = 32


def _reads(pack: PolicyPack, overrides: LocalOverrides) -> dict[tuple[str, date], _Read]:
    """Resolved reads per (pack, overrides) pair; both are immutable, so a read on a date never
    changes. The pair is held so that its ids stay valid while cached."""
    key = (id(pack), id(overrides))
    held = _READ_CACHES.get(key)
    if held is None:
        if len(_READ_CACHES) >= _MAX_CACHES:
            _READ_CACHES.clear()
        held = _READ_CACHES[key] = (pack, overrides, {})
    return held[2]


def _resolve(pack: PolicyPack, overrides: LocalOverrides, name: str, on: date) -> _Read:
    param = pack.parameters[name]
    entry = param.at(on)
    if entry is None:
        return None, None, None, f"{pack.policy}: {name} (no value dated {on})"
    local = overrides.value(pack.policy, name, on) if overrides.policies else None
    if local is not None:
        note = f"local override{': ' + local.note if local.note else ''}"
        if entry.kind != "open":
            note += f" (seed {entry.kind} {entry.value})"
        trace = TraceEntry(name, str(local.value), entry.kind, on, entry.source, True, note)
        return local.value, entry.source, trace, None
    if entry.value is None:
        clause = entry.source.split(" ", 1)[1]
        missing = f"{pack.policy}: {name} ({entry.quote or param.label_zh} in {clause})"
        trace = TraceEntry(name, None, "open", on, entry.source, False, "not stated in the source")
        return None, entry.source, trace, missing
    note = f"took the bound ({entry.kind} {entry.value})" if entry.kind != "fixed" else ""
    trace = TraceEntry(name, str(entry.value), entry.kind, on, entry.source, False, note)
    return entry.value, entry.source, trace, None
