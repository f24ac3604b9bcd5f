"""Loading the shipped policy packs (rules/packs/<policy>.yaml) into `PolicyPack`s.

A pack that does not validate is refused with an error naming its file and key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rules.decision import ParameterKind
from rules.pack_schema import KindSpec, PackSpec, ParameterSpec
from rules.record import POLICIES

PACK_DIR = Path(__file__).parent / "packs"


class PackError(ValueError):
    """A pack or override file that does not validate; the message names file and key."""


@dataclass(frozen=True, slots=True)
class Entry:
    start: date
    end: date
    value: Decimal | None
    kind: ParameterKind
    source: str
    quote: str
    note: str


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    label_zh: str
    label_en: str
    unit: str
    entries: tuple[Entry, ...]

    def at(self, on: date) -> Entry | None:
        """The entry in force on `on` (None when no entry covers that date)."""
        for entry in self.entries:
            if entry.start <= on <= entry.end:
                return entry
        return None


@dataclass(frozen=True, slots=True)
class PolicyPack:
    spec: PackSpec
    parameters: dict[str, Parameter]
    path: Path
    policy: str = ""
    draft: bool = False
    title_zh: str = ""
    seed: str = ""
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """Lookups the engine derives from the (immutable) pack, kept once computed."""

    @property
    def valid_from(self) -> date | None:
        return self.spec.validity.start

    @property
    def valid_until(self) -> date | None:
        return self.spec.validity.end

    def in_validity(self, on: date) -> bool:
        start, end = self.valid_from, self.valid_until
        return (start is None or on >= start) and (end is None or on <= end)

    def kind(self, kind: str) -> KindSpec | None:
        return self.spec.kinds.get(kind)

    def open_parameters(self) -> list[str]:
        return [n for n, p in self.parameters.items() if any(e.kind == "open" for e in p.entries)]


def _compile(name: str, spec: ParameterSpec, default_start: date | None) -> Parameter:
    entries = tuple(
        Entry(
            start=e.start or default_start or date.min,
            end=e.until or date.max,
            value=e.value,
            kind=e.kind,
            source=e.source,
            quote=e.quote,
            note=e.note,
        )
        for e in sorted(spec.values, key=lambda e: e.start or date.min)
    )
    return Parameter(name, spec.label_zh, spec.label_en, spec.unit, entries)


def format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} error(s)"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {path.name}: {key}: {err['msg']}")
    return "\n".join(lines)


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""yaml.safe_load's loader, in C (libyaml) where PyYAML has it: the same documents, ~10× faster."""


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_SAFE_LOADER)
    except OSError as exc:
        raise PackError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: not valid YAML: {exc}") from None


def load_pack_file(path: Path) -> PolicyPack:
    """Validate and compile one pack file."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise PackError(f"{path}: a pack is a mapping of keys, found {type(raw).__name__}")
    try:
        spec = PackSpec.model_validate(raw)
    except ValidationError as exc:
        raise PackError(format_validation_error(path, exc)) from None
    if path.stem != spec.policy:
        raise PackError(f"{path}: policy: {spec.policy!r} does not match the file name {path.stem!r}")
    params = {n: _compile(n, p, spec.validity.start) for n, p in spec.parameters.items()}
    return PolicyPack(spec=spec, parameters=params, path=path, policy=spec.policy,
                      draft=spec.draft, title_zh=spec.title_zh, seed=spec.seed)


@cache
def load_pack(policy_id: str) -> PolicyPack:
    if policy_id not in POLICIES:
        raise PackError(f"unknown policy {policy_id!r} (one of {', '.join(POLICIES)})")
    return load_pack_file(PACK_DIR / f"{policy_id}.yaml")


def load_packs() -> dict[str, PolicyPack]:
    return {policy: load_pack(policy) for policy in POLICIES}
