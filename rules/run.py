"""One claim's evaluation in progress: reasons, citations, the parameter trace and the
names of missing open parameters. Parameters are read here, for the claim's own date."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from intake.record import ClaimRecord
from rules.decision import TraceEntry
from rules.overrides import LocalOverrides
from rules.packs import PolicyPack

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


class ClaimFactsError(ValueError):
    """The claim lacks a fact its kind needs; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def to_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


class Evaluation:
    """The evaluation of one claim: collects reasons, citations, trace and missing names."""

    __slots__ = ("citations", "claim", "missing", "on", "overrides", "pack", "reasons", "trace")

    def __init__(self, claim: ClaimRecord, pack: PolicyPack, overrides: LocalOverrides) -> None:
        self.claim = claim
        self.pack = pack
        self.overrides = overrides
        self.on: date = claim.business_date
        self.reasons: list[str] = []
        self.citations: dict[str, None] = {}
        self.trace: list[TraceEntry] = []
        self.missing: list[str] = []

    def cite(self, source: str) -> None:
        self.citations[source] = None

    def refuse(self, reason: str, source: str | None = None) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
        if source:
            self.cite(source)

    def read(self, name: str) -> Decimal | None:
        """The parameter's value on the claim's date: local override, else the seed's
        figure or bound; None (and a missing name) when open with no local value."""
        param = self.pack.parameters[name]
        entry = param.at(self.on)
        if entry is None:
            self.missing.append(f"{self.pack.policy}: {name} (no value dated {self.on})")
            return None
        self.cite(entry.source)
        local = self.overrides.value(self.pack.policy, name, self.on) if self.overrides.policies else None
        if local is not None:
            note = f"local override{': ' + local.note if local.note else ''}"
            if entry.kind != "open":
                note += f" (seed {entry.kind} {entry.value})"
            self.trace.append(
                TraceEntry(name, str(local.value), entry.kind, self.on, entry.source, True, note)
            )
            return local.value
        if entry.value is None:
            clause = entry.source.split(" ", 1)[1]
            self.missing.append(f"{self.pack.policy}: {name} ({entry.quote or param.label_zh} in {clause})")
            self.trace.append(
                TraceEntry(name, None, "open", self.on, entry.source, False, "not stated in the source")
            )
            return None
        note = f"took the bound ({entry.kind} {entry.value})" if entry.kind != "fixed" else ""
        self.trace.append(TraceEntry(name, str(entry.value), entry.kind, self.on, entry.source, False, note))
        return entry.value
