"""The audit anchors outside the database: one JSON line per anchor appended to CLAIMS_AUDIT_LOG,
each keyed with HMAC-SHA256 under the key in the file CLAIMS_AUDIT_KEY.

A database restored from an older copy (or rolled back) lacks anchors the outside log has; an
edited anchor or log line no longer agrees; a log that is gone is told apart from one that
disagrees. Appends take an exclusive file lock, so runs on several hosts sharing the log (over
a network file system that honours locks) never interleave lines; only the coordinating run of a
night anchors (flows/nightly.py, services/nightly/leasing.anchor_once). docs/operations.md tells
how a bureau keeps the log and the key away from the database and its backups.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake.messages import msg

LOG_ENV = "CLAIMS_AUDIT_LOG"
KEY_ENV = "CLAIMS_AUDIT_KEY"


class OutsideLogError(RuntimeError):
    """The outside log or its key is misconfigured."""


def log_path() -> Path | None:
    value = os.environ.get(LOG_ENV, "").strip()
    return Path(value) if value else None


def key_path() -> Path | None:
    value = os.environ.get(KEY_ENV, "").strip()
    return Path(value) if value else None


def make_key(path: Path) -> bool:
    """Create the key file (32 random bytes, hex, mode 0600) unless it exists; True when made."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return True


def _key() -> bytes:
    path = key_path()
    if path is None:
        raise OutsideLogError(f"{LOG_ENV} is set but {KEY_ENV} (the file holding the log's key) is not")
    try:
        return path.read_text(encoding="ascii").strip().encode()
    except OSError as exc:
        raise OutsideLogError(f"cannot read the audit key {path}: {exc.strerror}") from None


def _line(anchor: dict[str, Any], key: bytes) -> str:
    body = json.dumps(anchor, sort_keys=True, ensure_ascii=False, default=str)
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return json.dumps({"anchor": anchor, "hmac": mac}, sort_keys=True, ensure_ascii=False, default=str)


def anchor_record(row: Any) -> dict[str, Any]:
    record = {"id": int(row.id), "on": str(row.on), "run_id": row.run_id, "first_event_id": int(row.first_event_id),
              "last_event_id": int(row.last_event_id), "heads": int(row.heads), "digest": row.digest,
              "prev_digest": row.prev_digest}
    if getattr(row, "last_payment_id", None) is not None:  # anchors of format 2 (migration 80) on
        record["first_payment_id"] = int(row.first_payment_id or 0)
        record["last_payment_id"] = int(row.last_payment_id)
    return record


def append(anchor: dict[str, Any]) -> bool:
    """Append one anchor to the outside log (file-locked); False when no log is configured."""
    path = log_path()
    if path is None:
        return False
    line = _line(anchor, _key())
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return True


@dataclass
class LogCheck:
    configured: bool
    missing: bool = False
    anchors: dict[int, dict[str, Any]] | None = None
    problems: list[str] | None = None


def read() -> LogCheck:
    """The outside log's anchors by id, each line's HMAC checked."""
    path = log_path()
    if path is None:
        return LogCheck(configured=False)
    if not path.exists():
        return LogCheck(configured=True, missing=True, problems=[
            msg("outside.missing", "en", path=path, env=LOG_ENV)])
    key = _key()
    anchors: dict[int, dict[str, Any]] = {}
    problems: list[str] = []
    with path.open(encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        lines = handle.read().splitlines()
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            entry = json.loads(text)
            anchor = entry["anchor"]
            expected = _line(anchor, key)
            ok = hmac.compare_digest(json.loads(expected)["hmac"], str(entry["hmac"]))
        except (ValueError, KeyError, TypeError):
            problems.append(msg("outside.not_record", "en", number=number, path=path))
            continue
        if not ok:
            problems.append(msg("outside.hmac", "en", number=number, path=path, env=KEY_ENV))
            continue
        anchors[int(anchor["id"])] = anchor
    return LogCheck(configured=True, anchors=anchors, problems=problems)


def compare(database: list[dict[str, Any]], check: LogCheck) -> list[str]:
    """What differs between the database's anchors and the outside log's."""
    if not check.configured:
        return []
    problems = list(check.problems or [])
    if check.missing or check.anchors is None:
        return problems
    ours = {a["id"]: a for a in database}
    for anchor_id, logged in sorted(check.anchors.items()):
        mine = ours.get(anchor_id)
        if mine is None:
            problems.append(msg("outside.behind", "en", anchor=anchor_id, on=logged["on"],
                                last=logged["last_event_id"]))
        elif (mine["digest"], mine["last_event_id"], mine["prev_digest"], mine.get("last_payment_id")) != (
                logged["digest"], logged["last_event_id"], logged["prev_digest"], logged.get("last_payment_id")):
            problems.append(msg("outside.differs", "en", anchor=anchor_id, on=logged["on"],
                                ours=mine["digest"][:12], theirs=logged["digest"][:12]))
    missing = sorted(set(ours) - set(check.anchors))
    if missing:
        problems.append(msg("outside.not_logged", "en", anchors=len(missing),
                            ids=", ".join(map(str, missing[:10])), env=LOG_ENV))
    return problems


def refuse_beside_database(database_url: str) -> list[str]:
    """Key or log inside the SQLite database's own directory (copied and restored with it)."""
    if not database_url.startswith("sqlite"):
        return []
    raw = database_url.split("///", 1)[-1]
    if not raw or raw == ":memory:":
        return []
    folder = Path(raw).resolve().parent
    refused = []
    for name, path in ((KEY_ENV, key_path()), (LOG_ENV, log_path())):
        if path is not None and path.resolve().parent == folder:
            refused.append(f"{name}={path} is in the database's own directory {folder}: keep the audit "
                           "key and log apart from the database (a restored copy would bring them back too)")
    return refused
