"""Roles and segregation of duties, enforced in the service layer.

- Every state-changing command acts with the role of its kind (inspect → inspector, review →
  reviewer, retry → admin, …). When the deployment keeps a list of actors and roles
  (CLAIMS_ACTORS, a YAML file `{name: [role, …]}`), an actor may act only in a listed role.
- Segregation is by person over the claim's whole history (its event chain and its inspection,
  objection rows), names compared NFKC-normalised and trimmed:
  - whoever objected to a claim, inspected it, loaded its inspections or completions, or
    amended it cannot review its objection;
  - whoever reviewed a claim's objection cannot mark it for recovery;
  - the approver who releases a day's payment batch cannot have inspected, reviewed, loaded
    inspections or completions of, or amended any claim in it.
- Admins retry failed steps; no command lets anyone set an amount or a state by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, func, select

from intake.messages import explained
from models.tables import EVENT, INSPECTION, OBJECTION
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
        raise explained(Forbidden, "access.not_listed", name=actor.name, path=path)
    if actor.role not in roles:
        raise explained(Forbidden, "access.wrong_role", name=actor.name, roles=", ".join(sorted(roles)),
                        role=actor.role)


HANDLED = ("record_inspection", "record_completion", "amend", "amend_payee")
"""events whose actor handled the claim's facts: they may not review it nor release its payment"""


def check_may_review(conn: Connection, actor: Actor, claim_pk: int, claim_id: str) -> None:
    check_role(actor)
    inspectors = {normalise(n or "") for n in conn.execute(
        select(INSPECTION.c.inspector).where(INSPECTION.c.claim_pk == claim_pk)).scalars()}
    if actor.name in inspectors:
        raise explained(Forbidden, "access.inspector_reviews", name=actor.name, claim_id=claim_id)
    objectors = {normalise(n or "") for n in conn.execute(
        select(OBJECTION.c.actor).where(OBJECTION.c.claim_pk == claim_pk)).scalars()}
    objectors |= {normalise(n or "") for n in conn.execute(
        select(EVENT.c.actor).where(EVENT.c.claim_pk == claim_pk, EVENT.c.trigger == "object")).scalars()}
    if actor.name in objectors:
        raise explained(Forbidden, "access.objector_reviews", name=actor.name, claim_id=claim_id)
    handled = {(normalise(n or ""), t) for n, t in conn.execute(
        select(EVENT.c.actor, EVENT.c.trigger).where(EVENT.c.claim_pk == claim_pk,
                                                     EVENT.c.trigger.in_(HANDLED)))}
    done = sorted(t for n, t in handled if n == actor.name)
    if done:
        raise explained(Forbidden, "access.handler_reviews", name=actor.name, done=", ".join(done),
                        claim_id=claim_id)


def check_may_mark_recovery(conn: Connection, actor: Actor, claim_pk: int, claim_id: str) -> None:
    check_role(actor)
    reviewers = {normalise(n or "") for n in conn.execute(
        select(OBJECTION.c.reviewer).where(OBJECTION.c.claim_pk == claim_pk)).scalars()}
    if actor.name in reviewers:
        raise explained(Forbidden, "access.reviewer_recovers", name=actor.name, claim_id=claim_id)


def check_may_approve(conn: Connection, actor: Actor, claim_pks: Iterable[int]) -> None:
    check_role(actor)
    pks = list(claim_pks)
    for start in range(0, len(pks), 1000):
        part = pks[start:start + 1000]
        inspected = conn.execute(select(INSPECTION.c.claim_pk).where(
            INSPECTION.c.claim_pk.in_(part), func.trim(INSPECTION.c.inspector) == actor.name).limit(1)).first()
        reviewed = conn.execute(select(OBJECTION.c.claim_pk).where(
            OBJECTION.c.claim_pk.in_(part), func.trim(OBJECTION.c.reviewer) == actor.name).limit(1)).first()
        handled = conn.execute(select(EVENT.c.claim_pk).where(
            EVENT.c.claim_pk.in_(part), EVENT.c.trigger.in_(HANDLED),
            func.trim(EVENT.c.actor) == actor.name).limit(1)).first()
        if inspected or reviewed or handled:
            raise explained(Forbidden, "access.handler_approves", name=actor.name)
