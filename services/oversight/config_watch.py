"""Changes to the deployment's local overrides (CLAIMS_LOCAL_OVERRIDES) and settings
(CLAIMS_SETTINGS and the CLAIMS_* variables), as the nights see them.

The files are edited by hand, outside the product, so no command can announce the edit. Each
night compares what it loads with what the last night saw (table `config_seen`); a new version is
recorded with its text, its owner on disk and the business date, and the night tells the Prefect
event feed which entries changed (flows/nightly.py: claims.overrides.changed,
claims.settings.changed). The first night records the versions it finds as the baseline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, insert, select

from models.oversight import CONFIG_SEEN

ENVIRONMENT = "environment and defaults"


@dataclass(frozen=True)
class Version:
    kind: str
    source: str
    content: str
    owner: str | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()


@dataclass(frozen=True)
class ConfigChange:
    kind: str
    """overrides | settings"""
    source: str
    sha256: str
    previous: str | None
    """the last night's hash; None on the first night (the baseline)"""
    owner: str | None
    changed: list[str]
    """the entries (dotted paths) added, removed or given another value"""


def _owner(path: Path) -> str | None:
    try:
        import pwd

        return pwd.getpwuid(path.stat().st_uid).pw_name
    except (ImportError, KeyError, OSError):
        return None


def _plain(value: Any) -> Any:
    """Settings as JSON that is the same for the same settings (sets sorted, keys as text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {"|".join(map(str, k)) if isinstance(k, tuple) else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal | Path):
        return str(value)
    return value


def current_versions() -> list[Version]:
    """The overrides file and the effective settings this process runs with."""
    from rules.overrides import ENV_VAR
    from services.settings import load_settings

    versions: list[Version] = []
    path_text = os.environ.get(ENV_VAR, "").strip()
    if path_text and Path(path_text).is_file():
        path = Path(path_text)
        versions.append(Version("overrides", str(path.resolve()), path.read_text(encoding="utf-8"), _owner(path)))
    else:
        versions.append(Version("overrides", "(none)", "", None))
    settings = load_settings()
    file = os.environ.get("CLAIMS_SETTINGS", "").strip()
    source = f"{Path(file).resolve()} + {ENVIRONMENT}" if file else ENVIRONMENT
    content = json.dumps({k: v for k, v in _plain(settings).items() if k != "source"},
                         ensure_ascii=False, sort_keys=True, indent=1)
    versions.append(Version("settings", source, content, _owner(Path(file)) if file else None))
    return versions


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _leaves(inner, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def changed_entries(before: str, after: str) -> list[str]:
    """The dotted paths whose value differs between two versions (YAML or JSON text)."""
    def parse(text: str) -> dict[str, str]:
        try:
            loaded = yaml.safe_load(text) if text.strip() else {}
        except yaml.YAMLError:
            return {"(text)": text}
        return dict(_leaves(loaded if isinstance(loaded, Mapping) else {"(value)": loaded}))

    old, new = parse(before), parse(after)
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def note_changes(engine: Engine, as_of: date, versions: list[Version] | None = None) -> list[ConfigChange]:
    """Record the versions that differ from the last ones seen (all of them on the first night)
    and say what changed; one transaction, one row per kind at most."""
    found = current_versions() if versions is None else versions
    changes: list[ConfigChange] = []
    with engine.begin() as conn:
        for version in found:
            last = conn.execute(
                select(CONFIG_SEEN.c.sha256, CONFIG_SEEN.c.content).where(CONFIG_SEEN.c.kind == version.kind)
                .order_by(CONFIG_SEEN.c.id.desc()).limit(1)).first()
            if last is not None and last.sha256 == version.sha256:
                continue
            conn.execute(insert(CONFIG_SEEN).values(
                kind=version.kind, source=version.source[:500], sha256=version.sha256, content=version.content,
                owner=version.owner, business_date=as_of))
            changes.append(ConfigChange(
                kind=version.kind, source=version.source, sha256=version.sha256,
                previous=last.sha256 if last else None, owner=version.owner,
                changed=changed_entries(last.content if last else "", version.content)))
    return changes
