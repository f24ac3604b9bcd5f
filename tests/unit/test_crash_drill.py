"""services.crash_drill: a no-op unless armed; armed, it dies at the named point's N-th passage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services import crash_drill

SCRIPT = """
from services.crash_drill import checkpoint
for i in range(1, 6):
    checkpoint("other")
    checkpoint("step.point")
    print(i, flush=True)
"""


def _run(tmp_path: Path, spec: str | None) -> tuple[subprocess.CompletedProcess[str], Path]:
    marker = tmp_path / "marker"
    env = {k: v for k, v in os.environ.items() if k not in (crash_drill.KILL_AT, crash_drill.KILL_MARKER)}
    if spec is not None:
        env.update({crash_drill.KILL_AT: spec, crash_drill.KILL_MARKER: str(marker)})
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parents[2])
    return done, marker


def test_unarmed_checkpoints_do_nothing(tmp_path: Path) -> None:
    done, marker = _run(tmp_path, None)
    assert done.returncode == 0 and done.stdout.split() == ["1", "2", "3", "4", "5"]
    assert not marker.exists()


@pytest.mark.parametrize(("spec", "printed"), [("step.point", []), ("step.point:3", ["1", "2"])])
def test_armed_point_kills_at_its_nth_passage(tmp_path: Path, spec: str, printed: list[str]) -> None:
    done, marker = _run(tmp_path, spec)
    assert done.returncode == -9
    assert done.stdout.split() == printed
    assert marker.read_text(encoding="utf-8") == f"step.point:{len(printed) + 1}\n"


@pytest.mark.parametrize("spec", ["  ", ":2", "x:0", "x:two"])
def test_bad_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="CLAIMS_KILL_AT"):
        crash_drill.parse(spec)
