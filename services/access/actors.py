"""Who does what: every state change is recorded with an actor and a role."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

from intake.validate import text_problem

ACTOR_LIMIT = 100
"""the length of every actor column (claim_event.actor, objection.actor, payment_release.approver …)"""

ROLES: tuple[str, ...] = ("clerk", "inspector", "reviewer", "approver", "admin", "system")


class ActorNameError(ValueError):
    """An actor's name no record may hold (`intake.validate.text_problem`); `problem` in English."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"actor name: {problem}")
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", normalise(self.name))
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; roles are {', '.join(ROLES)}")
        if not self.name.strip():
            raise ValueError("an actor needs a name (--actor NAME or CLAIMS_ACTOR)")
        if problem := text_problem("actor", self.name, ACTOR_LIMIT):
            # a zero-width space would make another person to the segregation checks, shown the same
            raise ActorNameError(problem)


def normalise(name: str) -> str:
    """A person's name as every comparison sees it: NFKC (full-width letters and spaces folded)
    and trimmed, so `王会计 ` and `王会计` are one person."""
    return unicodedata.normalize("NFKC", name).strip()


SYSTEM = Actor("nightly", "system")


def actor_from(name: str | None, role: str) -> Actor:
    """The command's actor: --actor, else CLAIMS_ACTOR, else the OS user."""
    chosen = name or os.environ.get("CLAIMS_ACTOR") or os.environ.get("USER") or "operator"
    return Actor(chosen, role)
