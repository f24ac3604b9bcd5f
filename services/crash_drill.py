"""A test seam: named kill points for crash drills. `checkpoint(name)` SIGKILLs this process when asked to.

The product never arms them; drills do (tests/e2e/reliability/test_crash.py, docs/reliability.md).

CLAIMS_KILL_AT names the point (`assess.before_commit`) or its N-th passage
(`assess.before_commit:2`); before dying the process writes `<name>:<N>` to the file named by
CLAIMS_KILL_MARKER, so a drill can tell where it died. Without CLAIMS_KILL_AT a checkpoint is one
comparison against None. The variables are read once per process (`arm` re-reads them).
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

KILL_AT = "CLAIMS_KILL_AT"
KILL_MARKER = "CLAIMS_KILL_MARKER"

_target: tuple[str, int] | None = None
_marker: Path | None = None
_passed: Counter[str] = Counter()


def parse(spec: str) -> tuple[str, int]:
    """`name` or `name:N` (N ≥ 1) as (name, N)."""
    name, _, count = spec.strip().partition(":")
    if not name:
        raise ValueError(f"{KILL_AT}={spec!r}: name a kill point")
    try:
        times = int(count) if count else 1
    except ValueError:
        raise ValueError(f"{KILL_AT}={spec!r}: the part after ':' must be a whole number") from None
    if times < 1:
        raise ValueError(f"{KILL_AT}={spec!r}: N must be at least 1")
    return name, times


def arm() -> None:
    """(Re)read CLAIMS_KILL_AT and CLAIMS_KILL_MARKER; reset the passage counts."""
    global _target, _marker
    spec = os.environ.get(KILL_AT, "").strip()
    _target = parse(spec) if spec else None
    marker = os.environ.get(KILL_MARKER, "").strip()
    _marker = Path(marker) if marker else None
    _passed.clear()


def checkpoint(name: str) -> None:
    """Die here (SIGKILL, no cleanup) if this is the armed point's N-th passage."""
    if _target is None or name != _target[0]:
        return
    _passed[name] += 1
    if _passed[name] != _target[1]:
        return
    if _marker is not None:
        _marker.write_text(f"{name}:{_passed[name]}\n", encoding="utf-8")
    os.kill(os.getpid(), signal.SIGKILL)


arm()
