"""Roles and segregation of duties, enforced in the service layer.

- Every state-changing command acts with the role of its kind (inspect → inspector, review →
  reviewer, retry → admin, …). When the deployment keeps a list of actors and roles
  (CLAIMS_ACTORS, a YAML file `{name: [role, …]}`), an actor may act only in a listed role.
- The inspector of a claim cannot review its objection.
- Whoever reviewed a claim's objection cannot mark it for recovery.
- The approver who releases a day's payment batch cannot be an inspector or reviewer of any
  claim in it.
- Admins retry failed steps; no command lets anyone set an amount or a state by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, select

from models.tables import INSPECTION, OBJECTION
from services.access.actors import ROLES, Actor, normalise


class Forbidden(PermissionError):
    """The actor may not do this (role or segregation of duties)."""


@lru_cache(maxsize=4)
def _roster(path: str) -> dict[str, frozenset[str]]:
    data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of actor name to a list of roles")
    roster: dict[str, frozenset[str]] = {}
    for name, roles in data.items():
        listed = [roles] if isinstance(roles, str) else list(roles or [])
        unknown = [r for r in listed if r not in ROLES]
        if unknown:
            raise ValueError(f"{path}: actor {name!r} has unknown role(s) {unknown}; roles are {', '.join(ROLES)}")
        roster[normalise(str(name))] = frozenset(listed)
    return roster


def check_role(actor: Actor) -> None:
    """Enforce the deployment's actor list, when there is one."""
    path = os.environ.get("CLAIMS_ACTORS")
    if not path or actor.role == "system":
        return
    roles = _roster(path).get(actor.name)
    if roles is None:
        raise Forbidden(f"{actor.name!r} is not on the deployment's list of actors ({path})")
    if actor.role not in roles:
        raise Forbidden(f"{actor.name!r} may act as {', '.join(sorted(roles))}, not as {actor.role}")


def check_may_review(conn: Connection, actor: Actor, claim_pk: int, claim_id: str) -> None:
    check_role(actor)
    inspectors = {normalise(n or "") for n in conn.execute(
        select(INSPECTION.c.inspector).where(INSPECTION.c.claim_pk == claim_pk)).scalars()}
    if actor.name in inspectors:
        raise Forbidden(f"{actor.name!r} inspected claim {claim_id} and cannot review its objection")


def check_may_mark_recovery(conn: Connection, actor: Actor, claim_pk: int, claim_id: str) -> None:
    check_role(actor)
    reviewers = {normalise(n or "") for n in conn.execute(
        select(OBJECTION.c.reviewer).where(OBJECTION.c.claim_pk == claim_pk)).scalars()}
    if actor.name in reviewers:
        raise Forbidden(f"{actor.name!r} reviewed claim {claim_id}'s objection and cannot mark its recovery")


def check_may_approve(conn: Connection, actor: Actor, claim_pks: Iterable[int]) -> None:
    check_role(actor)
    pks = list(claim_pks)
    for start in range(0, len(pks), 1000):
        part = pks[start:start + 1000]
        inspected = conn.execute(select(INSPECTION.c.claim_pk).where(
            INSPECTION.c.claim_pk.in_(part), INSPECTION.c.inspector == actor.name).limit(1)).first()
        reviewed = conn.execute(select(OBJECTION.c.claim_pk).where(
            OBJECTION.c.claim_pk.in_(part), OBJECTION.c.reviewer == actor.name).limit(1)).first()
        if inspected or reviewed:
            raise Forbidden(f"{actor.name!r} inspected or reviewed claims in this batch and cannot approve it")
