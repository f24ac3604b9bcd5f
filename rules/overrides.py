"""The deployment's local override file (YAML, path from CLAIMS_LOCAL_OVERRIDES).

It supplies what the seeds leave to the deployment, without editing the shipped packs:
values for `open` parameters, values inside a `minimum`/`maximum` bound, confirmation
that a draft policy is in force, and the catalogue of approved training bodies. A `fixed`
number cannot be overridden. Every value taken from here shows as `local` in traces.

    policies:
      huludao-2019:
        parameters:
          work_based_training.monthly_amount:
            - {from: 2019-07-31, until: 2020-12-31, value: 1620, note: 葫芦岛市最低工资}
          advance.rate: 0.4            # one value for every date
        approved_institutions: [91211400MA0XXXXXXX]
      zhumadian-2019:
        in_force: true                 # the deployment confirms the draft is in force
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rules.packs import PackError, PolicyPack, format_validation_error, load_pack, read_yaml
from rules.text import HIDDEN, folded_code

ENV_VAR = "CLAIMS_LOCAL_OVERRIDES"


class _LocalEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: date | None = Field(None, alias="from")
    until: date | None = None
    value: Decimal
    note: str = ""

    @model_validator(mode="after")
    def _sane(self) -> _LocalEntry:
        if self.value <= 0:
            raise ValueError(f"value {self.value} must be positive")
        if self.start and self.until and self.until < self.start:
            raise ValueError(f"until {self.until} is before from {self.start}")
        return self


class _LocalPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    in_force: bool | None = None
    in_force_from: date | None = None
    approved_institutions: list[str] | None = None
    parameters: dict[str, list[_LocalEntry] | Decimal] = {}


class _OverrideFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    policies: dict[str, _LocalPolicy] = {}


@dataclass(frozen=True, slots=True)
class LocalValue:
    start: date
    end: date
    value: Decimal
    note: str


@dataclass(frozen=True, slots=True)
class LocalPolicy:
    in_force: bool | None = None
    in_force_from: date | None = None
    """the date a draft 自印发之日起 took effect, as the deployment confirms it"""
    approved_institutions: frozenset[str] | None = None
    parameters: dict[str, tuple[LocalValue, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LocalOverrides:
    path: Path | None = None
    policies: dict[str, LocalPolicy] = field(default_factory=dict)

    def value(self, policy: str, parameter: str, on: date) -> LocalValue | None:
        local = self.policies.get(policy)
        if local is None:
            return None
        for entry in local.parameters.get(parameter, ()):
            if entry.start <= on <= entry.end:
                return entry
        return None

    def in_force_from(self, policy: str) -> date | None:
        local = self.policies.get(policy)
        return local.in_force_from if local else None

    def approved_institutions(self, policy: str) -> frozenset[str] | None:
        local = self.policies.get(policy)
        return local.approved_institutions if local else None


NO_OVERRIDES = LocalOverrides()


CONDITION_UNITS = ("months", "years", "count")
"""Units of conditions and caps (吸纳就业六个月以上, 最长不超过6个月, 每年不超过3次): a seed's bound on
them is the condition itself, not a range a deployment picks an amount from."""


def _check_against_pack(
    pack: PolicyPack, name: str, entries: tuple[LocalValue, ...], where: str
) -> None:
    param = pack.parameters.get(name)
    if param is None:
        raise PackError(f"{where}: {pack.policy} has no parameter {name!r}")
    spans = sorted((e.start, e.end) for e in entries)
    for (_, end), (start, _) in pairwise(spans):
        if start <= end:
            raise PackError(f"{where}: dated values overlap ({end} / {start})")
    for local in entries:
        if local.value <= 0:
            raise PackError(f"{where}: value {local.value} must be positive")
        if param.unit == "rate" and local.value > 1:
            raise PackError(f"{where}: rate {local.value} is above 1")
        if param.unit in ("months", "years", "count") and local.value != int(local.value):
            raise PackError(f"{where}: {param.unit} value {local.value} must be whole")
        for entry in param.entries:
            if entry.end < local.start or entry.start > local.end:
                continue
            if entry.kind in ("minimum", "maximum") and param.unit in CONDITION_UNITS:
                raise PackError(
                    f"{where}: {name} is a condition or cap the seed states ({entry.kind} {entry.value}, "
                    f"{entry.source}); a local override may set amounts inside a bound, never move a "
                    "condition or cap"
                )
            if entry.kind == "fixed":
                raise PackError(
                    f"{where}: {name} is fixed by the seed at {entry.value} ({entry.source}); "
                    "a local override may only set open values or values inside a bound"
                )
            assert entry.value is not None or entry.kind == "open"
            if entry.kind == "minimum" and entry.value is not None and local.value < entry.value:
                raise PackError(
                    f"{where}: {local.value} is below the seed's minimum {entry.value} ({entry.source})"
                )
            if entry.kind == "maximum" and entry.value is not None and local.value > entry.value:
                raise PackError(
                    f"{where}: {local.value} is above the seed's maximum {entry.value} ({entry.source})"
                )


def _entries(raw: list[_LocalEntry] | Decimal) -> tuple[LocalValue, ...]:
    if isinstance(raw, Decimal):
        return (LocalValue(date.min, date.max, raw, ""),)
    return tuple(
        LocalValue(e.start or date.min, e.until or date.max, e.value, e.note) for e in raw
    )


def parse_overrides(path: Path) -> LocalOverrides:
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise PackError(f"{path}: an override file is a mapping with the key `policies`")
    try:
        spec = _OverrideFile.model_validate(raw)
    except ValidationError as exc:
        raise PackError(format_validation_error(path, exc)) from None
    policies: dict[str, LocalPolicy] = {}
    for policy, local in spec.policies.items():
        try:
            pack = load_pack(policy)
        except PackError as exc:
            raise PackError(f"{path}: policies.{policy}: {exc}") from None
        params: dict[str, tuple[LocalValue, ...]] = {}
        for name, raw_value in local.parameters.items():
            entries = _entries(raw_value)
            _check_against_pack(pack, name, entries, f"{path}: policies.{policy}.parameters.{name}")
            params[name] = entries
        if local.in_force is not None and not pack.draft and not local.in_force:
            raise PackError(
                f"{path}: policies.{policy}.in_force: {policy} is not a draft; it cannot be switched off here"
            )
        institutions = (
            frozenset(_institution(code, f"{path}: policies.{policy}.approved_institutions")
                      for code in local.approved_institutions)
            if local.approved_institutions is not None else None
        )
        if local.in_force_from is not None and not pack.spec.validity.start_open:
            raise PackError(f"{path}: policies.{policy}.in_force_from: {policy}'s start is not open "
                            f"({pack.spec.validity.derivation})")
        policies[policy] = LocalPolicy(local.in_force, local.in_force_from, institutions, params)
    return LocalOverrides(path=path, policies=policies)


def _institution(code: str, where: str) -> str:
    """An approved institution's credit code as a claim's payee_id is read (`folded_code`): one
    typed with a lower-case letter or full-width digits would otherwise refuse every claim paid to
    it as institution_not_listed; an invisible character is refused here, naming the entry."""
    hidden = HIDDEN.search(code)
    if hidden:
        raise PackError(f"{where}: {code!r} holds an invisible character or line break "
                        f"(U+{ord(hidden.group()):04X}); retype the code")
    return folded_code(code)


_cache: dict[Path, tuple[float, LocalOverrides]] = {}


def load_overrides(path: Path | None = None) -> LocalOverrides:
    """The override file at `path`, else at $CLAIMS_LOCAL_OVERRIDES, else none."""
    if path is None:
        env = os.environ.get(ENV_VAR, "").strip()
        if not env:
            return NO_OVERRIDES
        path = Path(env)
    if not path.exists():
        raise PackError(f"{path}: the local override file does not exist ({ENV_VAR})")
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    overrides = parse_overrides(path)
    _cache[path] = (mtime, overrides)
    return overrides


def policy_in_force(pack: PolicyPack, overrides: LocalOverrides | None = None) -> bool:
    """A published policy is in force; a draft only once the deployment confirms it."""
    if not pack.draft:
        return True
    local = (overrides or NO_OVERRIDES).policies.get(pack.policy)
    return bool(local and local.in_force)
