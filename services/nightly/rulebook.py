"""The rules as the nightly steps use them: claim rows in, Decisions out.

Packs and the deployment's overrides are loaded once per chunk; amounts always come from
`rules.engine.evaluate`, never from here. Tests may route the steps through another rulebook
with `use_rulebook`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, Protocol

from rules.decision import Decision, Grant
from rules.engine import evaluate as _engine_evaluate
from rules.record import RECORD_FIELDS, ClaimRecord
from rules.run import ClaimFactsError


class BadFacts(ValueError):
    """The claim lacks a fact its kind needs (the engine's ClaimFactsError): the claim is set
    aside naming the field, never the whole chunk stopped."""


class Rules(Protocol):
    def in_force(self, policy: str) -> bool:
        """False for a draft policy the deployment has not confirmed in force."""

    def evaluate(self, row: Any, history: Sequence[Grant]) -> Decision: ...


_GROUPS_AT = RECORD_FIELDS.index("groups")
_FACTS = attrgetter(*(name for name in RECORD_FIELDS if name != "groups"))


def record_of(row: Any) -> ClaimRecord:
    """The claim row as the ClaimRecord the engine evaluates (groups are stored ';'-joined)."""
    values = _FACTS(row)
    groups = tuple(g for g in (row.groups or "").split(";") if g)
    return ClaimRecord(*values[:_GROUPS_AT], groups, *values[_GROUPS_AT:])  # type: ignore[call-arg]


class Rulebook:
    """The shipped packs plus the deployment's local overrides (CLAIMS_LOCAL_OVERRIDES)."""

    def __init__(self) -> None:
        from rules.overrides import load_overrides

        self.overrides = load_overrides()
        self._packs: dict[str, Any] = {}

    def pack(self, policy: str) -> Any:
        if policy not in self._packs:
            from rules.packs import load_pack

            self._packs[policy] = load_pack(policy)
        return self._packs[policy]

    def in_force(self, policy: str) -> bool:
        from rules.overrides import policy_in_force

        pack = self.pack(policy)
        return not pack.draft or bool(policy_in_force(pack, self.overrides))

    def evaluate(self, row: Any, history: Sequence[Grant]) -> Decision:
        pack = self._packs.get(row.policy) or self.pack(row.policy)
        try:
            return _engine_evaluate(record_of(row), history, pack, self.overrides)
        except ClaimFactsError as exc:
            raise BadFacts(str(exc)) from exc


_factory: Callable[[], Rules] = Rulebook


def use_rulebook(factory: Callable[[], Rules] | None) -> None:
    """Evaluate with `factory()` in this process (None: the shipped Rulebook)."""
    global _factory
    _factory = factory or Rulebook


def load_rulebook() -> Rules:
    return _factory()
