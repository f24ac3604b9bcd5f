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
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, and_, func, literal, literal_column, select

from intake.messages import explained
from models.schema import HANDLED_SQL, HANDLED_TRIGGERS
from models.tables import BATCH, CLAIM, EVENT, INSPECTION, OBJECTION
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


HANDLED = HANDLED_TRIGGERS


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
    """Refused when `actor` inspected, reviewed, handled (HANDLED events) or imported any of the
    claims. Each way is first asked of the actor alone, by an index (migration 100): an approver
    who did none of it anywhere — the usual case — costs four probes, not a read of every event
    of the batch's claims; only a way the actor has done somewhere is checked claim by claim."""
    check_role(actor)
    name = actor.name
    imports = select(BATCH.c.id).where(func.trim(BATCH.c.actor) == name)
    inspected = func.trim(INSPECTION.c.inspector) == name
    reviewed = func.trim(OBJECTION.c.reviewer) == name
    # the terms of ix_event_handler's condition word for word (models/schema.py HANDLED_SQL)
    handled = and_(func.trim(EVENT.c.actor) == name, literal_column(HANDLED_SQL))
    ways: list[tuple[Any, Callable[[list[int]], Any]]] = [  # (asked of the actor alone, of the given claims)
        (inspected, lambda part: and_(INSPECTION.c.claim_pk.in_(part), inspected)),
        (reviewed, lambda part: and_(OBJECTION.c.claim_pk.in_(part), reviewed)),
        (handled, lambda part: and_(EVENT.c.claim_pk.in_(part), handled)),
        # the import batches the actor loaded (a few rows a day), never a scan of the claims
        (func.trim(BATCH.c.actor) == name,
         lambda part: and_(CLAIM.c.id.in_(part), CLAIM.c.import_batch_id.in_(imports))),
    ]
    done = [of_claims for did, of_claims in ways
            if conn.execute(select(literal(1)).where(did).limit(1)).first()]
    if not done:
        return
    pks = list(claim_pks)
    for start in range(0, len(pks), 1000):
        part = pks[start:start + 1000]
        for of_claims in done:
            if conn.execute(select(literal(1)).where(of_claims(part)).limit(1)).first():
                raise explained(Forbidden, "access.handler_approves", name=actor.name)
