"""Screenshots of workbooks for docs/clerk.md (not run by CI): the first rows and columns of a
sheet drawn as a table with matplotlib and the charts' CJK font.

    .venv/bin/python scripts/render_xlsx.py FILE.xlsx SHEET OUT.png [ROWS] [COLUMNS]
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from exports.charts import cjk_font


def render(path: Path, sheet: str, out: Path, rows: int = 8, columns: int = 8) -> None:
    family, _ = cjk_font()
    plt.rcParams["font.family"] = family
    ws = load_workbook(path)[sheet]
    cells = [["" if v is None else str(v)[:28] for v in row[:columns]]
             for row in ws.iter_rows(max_row=rows, values_only=True)]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    fig, ax = plt.subplots(figsize=(min(2.0 * width, 18), 0.45 * len(cells) + 0.6))
    ax.axis("off")
    ax.set_title(f"{path.name} — {sheet}", fontsize=10, loc="left")
    table = ax.table(cellText=cells[1:] or [[""] * width], colLabels=cells[0], loc="upper left",
                     cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    for (r, _), cell in table.get_celld().items():
        if r == 0:
            cell.set_facecolor("#DDEBF7")
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    args = sys.argv[1:]
    render(Path(args[0]), args[1], Path(args[2]), *(int(a) for a in args[3:5]))
