"""`claims report summary`: DIR/summary.xlsx and DIR/summary.png (funnel + money by policy)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from exports.charts import funnel_chart
from exports.dates import period_text
from exports.labels import kind_label, label
from exports.summary import SummaryFigures, summary_figures
from exports.writer import Row, Section, write_document
from intake.jurisdictions import JURISDICTIONS
from states.lifecycle import STATE_ZH


def _policy(code: str) -> str:
    return f"{JURISDICTIONS[code].name}（{code}）" if code in JURISDICTIONS else code


def summary_sections(figures: SummaryFigures, lang: str = "zh") -> list[Section]:
    zh = lang == "zh"
    period = period_text(figures.date_from, figures.date_to, lang)
    title = (f"职业技能提升行动补贴工作情况（{period}）" if zh
             else f"Training subsidy report ({period})")
    states: list[Row] = [(label(STATE_ZH, s, lang), s, n) for s, n in figures.by_state.items()]
    funnel: list[Row] = [(zh_name if zh else code, code, n) for code, zh_name, n in figures.funnel]
    money: list[Row] = [(_policy(m.policy), kind_label(m.claim_kind, lang), m.totals.payments,
                         m.totals.advance, m.totals.final, m.totals.paid, m.totals.recovered, m.totals.net,
                         m.totals.owed) for m in figures.money]
    by_policy = figures.totals_by_policy()
    advances: list[Row] = [(_policy(o.policy), o.claims, o.amount)
                           for o in figures.advances_outstanding]
    owed: list[Row] = [(_policy(o.policy), o.claims, o.amount)
                       for o in figures.recoveries_outstanding]
    return [
        Section("按状态" if zh else "by state", ("状态", "代码", "申报数（件）"), states,
                preamble=[title, "范围：期间内受理的申报，按当前状态统计"],
                footer=lambda: [("合计", None, figures.claims)], widths=(20, 20, 14)),
        Section("进度漏斗" if zh else "funnel", ("环节", "代码", "达到该环节的申报（件）"), funnel,
                preamble=[title, "每件申报计入其已到达的每一环节"], widths=(20, 20, 24)),
        Section("资金" if zh else "money", ("政策", "补贴类别", "拨付笔数", "预支（元）", "清算拨付（元）",
                                             "已拨付（元）", "已追回（元）", "净拨付（元）", "待追回（元）"),
                money, preamble=[title, "期间内业务日期的款项（不含失败的拨付）；净拨付 = 已拨付 − 已追回，"
                                        "待追回 = 应追回 − 已追回"],
                footer=lambda: [(f"{_policy(p)} 合计", None, t.payments, t.advance, t.final, t.paid,
                                 t.recovered, t.net, t.owed) for p, t in by_policy.items()],
                widths=(30, 20, 10, 14, 14, 14, 14, 14, 14)),
        Section("待清算预支" if zh else "advances outstanding", ("政策", "申报数（件）", "预支金额（元）"),
                advances, preamble=[title, "已预支、尚未清算的申报（按当前数据）"],
                widths=(30, 14, 16)),
        Section("待追回" if zh else "recoveries outstanding", ("政策", "申报数（件）", "待追回金额（元）"),
                owed, preamble=[title, "待追回的申报（按当前数据）"], widths=(30, 14, 16)),
    ]


def write_summary_report(engine: Engine, *, date_from: date, date_to: date, out_dir: Path,
                         lang: str = "zh") -> tuple[Path, Path, SummaryFigures]:
    figures = summary_figures(engine, date_from, date_to)
    out_dir.mkdir(parents=True, exist_ok=True)
    xlsx, png = out_dir / "summary.xlsx", out_dir / "summary.png"
    write_document(xlsx, summary_sections(figures, lang))
    net = figures.money_by_policy()
    funnel_chart([(zh, n) for _, zh, n in figures.funnel], png,
                 title=f"申报进度（{period_text(date_from, date_to, 'zh')}受理）",
                 money=[(JURISDICTIONS[p].name if p in JURISDICTIONS else p, float(a))
                        for p, a in net.items()])
    return xlsx, png, figures
