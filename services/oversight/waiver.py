"""Waiving the on-site check for claims an inspection plan did not draw (issue 23).

Off by default: Huludao makes 培训过程现场检查 a control (000_024512f998c4ead0.txt 五(十五)), so every
claim in a policy that needs inspection waits for a result. A deployment that samples instead turns
it on (`inspection.waive_unsampled: true`, CLAIMS_INSPECTION_WAIVE_UNSAMPLED); then
`claims inspect plan ... --waive` passes every waiting claim the plan did not draw with a
`pass_inspection` event whose reason names the plan (day, rate, seed) and the seed clause, in the
plan's transaction. Advances are never waived: a claim that asked for or got an advance still waits
for its check. Bulk: the plan's one read, one read per 1,000 claims, set-based moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, select

from models.tables import CLAIM
from services.access.actors import Actor
from services.access.roles import check_role
from services.nightly.base import MOVE_COLUMNS, plain_rows
from services.nightly.moves import plan_move, write_moves
from services.oversight.fraud import SUPERVISION_CLAUSE
from services.oversight.sampling import Plan, make_plan, plan_label, read_candidates
from services.settings import Settings

INSPECTION_CLAUSE = {"huludao-2019": "000_024512f998c4ead0.txt 五(十五) 培训过程现场检查"}
"""the seed clause making the on-site check a control; the other seeds' supervision clause otherwise"""
WAIVED = "waived"


class WaiverError(ValueError):
    """The waiver is not switched on in this deployment."""


@dataclass(frozen=True)
class Waiver:
    plan: Plan
    waived: int
    advances_kept: int


def clause_of(policy: str) -> str:
    return INSPECTION_CLAUSE.get(policy) or SUPERVISION_CLAUSE.get(policy) or policy


def waive_unsampled(engine: Engine, settings: Settings, *, on: date, rate: Decimal, seed: str, actor: Actor,
                    policy: str | None = None) -> Waiver:
    if not settings.inspection_waive_unsampled:
        raise WaiverError("waiving the on-site check is off (Huludao makes 培训过程现场检查 a control, "
                          "000_024512f998c4ead0.txt 五(十五)); a deployment that samples instead sets "
                          "inspection.waive_unsampled: true")
    check_role(actor)
    with engine.begin() as conn:
        plan = make_plan(conn, on=on, rate=rate, seed=seed, policy=policy)
        drawn = {p.candidate.pk for p in plan.picks}
        rest = sorted(c.pk for c in read_candidates(conn, on, policy) if c.pk not in drawn)
        label = plan_label(plan)
        waived = kept = 0
        for start in range(0, len(rest), 1000):
            rows = plain_rows(conn.execute(
                select(*MOVE_COLUMNS, CLAIM.c.advance_requested, CLAIM.c.advance_amount)
                .where(CLAIM.c.id.in_(rest[start:start + 1000])).order_by(CLAIM.c.id)))
            moves = []
            for row in rows:
                if row.advance_requested or row.advance_paid > 0 or row.state != "filed":
                    kept += 1  # advances are never waived
                    continue
                if not settings.needs_inspection(row.policy, row.kind):
                    continue  # the night passes it anyway, with its own reason
                moves.append(plan_move(
                    row, "pass_inspection", inspection_result=WAIVED, inspected_on=on,
                    reason=f"on-site check waived: not drawn by {label} (inspection.waive_unsampled, "
                           f"{settings.source}); {clause_of(row.policy)}"))
            write_moves(conn, moves, actor=actor, on=on)
            waived += len(moves)
    return Waiver(plan, waived, kept)
