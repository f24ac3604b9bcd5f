"""`claims rules replay`: which decided claims an amended pack or override file would change."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from cli.common import console, fail, ready_engine
from cli.rules_cmd import rules_app
from exports.writer import Section, UnsupportedFile, check_suffix, write_document
from intake.messages import msg
from states.lifecycle import STATE_ZH


def register(app: typer.Typer) -> None:
    rules_app.command("replay")(replay_command)


def replay_command(
    pack: Path | None = typer.Option(None, "--pack", exists=True, dir_okay=False,
                                     help="an amended pack file, named <policy>.yaml"),
    overrides: Path | None = typer.Option(None, "--overrides", exists=True, dir_okay=False,
                                          help="an amended local override file"),
    policy: str | None = typer.Option(None, "--policy", help="only this policy's claims"),
    out: Path = typer.Option(Path("replay.xlsx"), "--out", help="the list (.xlsx or .csv)"),
    chart: Path | None = typer.Option(None, "--chart", help="also draw the totals (.png)"),
) -> None:
    """Re-evaluate paid and decided claims under an amended pack or overrides and list, without
    changing anything, those whose eligibility or amount would change, with totals: candidates
    for a top-up (补发) or a recovery (追回).

    Example: claims rules replay --pack huludao-2019.yaml --out replay.xlsx
    """
    from rules.overrides import load_overrides
    from rules.packs import PackError, load_pack_file, load_packs
    from services.oversight.replay import ACTION_ZH, Rulebook, replay

    if pack is None and overrides is None:
        fail(msg("cli.replay_needs"), 2)
    try:
        check_suffix(out)
        current = load_packs()
        before = Rulebook(dict(current), load_overrides())
        amended = dict(current)
        if pack is not None:
            changed = load_pack_file(pack)
            amended[changed.policy] = changed
        after = Rulebook(amended, load_overrides(overrides) if overrides else before.overrides)
    except (PackError, UnsupportedFile) as exc:
        fail(exc, 2)
        return
    engine = ready_engine()
    totals: dict[str, Any] = {"n": 0, "before": Decimal("0.00"), "after": Decimal("0.00"),
                              "top_up": Decimal("0.00"), "recover": Decimal("0.00")}

    def rows() -> Any:
        with engine.connect() as conn:
            for c in replay(conn, before, after, policy):
                totals["n"] += 1
                totals["before"] += c.before_amount
                totals["after"] += c.after_amount
                if c.action == "top_up":
                    totals["top_up"] += c.after_amount - c.paid
                elif c.action == "recover":
                    totals["recover"] += c.paid - c.after_amount
                yield (c.claim_id, c.policy, c.person_name, STATE_ZH.get(c.state, c.state), c.paid,
                       "是" if c.before_eligible else "否", c.before_amount, "是" if c.after_eligible else "否",
                       c.after_amount, c.difference, ACTION_ZH[c.action], c.after_reasons)

    def footer() -> list[Any]:
        return [("合计", None, f"{totals['n']}件", None, None, None, totals["before"], None, totals["after"],
                 totals["after"] - totals["before"], f"补发{totals['top_up']} 追回{totals['recover']}", None)]

    header = ("申领编号", "政策", "姓名", "当前状态", "已拨付(元)", "现行政策是否符合", "现行政策金额(元)",
              "调整后是否符合", "调整后金额(元)", "差额(元)", "建议", "调整后不予补贴原因")
    preamble = [f"政策调整重新测算（不改变任何申领）：{pack or ''} {overrides or ''}".strip()]
    write_document(out, [Section("重新测算", header, rows(), preamble=preamble, footer=footer)])
    if chart is not None:
        from exports.oversight_charts import bar_chart

        bar_chart([("现行政策金额", float(totals["before"])), ("调整后金额", float(totals["after"])),
                   ("应补发", float(totals["top_up"])), ("应追回", float(totals["recover"]))],
                  chart, f"政策调整重新测算：{totals['n']}件申领金额或资格变化", "元")
    console.print(msg("replay.summary", claims=totals["n"], before=totals["before"], after=totals["after"],
                      top_up=totals["top_up"], recover=totals["recover"], out=out))
