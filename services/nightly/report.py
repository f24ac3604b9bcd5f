"""What a night shows operations staff: the summary table and the day's new postings.

Plain Python (no Prefect): rows and markdown built from step results and the database, so the
CLI prints the same figures the Prefect UI shows. Identities are masked (intake.privacy).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, func, select

from intake.privacy import mask_id, mask_name
from models.tables import CLAIM, WINDOW
from services.access.scrub import scrub
from services.nightly.steps import STEP_ORDER, STEP_ZH, StepResult

POSTINGS_LISTED = 500
"""rows of the day's new postings shown in the markdown artifact; the full notice is an export"""


def _yuan(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):,}"


def summary_rows(results: Mapping[str, StepResult]) -> list[dict[str, str | int]]:
    """One row per step and policy: claims moved (by new state), money (by kind), set aside.
    A step that found nothing to do still has a row, so the table always shows all six."""
    rows: list[dict[str, str | int]] = []
    for step in STEP_ORDER:
        result = results.get(step)
        policies = sorted(
            {p for p, _ in result.moved} | {p for p, _ in result.money}
            | {p for p, _, _ in result.set_aside}
        ) if result else []
        for policy in policies or ["-"]:
            moved = {s: n for (p, s), n in sorted(result.moved.items()) if p == policy} if result else {}
            money = {k: a for (p, k), a in sorted(result.money.items()) if p == policy} if result else {}
            aside = sum(1 for p, _, _ in result.set_aside if p == policy) if result else 0
            rows.append({
                "step": step,
                "步骤": STEP_ZH[step],
                "policy": policy,
                "claims moved": sum(moved.values()),
                "to state": ", ".join(f"{s} {n}" for s, n in moved.items()) or "-",
                "money (yuan)": ", ".join(f"{k} {_yuan(a)}" for k, a in money.items()) or "-",
                "set aside": aside,
                "ran": "yes" if result is not None else "not reached",
            })
    return rows


def set_aside_rows(results: Mapping[str, StepResult]) -> list[dict[str, str]]:
    return [
        {"step": step, "policy": policy, "claim_id": claim_id, "reason": scrub(reason)}
        for step in STEP_ORDER if step in results
        for policy, claim_id, reason in results[step].set_aside
    ]


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def postings_markdown(engine: Engine, as_of: date, listed: int = POSTINGS_LISTED) -> str:
    """The claims whose public posting (公示) opened on `as_of`, identities masked."""
    opened = (select(WINDOW.c.id, WINDOW.c.policy, WINDOW.c.closes_on)
              .where(WINDOW.c.opened_on == as_of).subquery())
    joined = CLAIM.join(opened, CLAIM.c.posting_window_id == opened.c.id)
    with engine.connect() as conn:
        totals = conn.execute(
            select(opened.c.policy, opened.c.closes_on, func.count(), func.sum(CLAIM.c.amount))
            .select_from(joined).group_by(opened.c.policy, opened.c.closes_on)
            .order_by(opened.c.policy)
        ).all()
        rows = conn.execute(
            select(CLAIM.c.policy, CLAIM.c.claim_id, CLAIM.c.person_name, CLAIM.c.person_id,
                   CLAIM.c.kind, CLAIM.c.amount, opened.c.closes_on)
            .select_from(joined).order_by(CLAIM.c.policy, CLAIM.c.claim_id).limit(listed)
        ).all()
    lines = [f"# 公示 — new postings on {as_of.isoformat()}", ""]
    if not totals:
        lines.append("No posting opened on this day.")
        return "\n".join(lines) + "\n"
    count = sum(t[2] for t in totals)
    lines += ["| policy | claims | amount (yuan) | posting closes on |", "|---|---:|---:|---|"]
    lines += [f"| {p} | {n} | {_yuan(a or Decimal('0'))} | {c.isoformat()} |"
              for p, c, n, a in totals]
    lines += ["", "| policy | claim_id | 姓名 | 身份证号 | kind | amount (yuan) | closes on |",
              "|---|---|---|---|---|---:|---|"]
    lines += [
        f"| {r.policy} | {_cell(r.claim_id)} | {_cell(mask_name(r.person_name))} | "
        f"{mask_id(r.person_id)} | {r.kind} | {_yuan(r.amount or Decimal('0'))} | "
        f"{r.closes_on.isoformat()} |"
        for r in rows
    ]
    if count > len(rows):
        lines += ["", f"… and {count - len(rows)} more. The full notice: "
                      f"`claims export posting --out notice.xlsx --from {as_of} --to {as_of}`."]
    return "\n".join(lines) + "\n"
