"""`claims report oversight`: institution-level signals per training body, as xlsx and a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cli.common import console, fail, ready_engine
from cli.export_cmd import report_app
from exports.writer import Section, UnsupportedFile, check_suffix, write_document


def register(app: typer.Typer) -> None:
    report_app.command("oversight")(report_oversight)


def report_oversight(
    out: Path = typer.Option(Path("oversight.xlsx"), "--out", help="the report (.xlsx or .csv)"),
    chart: Path | None = typer.Option(None, "--chart", help="also draw the signals by body (.png)"),
) -> None:
    """Named signals with scores per training body: trainees at another body at the same time,
    rosters repeating another class, classes larger than every earlier one. Read-only.

    Example: claims report oversight --out oversight.xlsx --chart oversight.png
    """
    from services.oversight.signals import SIGNAL_ZH, read_rosters, signals

    try:
        check_suffix(out)
    except UnsupportedFile as exc:
        fail(exc, 2)
        return
    engine = ready_engine()
    with engine.connect() as conn:
        found = signals(read_rosters(conn))
    rows: list[Any] = [(s.organizer, s.signal, SIGNAL_ZH[s.signal], s.count, str(s.score), s.example) for s in found]
    write_document(out, [Section("机构风险信号", ("培训机构", "信号", "信号说明", "次数", "分值", "示例"), rows)])
    console.print(f"oversight: {len(found)} signals at {len({s.organizer for s in found})} bodies; written to {out}")
    if chart is not None:
        from exports.oversight_charts import bar_chart

        bar_chart([(f"{s.organizer} {SIGNAL_ZH[s.signal]}", float(s.score)) for s in found[:20]]
                  or [("无信号", 0.0)], chart, "机构风险信号（分值，前20）", "分值")
