"""`claims rules evaluate | show | explain`: the policy packs and the pure rules engine.

Evaluation writes nothing to the database."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from cli.common import Table, console, err_console
from intake.messages import explain, msg
from intake.readers import UnreadableFile, read_rows
from intake.validate import InvalidRecord, parse_record
from rules.decision import Decision, Grant
from rules.engine import ClaimFactsError, evaluate
from rules.history import grant_from
from rules.overrides import ENV_VAR, LocalOverrides, load_overrides, policy_in_force
from rules.packs import PackError, PolicyPack, load_pack
from rules.payee import payee_conflict
from rules.record import KINDS, RECORD_FIELDS, ClaimRecord

rules_app = typer.Typer(
    help=(
        "The seed policies as packs and the pure rules engine (no database writes).\n\n"
        "Examples:\n\n"
        "  claims rules evaluate claims.csv > decisions.jsonl\n\n"
        "  claims rules show huludao-2019\n\n"
        "  claims rules explain claims.csv --claim G001"
    ),
    no_args_is_help=True,
)

OverridesOption = typer.Option(
    None, "--overrides", help=f"local override file (default: ${ENV_VAR}; see docs/rules.md)"
)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")


@dataclass
class Outcome:
    row: int
    claim_id: str | None
    claim: ClaimRecord | None = None
    decision: Decision | None = None
    error: str | None = None
    missing_fact: str | None = None
    """the field a valid claim lacks for its rule (ClaimFactsError: reason missing_facts)"""
    error_code: str | None = None
    """stable code of the error (docs/errors.md)"""


def _overrides(path: Path | None) -> LocalOverrides:
    try:
        return load_overrides(path)
    except PackError as exc:
        err_console.print(f"[red]{msg('cli.error')}[/red] {exc}")
        raise typer.Exit(2) from None


def evaluate_file(path: Path, overrides: LocalOverrides) -> Iterator[Outcome]:
    """Decide every record of `path` in file order; earlier eligible lines count as granted."""
    history: dict[tuple[str, str], list[Grant]] = {}
    for row, raw in read_rows(path, known=RECORD_FIELDS):
        try:
            claim = parse_record(raw)
        except InvalidRecord as exc:
            yield Outcome(row, exc.claim_id, error=f"row {row}: {exc}", error_code="invalid_record")
            continue
        pack = load_pack(claim.policy)
        conflict = payee_conflict(claim, pack)
        if conflict:
            yield Outcome(row, claim.claim_id, claim, error=f"row {row}: {conflict}",
                          error_code="payee_conflict")
            continue
        grants = history.setdefault((claim.policy, claim.person_id), [])
        try:
            decision = evaluate(claim, grants, pack, overrides)
        except ClaimFactsError as exc:
            yield Outcome(row, claim.claim_id, claim, error=f"row {row}: {exc.reason}: {exc}",
                          missing_fact=exc.field, error_code="missing_facts")
            continue
        if decision.eligible:
            grants.append(grant_from(claim, decision))
        yield Outcome(row, claim.claim_id, claim, decision)


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def decision_json(decision: Decision) -> dict[str, Any]:
    out: dict[str, Any] = {
        "claim_id": decision.claim_id,
        "eligible": decision.eligible,
        "amount": _money(decision.amount),
        "payee_type": decision.payee_type,
        "advance_amount": _money(decision.advance_amount),
        "reasons": list(decision.reasons),
        "citations": list(decision.citations),
        "draft": decision.draft,
    }
    if decision.notes:
        out["notes"] = list(decision.notes)
        out["capped"] = [f"{t.parameter}: {t.note} ({t.source})" for t in decision.trace
                         if t.note.startswith("capped:")]
    if decision.counted:
        out["counted_grants"] = list(decision.counted)
    bounds = [f"{t.parameter}: took the {t.kind} {t.value} ({t.source})"
              for t in decision.trace if t.note.startswith("took the bound")]
    local = [f"{t.parameter}: local {t.value}" for t in decision.trace if t.local]
    if bounds:
        out["bounds"] = bounds
    if local:
        out["local"] = local
    if decision.missing:
        out["missing"] = list(decision.missing)
        out["error"] = "missing parameter: " + "; ".join(decision.missing)
        out["error_code"] = "missing_parameter"
    return out


@rules_app.command("evaluate")
def evaluate_cmd(
    file: Path = typer.Argument(..., help="claim records: .csv, .xlsx or .jsonl (CONTRACT §1)"),
    overrides: Path | None = OverridesOption,
) -> None:
    """Evaluate every record of FILE and print one JSON object per record, in file order.

    Earlier eligible lines count as granted for the caps of later ones. Invalid records print
    {"claim_id", "error", "error_code"} and make the exit status 1 (codes: docs/errors.md).
    Nothing is written to the database.

    Example: claims rules evaluate claims.csv --overrides local.yaml > decisions.jsonl
    """
    local = _overrides(overrides)
    bad = False
    out = sys.stdout
    try:
        for outcome in evaluate_file(file, local):
            if outcome.decision is not None:
                obj = decision_json(outcome.decision)
            elif outcome.missing_fact is not None:
                bad = True
                obj = {"claim_id": outcome.claim_id, "eligible": False, "amount": "0.00",
                       "reasons": [ClaimFactsError.reason], "missing_facts": [outcome.missing_fact],
                       "error": outcome.error, "error_code": outcome.error_code}
            else:
                bad = True
                obj = {"claim_id": outcome.claim_id, "error": outcome.error,
                       "error_code": outcome.error_code}
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    except UnreadableFile as exc:
        err_console.print(f"[red]{msg('cli.error')}[/red] {file}: {explain(exc)}")
        raise typer.Exit(2) from None
    out.flush()
    if bad:
        raise typer.Exit(1)


@rules_app.command("show")
def show_cmd(
    policy: str = typer.Argument(..., help="policy id, e.g. huludao-2019"),
    overrides: Path | None = OverridesOption,
) -> None:
    """Print a policy pack: validity, draft flag, every parameter with its kind, value and seed
    clause (open ones flagged "not stated in the source"), claim kinds, payees, advance, caps
    and target tables.

    Example: claims rules show zhumadian-2019
    """
    try:
        pack = load_pack(policy)
    except PackError as exc:
        err_console.print(f"[red]{msg('cli.error')}[/red] {exc}")
        raise typer.Exit(2) from None
    local = _overrides(overrides)
    render_pack(console, pack, local, in_force=policy_in_force(pack, local))


@rules_app.command("explain")
def explain_cmd(
    file: Path = typer.Argument(..., help="claim records: .csv, .xlsx or .jsonl"),
    claim: str = typer.Option(..., "--claim", help="the claim_id to explain"),
    overrides: Path | None = OverridesOption,
) -> None:
    """Explain, step by step, how one claim of FILE was decided (earlier lines of the file
    count as granted, as in `evaluate`).

    Example: claims rules explain claims.csv --claim G001
    """
    local = _overrides(overrides)
    try:
        for outcome in evaluate_file(file, local):
            if outcome.claim_id == claim:
                render_explanation(console, outcome.row, outcome.claim, outcome.decision,
                                   outcome.error)
                if outcome.error:
                    raise typer.Exit(1)
                return
    except UnreadableFile as exc:
        err_console.print(f"[red]{msg('cli.error')}[/red] {file}: {explain(exc)}")
        raise typer.Exit(2) from None
    err_console.print(f"[red]{msg('cli.error')}[/red] {msg('cli.no_claim_in_file', claim=claim, file=file)}")
    raise typer.Exit(1)


KIND_ZH = {"fixed": "固定 fixed", "minimum": "下限 minimum", "maximum": "上限 maximum", "open": "未定 open"}
UNIT = {"yuan": "元", "yuan_per_year": "元/人/年", "yuan_per_month": "元/人/月", "yuan_per_day": "元/天",
        "rate": "比例", "months": "月", "years": "年", "count": "次"}


def _span(start: object, end: object) -> str:
    s = "" if start is None or str(start) == "0001-01-01" else str(start)
    e = "" if end is None or str(end) == "9999-12-31" else str(end)
    return f"{s or '…'} – {e or '…'}"


def render_pack(out: Console, pack: PolicyPack, local: LocalOverrides, *, in_force: bool) -> None:
    spec = pack.spec
    out.print(f"[bold]{spec.title_zh}[/bold]\n{spec.title_en}")
    out.print(f"policy [bold]{spec.policy}[/bold]   seed {spec.seed}   issuer {spec.issuer_zh}"
              + (f"   {spec.document_no}" if spec.document_no else "")
              + (f"   issued {spec.issued_on}" if spec.issued_on else ""))
    v = spec.validity
    out.print(f"validity 有效期: {_span(v.start, v.end)}  ({v.derivation}; {v.source}: {v.quote})")
    if v.start_open:
        start = local.in_force_from(pack.policy) if local.policies else None
        confirmed = f"{start} [cyan]local[/cyan] (in_force_from, 自印发之日起)"
        unset = "[yellow]open 未定[/yellow] — 自印发之日起; set in_force_from in the local overrides"
        out.print("  start 起始日: " + (confirmed if start else unset))
    elif v.derived:
        out.print("  [yellow]derived 推定[/yellow]: the dates are read from the title or the plan's years, not stated")
    if spec.draft:
        state = "confirmed in force by the local overrides" if in_force else "NOT confirmed in force"
        out.print(f"[yellow]DRAFT 草案[/yellow]: {spec.draft_note} — {state}")
    table = Table(title="parameters 参数", show_lines=False)
    for col in ("parameter", "中文", "English", "kind 类型", "value 数值", "dates", "source 出处", "note"):
        table.add_column(col, overflow="fold")
    for name, param in pack.parameters.items():
        for entry in param.entries:
            value = "—" if entry.value is None else f"{entry.value} {UNIT[param.unit]}"
            note = "not stated in the source 原文未规定" if entry.kind == "open" else entry.quote
            lv = local.value(pack.policy, name, entry.start if entry.start.year > 1 else pack.valid_from
                             or entry.start)
            if lv is not None:
                note += f" [cyan]local 本地: {lv.value}[/cyan]"
            table.add_row(name, param.label_zh, param.label_en, KIND_ZH[entry.kind], value,
                          _span(entry.start, entry.end), entry.source, note)
    out.print(table)
    kinds = Table(title="claim kinds 补贴种类")
    for col in ("kind", "中文", "basis", "groups", "source", "note"):
        kinds.add_column(col, overflow="fold")
    for code, k in spec.kinds.items():
        groups = ", ".join(k.groups_any) + (f" (not {', '.join(k.groups_none)})" if k.groups_none else "")
        rows = [f"{r.apprentice_type or 'any'}: the claim's {r.actual} up to {r.param}" for r in k.rates if r.actual]
        rows += [f"{r.apprentice_type}: after the other scheme {r.term_after_other_scheme}"
                 for r in k.rates if r.term_after_other_scheme]
        kinds.add_row(code, k.label_zh, k.basis, groups or "—", k.source, "; ".join([k.note, *rows]).strip("; "))
    out.print(kinds)
    payees = Table(title="who is paid 补贴对象")
    for col in ("kinds", "groups", "enterprise_funded", "payee", "source"):
        payees.add_column(col, overflow="fold")
    for rule in spec.payees:
        payees.add_row(", ".join(rule.kinds) or "any", ", ".join(rule.groups) or "any",
                       "" if rule.enterprise_funded is None else str(rule.enterprise_funded),
                       rule.payee, rule.source)
    out.print(payees if spec.payees else "who is paid: the seed names no payee; the file's payee_type stands")
    adv = spec.advance
    if adv.rate:
        out.print(f"advance 预支: rate {adv.rate} for {', '.join(adv.kinds)} paid to "
                  f"{', '.join(adv.payee_types)}"
                  + (f", only for groups {', '.join(adv.groups_any)}" if adv.groups_any else "")
                  + f" ({adv.source}) {adv.note}")
    else:
        out.print(f"advance 预支: none — {adv.note}")
    caps = spec.caps
    out.print(f"caps 限制: {caps.annual_limit} counts {', '.join(caps.annual_limit_kinds)}; "
              f"same occupation and level once ({caps.duplicate_occupation_level_source})")
    for pair in caps.not_combinable:
        only = "; ".join(f"{kind} only with {', '.join(groups)}" for kind, groups in pair.only_groups.items())
        out.print(f"not combinable 不得重复享受: {' / '.join(pair.kinds)} ({pair.source}) {pair.quote}"
                  + (f" ({only})" if only else ""))
    for cross in caps.cross_policy:
        out.print(f"cross-policy 跨政策: {cross.rule_zh} — {cross.rule_en} ({cross.source}); "
                  f"policies counted: {', '.join(cross.policies) or 'none in this system'}")
    for t in spec.targets:
        tt = Table(title=f"targets 目标任务 (人次): {t.title_zh} — {t.source}")
        for col in ("row", "target 人次", "year", "region codes / organizer", "source", "note"):
            tt.add_column(col, overflow="fold")
        for r in t.rows:
            tt.add_row(r.label_zh, str(r.target), str(r.year or f"{t.span[0]}–{t.span[1]}"),
                       ", ".join(r.region_codes) or (r.organizer or ""), r.source, r.note)
        tt.add_row(Text("总计 total", style="bold"), Text(str(t.total), style="bold"), "", "", t.source, "")
        out.print(tt)
    for note in spec.open_notes:
        out.print(f"open 未定: {note}")


def render_explanation(out: Console, row: int, claim: ClaimRecord | None,
                       decision: Decision | None, error: str | None) -> None:
    if claim is None or decision is None:
        out.print(f"row {row}: [red]not evaluated[/red]: {error}")
        return
    pack = load_pack(claim.policy)
    out.print(f"[bold]claim {claim.claim_id}[/bold] (row {row}) under {pack.title_zh} [{pack.policy}]"
              + ("  [yellow]DRAFT[/yellow]" if decision.draft else ""))
    out.print(f"1. kind {claim.kind} ({KINDS.get(claim.kind, '?')}), level {claim.level or '—'}, "
              f"groups {', '.join(claim.groups) or '—'}")
    out.print(f"2. the claim's date is {claim.business_date} (certificate date, else training end, "
              f"else filing date); parameters are read for it")
    out.print("3. parameters used:")
    for i, t in enumerate(decision.trace, start=1):
        origin = ("[cyan]local[/cyan]" if t.local else
                  f"[magenta]claimed[/magenta], {t.source}" if t.note.startswith("claimed:") else t.source)
        note = f" — {t.note}" if t.note else ""
        out.print(f"   3.{i} {t.parameter} = {t.value if t.value is not None else '—'} "
                  f"({t.kind}, read for {t.read_for}; {origin}){note}")
    spec = pack.kind(claim.kind)
    if decision.eligible and spec is not None:
        unit = {"per_month": "yuan_per_month", "per_day": "yuan_per_day"}.get(spec.basis)
        rate = next((t.value for t in decision.trace if t.parameter in pack.parameters
                     and pack.parameters[t.parameter].unit == unit), None)
        if spec.basis == "per_month":
            cut = f" (capped from {claim.months})" if decision.months_paid != claim.months else ""
            out.print(f"4. amount = {rate} × {decision.months_paid} months{cut} = {decision.amount}")
        elif spec.basis == "per_day":
            cut = f" (capped from {claim.days})" if decision.days_paid != claim.days else ""
            out.print(f"4. amount = {rate} × {decision.days_paid} days{cut} = {decision.amount}")
        elif (actual := next((t for t in decision.trace if t.note.startswith("claimed:")
                              and t.parameter in RECORD_FIELDS and t.parameter != "catalog_standard"), None)):
            ceiling = next((t.value for t in decision.trace if t.note.startswith("ceiling")), "—")
            out.print(f"4. amount = the lesser of the claimed {actual.parameter} {actual.value} and the "
                      f"ceiling {ceiling} = {decision.amount}"
                      + (" (capped)" if "capped" in decision.notes else ""))
        else:
            out.print(f"4. amount = {decision.amount} ({spec.basis}), rounded half up to the fen")
        if decision.advance_amount is not None:
            out.print(f"5. advance = {decision.amount} × rate = {decision.advance_amount}")
        elif claim.advance_requested:
            out.print("5. an advance was asked for; the policy allows none for this claim")
    else:
        out.print(f"4. [red]not eligible[/red]: {', '.join(decision.reasons)}")
        for name in decision.missing:
            out.print(f"   missing parameter: {name}")
    if decision.notes:
        out.print(f"   notes: {', '.join(decision.notes)} (核减: paid less than claimed, see 3.)")
    if decision.counted:
        out.print(f"   earlier grants counted toward a cap or limit: {', '.join(decision.counted)}")
    out.print(f"payee: {decision.payee_type}; amount {decision.amount}; "
              f"citations: {'; '.join(decision.citations) or '—'}")
