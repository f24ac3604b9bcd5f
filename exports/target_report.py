"""`claims report targets`: DIR/targets.xlsx (one sheet per target table) and DIR/targets.png."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from exports.charts import BarGroup, target_chart
from exports.targets import ROW_HEADING, Progress, TableProgress, policy_progress
from exports.writer import Row, Section, write_document

HEADERS = {
    "zh": ("目标（人次）", "已审核补贴（人次）", "已拨付（人次）", "已拨付金额（元）",
           "完成率", "依据", "备注"),
    "en": ("Target (person-times)", "Subsidised (person-times)", "Paid (person-times)",
           "Money paid (yuan)", "% of target", "Source", "Note"),
}


def _row(p: Progress) -> Row:
    percent = f"{p.percent}%" if p.percent is not None else "—"
    target: int | str = p.target if p.target is not None else "种子文件未给出"
    return (p.label, target, p.subsidised, p.paid_claims, p.money, percent, p.source, p.note)


def _section(tp: TableProgress, lang: str) -> Section:
    first = ROW_HEADING.get(tp.table.layout, "项目") if lang == "zh" else tp.table.layout
    years = (f"{tp.first_year}年" if tp.first_year == tp.last_year
             else f"{tp.first_year}—{tp.last_year}年")
    span = f"{tp.table.span[0]}—{tp.table.span[1]}年"
    rows: list[Row] = [_row(p) for p in tp.rows]
    if tp.unmatched.subsidised or tp.unmatched.paid_claims or tp.unmatched.money:
        rows.append(_row(tp.unmatched))
    return Section(
        name=tp.table.title_zh,
        header=(first, *HEADERS[lang]),
        rows=rows,
        footer=lambda: [_row(tp.total)],
        preamble=[tp.table.title_zh,
                  f"目标期间：{span}；统计期间：{years}（按证书日期，无证书按结业或申报日期）",
                  f"来源：{tp.table.source}"],
        widths=(22, 14, 18, 14, 18, 10, 40, 30),
    )


def write_targets_report(engine: Engine, *, policy: str, year: int, out_dir: Path,
                         lang: str = "zh") -> tuple[Path, Path, list[TableProgress]]:
    progress = policy_progress(engine, policy, year)
    out_dir.mkdir(parents=True, exist_ok=True)
    xlsx, png = out_dir / "targets.xlsx", out_dir / "targets.png"
    write_document(xlsx, [_section(tp, lang) for tp in progress])
    target_chart(_bar_groups(progress), png)
    return xlsx, png, progress


def _bar_groups(progress: Sequence[TableProgress]) -> list[BarGroup]:
    groups = []
    for tp in progress:
        shown = [*tp.rows, tp.total]
        groups.append(BarGroup(
            title=f"{tp.table.title_zh}（统计至{tp.last_year}年）",
            labels=[p.label for p in shown],
            targets=[float(p.target) if p.target is not None else None for p in shown],
            done=[float(p.subsidised) for p in shown],
            paid=[float(p.paid_claims) for p in shown],
        ))
    return groups
