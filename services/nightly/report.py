"""What a night shows operations staff: the summary table and the day's new postings.

Plain Python (no Prefect): rows and markdown built from step results and the database, so the
CLI prints the same figures the Prefect UI shows. Identities are masked (intake.privacy).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import PurePath

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from intake.messages import msg
from intake.privacy import mask_id, mask_name
from models.tables import CLAIM, PAYMENT, WINDOW
from services.access.scrub import scrub
from services.nightly.steps import STEP_ORDER, STEP_ZH, StepResult

POSTINGS_LISTED = 500
"""rows of the day's new postings shown in the markdown artifact; the full notice is an export"""


def _yuan(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):,}"


def _number(amount: Decimal) -> float:
    """Money for a table artifact: a JSON number of the 2-place yuan amount (the database keeps
    the Decimal; the artifact is for reading and adding up)."""
    return float(amount.quantize(Decimal("0.01")))


def _kinds(results: Mapping[str, StepResult]) -> list[str]:
    return sorted({k for r in results.values() for _, k in r.money})


def step_result(step: str, results: Mapping[str, StepResult], failed: str | None) -> str:
    """done / failed / not reached: how far the night got with `step`."""
    if step == failed:
        return "failed"
    if step in results:
        return "done"
    return "not reached"


def summary_rows(results: Mapping[str, StepResult], failed: str | None = None,
                 ) -> list[dict[str, str | int | float]]:
    """One row per step and policy: claims moved (by new state), money (by kind, as numbers),
    set aside, held for a payment release; then one total row per policy and a grand total.
    A step that found nothing to do still has a row, so the table always shows all six;
    `failed` names the step that stopped the night (its row says failed, later ones not
    reached)."""
    kinds = _kinds(results)
    rows: list[dict[str, str | int | float]] = []
    for step in STEP_ORDER:
        result = results.get(step)
        policies = sorted(
            {p for p, _ in result.moved} | {p for p, _ in result.money}
            | {p for p, _, _ in result.set_aside} | set(result.held)
        ) if result else []
        for policy in policies or ["-"]:
            moved = {s: n for (p, s), n in sorted(result.moved.items()) if p == policy} if result else {}
            money = {k: a for (p, k), a in sorted(result.money.items()) if p == policy} if result else {}
            aside = sum(1 for p, _, _ in result.set_aside if p == policy) if result else 0
            row: dict[str, str | int | float] = {
                "step": step,
                "步骤": STEP_ZH[step],
                "policy": policy,
                "claims moved": sum(moved.values()),
                "to state": ", ".join(f"{s} {n}" for s, n in moved.items()) or "-",
                "money (yuan)": ", ".join(f"{k} {_yuan(a)}" for k, a in money.items()) or "-",
            }
            row.update({f"{k} (yuan)": _number(money.get(k, Decimal("0"))) for k in kinds})
            row.update({
                "set aside": aside,
                "held for release": result.held.get(policy, 0) if result else 0,
                "result": step_result(step, results, failed),
            })
            rows.append(row)
    return rows + total_rows(results)


def total_rows(results: Mapping[str, StepResult]) -> list[dict[str, str | int | float]]:
    """合计: per policy (then all policies) the claims moved, money per kind, set aside and held."""
    kinds = _kinds(results)
    policies = sorted({p for r in results.values() for p, _ in r.moved}
                      | {p for r in results.values() for p, _ in r.money}
                      | {p for r in results.values() for p, _, _ in r.set_aside}
                      | {p for r in results.values() for p in r.held})
    rows: list[dict[str, str | int | float]] = []
    for policy in [*policies, "all"]:
        def mine(p: str, policy: str = policy) -> bool:
            return policy == "all" or p == policy
        money = {k: sum((a for r in results.values() for (p, kk), a in r.money.items()
                         if kk == k and mine(p)), Decimal("0")) for k in kinds}
        row: dict[str, str | int | float] = {
            "step": "total", "步骤": "合计", "policy": policy,
            "claims moved": sum(n for r in results.values() for (p, _), n in r.moved.items() if mine(p)),
            "to state": "-",
            "money (yuan)": ", ".join(f"{k} {_yuan(a)}" for k, a in money.items() if a) or "-",
        }
        row.update({f"{k} (yuan)": _number(a) for k, a in money.items()})
        row.update({
            "set aside": sum(1 for r in results.values() for p, _, _ in r.set_aside if mine(p)),
            "held for release": sum(n for r in results.values() for p, n in r.held.items() if mine(p)),
            "result": "-",
        })
        rows.append(row)
    return rows


def set_aside_count(results: Mapping[str, StepResult]) -> int:
    """Claims set aside tonight for an administrator (claims held for a payment release are not)."""
    return sum(len(r.set_aside) for r in results.values())


