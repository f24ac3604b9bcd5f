"""Who does what: every state change is recorded with an actor and a role."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

ROLES: tuple[str, ...] = ("clerk", "inspector", "reviewer", "approver", "admin", "system")


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


def normalise(name: str) -> str:
    """A person's name as every comparison sees it: NFKC (full-width letters and spaces folded)
    and trimmed, so `王会计 ` and `王会计` are one person."""
    return unicodedata.normalize("NFKC", name).strip()


SYSTEM = Actor("nightly", "system")


def actor_from(name: str | None, role: str) -> Actor:
    """The command's actor: --actor, else CLAIMS_ACTOR, else the OS user."""
    chosen = name or os.environ.get("CLAIMS_ACTOR") or os.environ.get("USER") or "operator"
    return Actor(chosen, role)
