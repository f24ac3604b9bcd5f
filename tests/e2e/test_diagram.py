"""`claims diagram` draws the lifecycle table: Mermaid for Markdown, PNG and SVG via Graphviz."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from states.lifecycle import STATE_CODES, TRANSITIONS
from tests.conftest import run_claims


def test_the_diagram_shows_every_state_and_trigger(tmp_path: Path) -> None:
    if shutil.which("dot") is None and os.environ.get("CI", "").lower() != "true":
        pytest.skip("Graphviz `dot` is not installed (CI installs it)")
    done = run_claims("diagram", "--out", str(tmp_path / "lifecycle"), db=f"sqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 0, done.stderr
    mermaid = (tmp_path / "lifecycle.mmd").read_text(encoding="utf-8")
    assert mermaid.startswith("stateDiagram-v2")
    for state in STATE_CODES:
        assert f"as {state}" in mermaid
    for transition in TRANSITIONS:
        assert str(transition["trigger"]) in mermaid
    assert "已追回" in (tmp_path / "lifecycle.dot").read_text(encoding="utf-8")
    assert (tmp_path / "lifecycle.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "lifecycle.svg").read_text(encoding="utf-8")