def night_markdown(as_of: date, results: Mapping[str, StepResult], failed: str | None,
                   keys: Mapping[str, str], database: str, batch: list[str] | None = None) -> str:
    """The night's one page: outcome, totals and links to its other artifacts (by key)."""
    outcome = "**" + (msg("artifact.failed_at", step=failed, step_zh=STEP_ZH[failed]) if failed else
                      msg("artifact.completed") if len(results) == len(STEP_ORDER) else
                      msg("artifact.stopped")) + "**"
    lines = [f"# 夜间批处理 nightly {as_of.isoformat()}", "",
             msg("artifact.database", database=database, outcome=outcome), "",
             "| step | 步骤 | result | claims moved | set aside | held for release |",
             "|---|---|---|---:|---:|---:|"]
    for step in STEP_ORDER:
        r = results.get(step)
        lines.append(f"| {step} | {STEP_ZH[step]} | {step_result(step, results, failed)} | "
                     f"{sum(r.moved.values()) if r else 0} | {len(r.set_aside) if r else 0} | "
                     f"{sum(r.held.values()) if r else 0} |")
    totals = total_rows(results)
    kinds = _kinds(results)
    lines += ["", "## 合计 totals (yuan)", "",
              "| policy | " + " | ".join(kinds) + " | set aside |",
              "|---|" + "---:|" * (len(kinds) + 1)]
    lines += [f"| {t['policy']} | " + " | ".join(_yuan(Decimal(str(t[f'{k} (yuan)']))) for k in kinds)
              + f" | {t['set aside']} |" for t in totals]
    lines += ["", *batch, ""] if batch else []
    lines += ["", f"## {msg('artifact.links')}", ""]
    lines += [f"- {label}: [`{key}`](/artifacts/key/{key})" for label, key in keys.items()]
    return "\n".join(lines) + "\n"


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
    with engine.connect() as conn:
        # the day's windows first, then their claims by ix_claim_posting_window (migration 98): a
        # join sorted by claim lets SQLite walk every claim ever posted to skip the sort
        windows = {w.id: w for w in conn.execute(select(WINDOW.c.id, WINDOW.c.policy, WINDOW.c.closes_on)
                                                 .where(WINDOW.c.opened_on == as_of))}
        ids = sorted(windows)
        counted = conn.execute(
            select(CLAIM.c.posting_window_id, func.count(), func.sum(CLAIM.c.amount))
            .where(CLAIM.c.posting_window_id.in_(ids)).group_by(CLAIM.c.posting_window_id)
        ).all() if ids else []
        found = conn.execute(
            select(CLAIM.c.policy, CLAIM.c.claim_id, CLAIM.c.person_name, CLAIM.c.person_id,
                   CLAIM.c.kind, CLAIM.c.amount, CLAIM.c.posting_window_id)
            .where(CLAIM.c.posting_window_id.in_(ids))
            .order_by(CLAIM.c.policy.concat(""), CLAIM.c.claim_id.concat("")).limit(listed)
        ).all() if ids else []
    # one window a policy a day (uq_posting_policy_day): a window's total is its policy's
    totals = sorted((windows[window_id].policy, windows[window_id].closes_on, n, amount)
                    for window_id, n, amount in counted)
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
        f"{windows[r.posting_window_id].closes_on.isoformat()} |"
        for r in found
    ]
    if count > len(found):
        lines += ["", f"… and {count - len(found)} more. The full notice: "
                      f"`claims export posting --out notice.xlsx --from {as_of} --to {as_of}`."]
    return "\n".join(lines) + "\n"


def database_label(url: str) -> str:
    """`db:<dialect>/<database>` (no host, user or password): the tag a night's run carries."""
    parsed = make_url(url)
    name = PurePath(parsed.database or "").name or "-"
    return f"db:{parsed.get_backend_name()}/{name}"


def week_rows(engine: Engine, as_of: date) -> list[dict[str, str | float]]:
    """Money per night (business date) of `as_of`'s ISO week, as numbers: advances, final payments,
    paid, recoveries demanded, money returned and net paid — from services/money/totals.py, the
    query the summary and target reports read."""
    from services.money.totals import Totals, money_totals

    monday = as_of - timedelta(days=as_of.weekday())
    with engine.connect() as conn:
        found = money_totals(conn, PAYMENT.c.business_date, date_from=monday, date_to=monday + timedelta(days=6))
    rows: list[dict[str, str | float]] = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if day > as_of:
            break
        t = found.get((day,), Totals())
        rows.append({"night": day.isoformat(), "advance (yuan)": _number(t.advance), "final (yuan)": _number(t.final),
                     "paid (yuan)": _number(t.paid), "recovery demanded (yuan)": _number(t.demanded),
                     "recovered (yuan)": _number(t.recovered), "net (yuan)": _number(t.net)})
    return rows


def batch_lines(engine: Engine, as_of: date) -> list[str]:
    """The night's payment batches (the outbox's payment_batch rows sealed on `as_of`): file name,
    payments, total and the hash of their rows — what finance compares with the bank's upload."""
    from models.tables import OUTBOX_BATCH

    with engine.connect() as conn:
        batches = conn.execute(
            select(OUTBOX_BATCH.c.file_name, OUTBOX_BATCH.c.rows, OUTBOX_BATCH.c.total, OUTBOX_BATCH.c.hash)
            .where(OUTBOX_BATCH.c.business_date == as_of).order_by(OUTBOX_BATCH.c.id)).all()
    if not batches:
        return ["## 拨付文件 payment batch", "", f"No payment batch for {as_of}."]
    return ["## 拨付文件 payment batch", "", "| file | payments | total (yuan) | SHA-256 of its rows |",
            "|---|---:|---:|---|",
            *(f"| `{b.file_name}` | {b.rows} | {_yuan(Decimal(b.total or 0))} | `{b.hash}` |" for b in batches)]

