"""Reading the data-driven rules cases (tests/unit/rules/cases/<policy>.yaml) into engine inputs."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from rules.decision import Grant
from rules.overrides import NO_OVERRIDES, LocalOverrides, parse_overrides
from rules.record import ClaimRecord
from tests.unit.rules.ids import org_id, person_id

CASE_DIR = Path(__file__).parent / "cases"
_CLAIM_FIELDS = {f.name for f in fields(ClaimRecord)}
_GRANT_FIELDS = {f.name for f in fields(Grant)}


@dataclass(frozen=True)
class Case:
    policy: str
    name: str
    clause: str
    covers: tuple[str, ...]
    claim: ClaimRecord
    history: tuple[Grant, ...]
    overrides: LocalOverrides
    expect: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.policy}: {self.name}"


def _record(policy: str, n: int, fields_: dict[str, Any]) -> ClaimRecord:
    data = dict(fields_)
    unknown = set(data) - _CLAIM_FIELDS
    if unknown:
        raise ValueError(f"unknown claim fields {unknown}")
    region = str(data.get("region", "000000"))
    data.setdefault("claim_id", f"C{n:03d}")
    data.setdefault("policy", policy)
    data.setdefault("person_id", person_id(region, n))
    data.setdefault("person_name", "测试")
    if "payee_id" not in data:
        individual = data.get("payee_type") == "individual"
        data["payee_id"] = data["person_id"] if individual else org_id(n, region)
    data["groups"] = tuple(data.get("groups", ()))
    for money in ("catalog_standard", "apprentice_allowance_actual"):
        if data.get(money) is not None:
            data[money] = Decimal(str(data[money]))
    return ClaimRecord(**data)


def _grant(policy: str, n: int, raw: dict[str, Any]) -> Grant:
    data = {"claim_id": f"H{n:03d}", "policy": policy, "amount": Decimal("1")} | raw
    unknown = set(data) - _GRANT_FIELDS
    if unknown:
        raise ValueError(f"unknown grant fields {unknown}")
    data["amount"] = Decimal(str(data["amount"]))
    data["groups"] = tuple(data.get("groups", ()))
    return Grant(**data)


def _overrides(policy: str, raw: dict[str, Any] | None) -> LocalOverrides:
    if not raw:
        return NO_OVERRIDES
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "overrides.yaml"
        path.write_text(yaml.safe_dump({"policies": {policy: raw}}, allow_unicode=True), "utf-8")
        return parse_overrides(path)


def load_cases(path: Path) -> list[Case]:
    doc = yaml.safe_load(path.read_text("utf-8"))
    policy, defaults = doc["policy"], doc.get("defaults", {})
    local = doc.get("overrides") or {}  # the file's local overrides, under each case's own
    cases = []
    for n, raw in enumerate(doc["cases"], start=1):
        claim = _record(policy, n, defaults | raw.get("claim", {}))
        history = tuple(
            _grant(policy, i, defaults_for_grant(claim) | g) for i, g in enumerate(raw.get("history", []))
        )
        cases.append(Case(policy, raw["name"], raw["clause"], tuple(raw.get("covers", [])), claim,
                          history, _overrides(policy, _merged(local, raw.get("overrides"))), raw["expect"]))
    return cases


def _merged(local: dict[str, Any], own: dict[str, Any] | None) -> dict[str, Any] | None:
    if own is None:
        return local or None
    if own.get("no_file_overrides"):
        return {k: v for k, v in own.items() if k != "no_file_overrides"} or None
    return local | own | {"parameters": local.get("parameters", {}) | own.get("parameters", {})}


def defaults_for_grant(claim: ClaimRecord) -> dict[str, Any]:
    year = claim.certificate_date.year if claim.certificate_date else claim.filed_on.year
    return {"kind": claim.kind, "subsidy_year": year}


def all_cases() -> list[Case]:
    return [c for path in sorted(CASE_DIR.glob("*.yaml")) for c in load_cases(path)]


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
