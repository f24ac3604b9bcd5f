"""Caps counted from the person's earlier grants: three certificate-based subsidies a year,
the same occupation and level once, the same certificate once, apprenticeship terms,
month caps and pairs a seed forbids together."""

from __future__ import annotations

from collections.abc import Sequence

from rules.decision import Grant
from rules.pack_schema import KindSpec, RateRow
from rules.run import Evaluation


def _relevant(run: Evaluation, history: Sequence[Grant]) -> list[Grant]:
    caps = run.pack.spec.caps
    if not caps.cross_policy:
        policy = run.pack.policy
        return [g for g in history if g.policy == policy]
    others = {p for rule in caps.cross_policy for p in rule.policies}
    for rule in caps.cross_policy:
        if rule.policies:
            run.cite(rule.source)
    return [g for g in history if g.policy == run.pack.policy or g.policy in others]


def cap_reasons(
    run: Evaluation, spec: KindSpec, row: RateRow | None, history: Sequence[Grant]
) -> None:
    """Add every cap the claim breaks to `run`'s reasons."""
    if not history:
        if spec.months_cap:
            _months(run, spec, [])
        if row is not None and row.term:
            _term(run, row, [])
        return
    grants = _relevant(run, history)
    claim, caps = run.claim, run.pack.spec.caps
    counted = caps.annual_limit_kinds
    if claim.kind in counted:
        year = claim.subsidy_year or run.on.year
        this_year = [g for g in grants if g.kind in counted and g.subsidy_year == year]
        used = len(this_year)
        if used:
            run.count(this_year)
            limit = run.read(caps.annual_limit)
            if limit is not None and used >= limit:
                run.refuse("annual_limit", caps.duplicate_occupation_level_source)
        same = [g for g in grants if g.kind in counted and g.kind != "apprenticeship"
                and g.occupation == claim.occupation and g.level == claim.level]
        if claim.kind != "apprenticeship" and claim.occupation and claim.level and same:
            run.count(same)
            run.refuse("duplicate_occupation_level", caps.duplicate_occupation_level_source)
    same_cert = [g for g in history if claim.certificate_no and g.certificate_no == claim.certificate_no]
    if same_cert:
        run.count(same_cert)
        run.refuse("duplicate_certificate")  # the person's own certificate, under any policy
    for pair in caps.not_combinable:
        if claim.kind in pair.kinds and _named(pair.only_groups.get(claim.kind), claim.groups):
            other = pair.kinds[1] if pair.kinds[0] == claim.kind else pair.kinds[0]
            only = pair.only_groups.get(other)
            if others := [g for g in grants if g.kind == other and _named(only, g.groups)]:
                run.count(others)
                run.refuse("not_combinable", pair.source)
    if spec.months_cap:
        _months(run, spec, grants)
    if claim.kind == "apprenticeship":
        same_year = [g for g in _same_scheme(claim.apprentice_type, grants)
                     if g.apprentice_year == claim.apprentice_year]
        if claim.apprentice_year is not None and same_year:
            run.count(same_year)
            run.refuse("term_limit", spec.source)
        if row is not None and row.term:
            _term(run, row, grants)


def _named(only: list[str] | None, groups: Sequence[str]) -> bool:
    """A claim or grant is of the sort a not-combinable pair names: any, or one of `only`'s groups."""
    return not only or any(g in only for g in groups)


def _months(run: Evaluation, spec: KindSpec, grants: list[Grant]) -> None:
    """最长不超过N个月 caps what is paid: months beyond the cap, or beyond what the person's
    earlier grants of the kind left, are cut (核减, note `capped`); refused only when none remain."""
    assert spec.months_cap is not None
    claimed = run.claim.months or 0
    earlier = [g for g in grants if g.kind == run.claim.kind and g.months]
    used = sum(g.months or 0 for g in earlier)
    cap = run.read(spec.months_cap)
    run.count(earlier)
    if cap is None or used + claimed <= cap:
        return
    source = run.pack.parameters[spec.months_cap].entries[0].source
    remaining = max(int(cap) - used, 0)
    if remaining <= 0:
        run.refuse("term_limit", source)
        return
    counted = ", ".join(f"{g.claim_id} ({g.months} months)" for g in earlier)
    why = f"cap {int(cap)} months" + (f", earlier grants {counted} used {used}" if earlier else "")
    run.cap("months", claimed, remaining, source, why)


def _same_scheme(apprentice_type: str | None, grants: list[Grant]) -> list[Grant]:
    """Earlier apprenticeship grants of the same scheme: employee and student apprenticeships have
    separate terms (Nanxun 四(一)2: 职工学徒…最长不超过3年, 学生学徒…最长不超过1年). A grant of unknown type
    counts against either (nothing twice)."""
    return [g for g in grants if g.kind == "apprenticeship"
            and (g.apprentice_type is None or apprentice_type is None or g.apprentice_type == apprentice_type)]


def _term(run: Evaluation, row: RateRow, grants: list[Grant]) -> None:
    assert row.term is not None
    years = run.read(row.term)
    if years is None:
        return
    claim = run.claim
    if row.term_after_other_scheme and claim.apprentice_type is not None:
        other = [g for g in grants if g.kind == "apprenticeship"
                 and g.apprentice_type not in (None, claim.apprentice_type)]
        if other:  # the seed's conversion rule between the schemes, where it states one
            run.count(other)
            converted = run.read(row.term_after_other_scheme)
            if converted is None:
                return  # missing_parameter names it
            years = min(years, converted)
    same_type = _same_scheme(claim.apprentice_type, grants)
    run.count(same_type)
    if (claim.apprentice_year is not None and claim.apprentice_year > years) or len(same_type) >= years:
        run.refuse("term_limit")
