"""Charts with Chinese labels: matplotlib (Agg) with a CJK font.

The system's "WenQuanYi Micro Hei" (Debian fonts-wqy-microhei) when installed, else Noto Sans
CJK SC as shipped by the `mplfonts` package, a dependency, so a machine with only Python draws
Chinese too. Without either, drawing stops with a message saying what to install. A glyph
missing from the font is an error, not a warning, so no chart with empty boxes is ever written.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

FONT_NAME = "WenQuanYi Micro Hei"
FONT_FILE_HINT = "wqy-microhei"
BUNDLED_FONT_FILE = "NotoSansCJKsc-Regular.otf"


class FontMissing(RuntimeError):
    pass


def cjk_font() -> tuple[str, str]:
    """(family name, font file) of the CJK font charts use, registered with matplotlib."""
    for entry in font_manager.fontManager.ttflist:
        if entry.name == FONT_NAME:
            return entry.name, str(entry.fname)
    for path in font_manager.findSystemFonts():
        if FONT_FILE_HINT in Path(path).name.lower():
            font_manager.fontManager.addfont(path)
            return FONT_NAME, str(path)
    bundled = _bundled_font()
    if bundled is not None:
        font_manager.fontManager.addfont(str(bundled))
        return font_manager.FontProperties(fname=str(bundled)).get_name(), str(bundled)
    raise FontMissing(
        f"no CJK font: neither {FONT_NAME!r} nor the mplfonts package is installed, so Chinese "
        "labels cannot be drawn: pip install mplfonts (or apt-get install fonts-wqy-microhei)"
    )


def _bundled_font() -> Path | None:
    try:
        import mplfonts
    except ImportError:
        return None
    path = Path(mplfonts.__file__).parent / "fonts" / BUNDLED_FONT_FILE
    return path if path.exists() else None


@contextmanager
def cjk_drawing() -> Iterator[None]:
    """Matplotlib settings for Chinese text; a missing glyph raises instead of warning."""
    family, _ = cjk_font()
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": [family],
                                "axes.unicode_minus": False, "figure.dpi": 100}), \
            warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing.*")
        warnings.filterwarnings("error", message=r".*missing from (current )?font.*")
        yield


@dataclass(frozen=True, slots=True)
class BarGroup:
    title: str
    labels: Sequence[str]
    targets: Sequence[float | None]
    done: Sequence[float]
    paid: Sequence[float]


def _save(fig: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(path, bbox_inches="tight")
    finally:
        plt.close(fig)


def target_chart(groups: Sequence[BarGroup], path: Path, unit: str = "人次") -> None:
    """One horizontal bar panel per target table: target, subsidised and paid per row."""
    with cjk_drawing():
        heights = [max(2.5, 0.55 * len(g.labels) + 1.5) for g in groups]
        fig, axes = plt.subplots(len(groups), 1, figsize=(10, sum(heights)),
                                 gridspec_kw={"height_ratios": heights}, squeeze=False)
        for ax, group in zip(axes[:, 0], groups, strict=True):
            positions = list(range(len(group.labels)))
            targets = [t or 0 for t in group.targets]
            ax.barh([p - 0.27 for p in positions], targets, height=0.27, color="#c9d6e8",
                    label=f"目标（{unit}）")
            ax.barh(positions, group.done, height=0.27, color="#3a78b5",
                    label=f"已审核补贴（{unit}）")
            ax.barh([p + 0.27 for p in positions], group.paid, height=0.27, color="#e08a2c",
                    label=f"已拨付（{unit}）")
            for p, target, done in zip(positions, group.targets, group.done, strict=True):
                share = f"{done / target:.1%}" if target else "目标未定"
                ax.text(max(target or 0, done) * 1.01 + 0.5, p, share, va="center", fontsize=9)
            ax.set_yticks(positions, list(group.labels))
            ax.invert_yaxis()
            ax.set_title(group.title)
            ax.set_xlabel(unit)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
            ax.margins(x=0.12)
        fig.tight_layout()
        _save(fig, path)


def funnel_chart(stages: Sequence[tuple[str, int]], path: Path, title: str,
                 money: Sequence[tuple[str, float]] = ()) -> None:
    """A funnel of claims by stage; with `money`, a second panel of amounts (元) by label."""
    with cjk_drawing():
        panels = 2 if money else 1
        fig, axes = plt.subplots(1, panels, figsize=(7 * panels, 5), squeeze=False)
        ax = axes[0, 0]
        widest = max([n for _, n in stages] + [1])
        for row, (name, n) in enumerate(stages):
            ax.barh(row, n, left=(widest - n) / 2, color="#3a78b5", height=0.8)
            ax.text(widest / 2, row, f"{name}  {n}", ha="center", va="center", color="black",
                    fontsize=11, bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none"})
        ax.set_ylim(len(stages) - 0.5, -0.5)
        ax.set_xlim(0, widest)
        ax.axis("off")
        ax.set_title(title)
        if money:
            mx = axes[0, 1]
            mx.barh([name for name, _ in money], [v for _, v in money], color="#e08a2c")
            mx.invert_yaxis()
            mx.set_title("拨付金额（元）")
            mx.set_xlabel("元")
        fig.tight_layout()
        _save(fig, path)
