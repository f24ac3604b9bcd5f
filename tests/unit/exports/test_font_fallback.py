"""On a machine with only Python (no system CJK font) charts still draw Chinese, with the Noto
Sans CJK SC font the `mplfonts` dependency ships, and still refuse a missing glyph."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib import font_manager

from exports import charts


def test_without_a_system_font_the_bundled_one_draws_every_glyph(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [e for e in font_manager.fontManager.ttflist if e.name != charts.FONT_NAME])
    family, path = charts.cjk_font()
    assert family == "Noto Sans CJK SC" and path.endswith(charts.BUNDLED_FONT_FILE)
    out = tmp_path / "funnel.png"
    charts.funnel_chart([("受理", 32), ("现场检查通过", 31), ("已拨付", 24)], out, "申报进度（测试）")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

