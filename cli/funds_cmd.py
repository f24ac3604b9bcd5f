"""`claims report funds`: the fund ledger (专账) per policy and region for a year, as xlsx and a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cli.common import console, fail, ready_engine
from cli.export_cmd import report_app
from exports.writer import Section, UnsupportedFile, check_suffix, write_document
from intake.messages import msg


def register(app: typer.Typer) -> None:
    report_app.command("funds")(report_funds)


def report_funds(
    year: int = typer.Option(..., "--year", help="the budget year"),
    out: Path = typer.Option(Path("funds.xlsx"), "--out", help="the report (.xlsx or .csv)"),
    chart: Path | None = typer.Option(None, "--chart", help="also draw budget, paid, committed (.png)"),
) -> None:
    """Budget, committed (approved, not paid), paid, recovered and remaining per policy and region.
    Budgets come from `funds:` in CLAIMS_SETTINGS; a line without one is unlimited (未设预算).

    Example: claims report funds --year 2020 --out funds.xlsx --chart funds.png
    """
    from services.money.funds import fund_lines, unlimited_warning
    from services.settings import SettingsError, load_settings

    try:
        check_suffix(out)
        settings = load_settings()
    except (UnsupportedFile, SettingsError) as exc:
        fail(exc, 2)
        return
    engine = ready_engine()
    with engine.connect() as conn:
        lines = fund_lines(conn, year, settings)
    rows: list[Any] = [(ln.policy, ln.year, ln.region, ln.budget if ln.budget is not None else "未设预算（不限额）",
                        ln.committed, ln.paid, ln.recovered, ln.drawn,
                        ln.remaining if ln.remaining is not None else "不限额") for ln in lines]
    header = ("政策", "年度", "地区", "预算(元)", "已批准待拨付(元)", "已拨付(元)", "已追回(元)",
              "专账已列支(元)", "预算余额(元)")
    warning = unlimited_warning(settings)
    write_document(out, [Section("专账资金", header, rows, preamble=[warning] if warning else [])])
    if warning:
        console.print(f"[yellow]{msg('import.warning')}[/yellow] {msg('funds.unlimited')}")
    console.print(msg("funds.written", year=year, lines=len(lines), out=out))
    if chart is not None:
        from exports.oversight_charts import bar_chart

        pairs: list[tuple[str, float]] = []
        for ln in [ln for ln in lines if ln.budget is not None] or lines:  # the budgeted accounts
            label = f"{ln.policy} {ln.region}"
            if ln.budget is not None:
                pairs.append((f"{label} 预算", float(ln.budget)))
            pairs += [(f"{label} 专账已列支", float(ln.drawn)), (f"{label} 已拨付", float(ln.paid)),
                      (f"{label} 待拨付", float(ln.committed))]
        bar_chart(pairs or [("无数据", 0.0)], chart, f"{year}年专账资金", "元")
