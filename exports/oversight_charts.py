"""Oversight charts (issue 23): one horizontal bar panel of labelled values, Chinese labels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from exports.charts import _save, cjk_drawing


def bar_chart(pairs: Sequence[tuple[str, float]], path: Path, title: str, unit: str) -> None:
    """One bar per (label, value), the value written beside it."""
    with cjk_drawing():
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.5 * len(pairs) + 1.2)))
        labels = [label for label, _ in pairs]
        values = [value for _, value in pairs]
        positions = list(range(len(pairs)))
        ax.barh(positions, values, color="#3a78b5", height=0.6)
        widest = max([*values, 1.0])
        for p, value in zip(positions, values, strict=True):
            ax.text(value + widest * 0.01, p, f"{value:,.2f}" if unit == "元" else f"{value:,.0f}",
                    va="center", fontsize=9)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_title(title)
        ax.set_xlabel(unit)
        ax.margins(x=0.15)
        fig.tight_layout()
        _save(fig, path)
