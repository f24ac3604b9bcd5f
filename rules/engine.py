"""The pure rules engine: (claim, the person's earlier grants, policy pack) -> Decision.

No I/O, no clock: every parameter is read for the claim's own date (`business_date`).
A refusal is a Decision with reason codes and citations; `ClaimFactsError` is raised
only when the claim lacks a fact its kind needs (intake should have refused it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial

from rules.caps import cap_reasons
from rules.decision import Decision, Grant, TraceEntry
from rules.facts import fact_text
from rules.overrides import NO_OVERRIDES, LocalOverrides
from rules.pack_schema import EmploymentCondition, KindSpec, RateRow
from rules.packs import PolicyPack
from rules.payee import required_payee_type
from rules.record import ClaimRecord
from rules.run import ClaimFactsError, Evaluation, to_fen

__all__ = ["ClaimFactsError", "evaluate"]


def _match(rows: list[RateRow], claim: ClaimRecord) -> RateRow | None:
    for row in rows:
        if row.level is not None:
            if claim.level is None:
                raise ClaimFactsError("level", fact_text("fact.level", kind=claim.kind))
            if row.level != claim.level:
                continue
        if row.urgent is not None and row.urgent != claim.urgent:
            continue
        if row.groups_any and not any(g in row.groups_any for g in claim.groups):
            continue
        if row.apprentice_type is not None:
            if claim.apprentice_type is None:
                raise ClaimFactsError("apprentice_type", fact_text("fact.apprentice_type"))
            if row.apprentice_type != claim.apprentice_type:
                continue
        return row
    return None


def _payee(claim: ClaimRecord, pack: PolicyPack) -> tuple[str, str] | None:
    key = ("payee", claim.kind, tuple(claim.groups), claim.enterprise_funded)
    try:
        return pack.memo[key]
    except KeyError:
        found = pack.memo[key] = required_payee_type(claim, pack)
        return found


def _rate_row(pack: PolicyPack, spec: KindSpec, claim: ClaimRecord) -> RateRow | None:
    key = ("rate", claim.kind, claim.level, claim.urgent, claim.apprentice_type, claim.groups)
    try:
        return pack.memo[key]
    except KeyError:
        found = pack.memo[key] = _match(spec.rates, claim)
        return found


def _check_groups(run: Evaluation, spec: KindSpec) -> None:
    groups = run.claim.groups
    if spec.groups_any and not any(g in spec.groups_any for g in groups):
        run.refuse("ineligible_group", spec.groups_source)
    if spec.groups_none and any(g in spec.groups_none for g in groups):
        run.refuse("ineligible_group", spec.groups_source)


def _add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _check_condition(run: Evaluation, spec: KindSpec, cond: EmploymentCondition) -> None:
    claim = run.claim
    if cond.when_groups:
        qualifying = [g for g in claim.groups if g in spec.groups_any] if spec.groups_any else []
        if not qualifying or any(g not in cond.when_groups for g in qualifying):
            return
    if cond.employed_months_min and claim.employed_months is not None:
        minimum = run.read(cond.employed_months_min)
        if minimum is not None and claim.employed_months < minimum:
            run.refuse("condition_not_met", cond.source)
    if cond.employed_in_province is not None and claim.employed_in_province is not None and (
        claim.employed_in_province != cond.employed_in_province
    ):
        run.refuse("condition_not_met", cond.source)
    if cond.employed_within_months:
        if claim.employed_on is None:
            raise ClaimFactsError("employed_on", fact_text("fact.employed_on", kind=claim.kind))
        trained = claim.training_end or claim.certificate_date or claim.training_start
        limit = run.read(cond.employed_within_months)
        late = limit is not None and trained is not None and (
            claim.employed_on > _add_months(trained, int(limit))
        )
        if trained is None or claim.employed_on < trained or late:
            run.refuse("condition_not_met", cond.source)


def _check_insured(run: Evaluation, spec: KindSpec) -> None:
    """参保 conditions: months when the claim gives them, else the unemployment_insured group; a
    group such as enterprise_employee alone does not make a trainee insured."""
    cond, claim = spec.insured, run.claim
    if cond is None or any(g in cond.except_groups for g in claim.groups):
        return
    if claim.insured_months is None:
        if "unemployment_insured" not in claim.groups:
            run.refuse("not_insured", cond.source)
        return
    minimum = run.read(cond.months_min) if cond.months_min else Decimal(1)
    if minimum is not None and claim.insured_months < minimum:
        run.refuse("not_insured", cond.source)


def _amount(run: Evaluation, spec: KindSpec, row: RateRow | None) -> Decimal | None:
    claim = run.claim
    if spec.basis == "catalog_standard":
        run.cite(spec.source)
        if claim.catalog_standard is None:
            clause = spec.source.split(" ", 1)[1]
            run.missing.append(
                f"{run.pack.policy}: catalog_standard (目录清单标准 of the class's catalogue entry, in {clause})"
            )
            return None
        run.trace.append(
            TraceEntry("catalog_standard", str(claim.catalog_standard), "fixed", run.on, spec.source,
                       False, "claimed: the catalogue entry's standard as the claim gives it, not a local setting")
        )
        return claim.catalog_standard
    assert row is not None
    rate = run.read(row.param)
    if rate is None:
        return None
    if row.actual:
        return _actual_up_to(run, row, rate)
    if spec.basis == "per_month":
        if claim.months is None:
            raise ClaimFactsError("months", fact_text("fact.months"))
        return rate * (run.months_paid if run.months_paid is not None else claim.months)
    if spec.basis == "per_day":
        if claim.days is None:
            raise ClaimFactsError("days", fact_text("fact.days"))
        return rate * _class_days(run, spec)
    return rate


def _actual_up_to(run: Evaluation, row: RateRow, ceiling: Decimal) -> Decimal:
    """The claim's actual figure paid up to the ceiling (Nanxun 四(一)2: 学生学徒补贴金额一般按学徒月实习
    津贴标准确定，每人每年不高于3000元). The ceiling is not "taken" as a bound: it only caps. Without the
    figure the claim lacks a fact."""
    assert row.actual is not None
    claim = run.claim
    entry = run.pack.parameters[row.param].at(run.on)
    source = entry.source if entry is not None else run.pack.spec.kinds[claim.kind].source
    actual: Decimal | None = getattr(claim, row.actual)
    if actual is None:
        raise ClaimFactsError(row.actual, fact_text("fact.actual_allowance", ceiling=f"{ceiling:.2f}",
                                                    source=source))
    for i, traced in enumerate(run.trace):  # the ceiling caps the claimed figure; it is not paid as such
        if traced.parameter == row.param and traced.note.startswith("took the bound"):
            run.trace[i] = replace(traced, note=f"ceiling ({traced.kind} {traced.value}): caps the "
                                                f"claim's {row.actual}")
    run.trace.append(TraceEntry(row.actual, f"{actual:.2f}", "fixed", run.on, source, False,
                                "claimed: the apprentice's actual monthly allowance (学徒月实习津贴) as the "
                                "claim gives it, not a local setting"))
    if actual <= ceiling:
        return actual
    if "capped" not in run.notes:
        run.notes.append("capped")
    run.trace.append(TraceEntry("amount_paid", f"{ceiling:.2f}", "fixed", run.on, source, False,
                                f"capped: claimed {actual:.2f} yuan, paid {ceiling:.2f} — 每人每年不高于 "
                                f"{ceiling:.2f}"))
    return ceiling


def _class_days(run: Evaluation, spec: KindSpec) -> int:
    """在培训期间…按实际参加培训天数: never more days than the class has, training_start to
    training_end inclusive; more are cut (`capped`). Without the dates the days cannot be checked."""
    claim = run.claim
    assert claim.days is not None
    if claim.training_start is None or claim.training_end is None:
        field = "training_start" if claim.training_start is None else "training_end"
        raise ClaimFactsError(field, fact_text("fact.class_dates"))
    span = (claim.training_end - claim.training_start).days + 1
    if span <= 0:
        raise ClaimFactsError("training_end", fact_text("fact.class_order"))
    if claim.days > span:
        run.cap("days", claim.days, span, spec.source,
                f"the class ran {span} days ({claim.training_start} to {claim.training_end})")
        return span
    return claim.days


def _advance(run: Evaluation, amount: Decimal, payee_type: str) -> Decimal | None:
    claim, adv = run.claim, run.pack.spec.advance
    if not claim.advance_requested or adv.rate is None:
        return None
    if claim.kind not in adv.kinds or payee_type not in adv.payee_types:
        return None
    if adv.groups_any and not any(g in adv.groups_any for g in claim.groups):
        return None
    if adv.regions_any and not claim.region.startswith(tuple(adv.regions_any)):
        return None
    rate = run.read(adv.rate)
    if rate is None:
        return None
    run.cite(adv.source)
    return to_fen(amount * rate)


def _in_force_on(run: Evaluation) -> bool:
    """The claim's date inside the policy's validity. A start the seed leaves open (自印发之日起) is
    the deployment's `in_force_from` (a missing parameter without it); a date derived from a title
    is flagged as derived in the trace."""
    pack, validity = run.pack, run.pack.spec.validity
    start = validity.start
    if validity.start_open:
        start = run.overrides.in_force_from(pack.policy) if run.overrides.policies else None
        if start is None:
            clause = validity.source.split(" ", 1)[1]
            run.cite(validity.source)
            run.trace.append(TraceEntry("validity.start", None, "open", run.on, validity.source, False,
                                        "自印发之日起: not stated in the source"))
            run.missing.append(f"{pack.policy}: validity.start ({validity.quote} in {clause}; "
                               "in_force_from in the local override file)")
            return False
        run.cite(validity.source)
        run.trace.append(TraceEntry("validity.start", str(start), "open", run.on, validity.source, True,
                                    "local override: the date the draft took effect (自印发之日起)"))
    elif validity.derived:
        run.trace.append(TraceEntry("validity", f"{validity.start}..{validity.end}", "fixed", run.on,
                                    validity.source, False, f"derived: {validity.derivation}"))
    end = validity.end
    if (start is not None and run.on < start) or (end is not None and run.on > end):
        run.refuse("outside_policy_period", validity.source)
        return False
    return True


def evaluate(
    claim: ClaimRecord,
    history: Sequence[Grant],
    pack: PolicyPack,
    overrides: LocalOverrides | None = None,
) -> Decision:
    """Decide one claim. `history` is the person's earlier granted subsidies."""
    if claim.policy != pack.policy:
        raise ValueError(f"claim {claim.claim_id} is under {claim.policy}, not {pack.policy}")
    run = Evaluation(claim, pack, overrides or NO_OVERRIDES)
    required = _payee(claim, pack)
    payee_type = required[0] if required else claim.payee_type
    if required:
        run.cite(required[1])
    decide = partial(run.decision, payee_type)

    if not _in_force_on(run):
        return decide()
    spec = pack.kind(claim.kind)
    if spec is None:
        run.refuse("not_covered")
        return decide()
    run.cite(spec.source)
    _check_groups(run, spec)
    row = _rate_row(pack, spec, claim) if spec.rates else None
    if spec.rates and row is None:
        if not run.reasons:  # a group the kind is not for is already ineligible_group
            run.refuse("not_covered")
        return decide()
    for cond in spec.conditions:
        _check_condition(run, spec, cond)
    _check_insured(run, spec)
    if row is not None and row.min_tenure_months and claim.employed_months is not None:
        tenure = run.read(row.min_tenure_months)
        if tenure is not None and claim.employed_months < tenure:
            run.refuse("condition_not_met", pack.parameters[row.min_tenure_months].entries[0].source)
    cap_reasons(run, spec, row, history)
    if run.reasons:
        return decide()
    amount = _amount(run, spec, row)
    if amount is None:
        return decide()
    approved = run.overrides.approved_institutions(pack.policy) if run.overrides.policies else None
    if approved is not None and payee_type == "institution" and claim.payee_id not in approved:
        run.refuse("institution_not_listed")
        return decide()
    return decide(amount, _advance(run, amount, payee_type))
