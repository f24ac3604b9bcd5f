"""`claims report oversight` (institution signals per training and evaluation body, as xlsx and a
chart) and `claims oversight list|scan|clear|confirm` (the claims signals set aside for a reviewer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cli.common import ActorOption, OnOption, Table, business_date, console, fail, ready_engine
from cli.export_cmd import report_app
from cli.lease_cmd import night_lease
from exports.writer import Section, UnsupportedFile, check_suffix, write_document
from intake.messages import msg

oversight_app = typer.Typer(
    help="Claims an institution signal set aside for a reviewer (复核): list them, clear or confirm.\n\n"
         "Example: claims oversight list && claims oversight clear G001 --reason \"核实为同一场地\" --actor 王复核",
    no_args_is_help=True)
PolicyOption = typer.Option(None, "--policy", help="needed when the claim id exists under several policies")


def register(app: typer.Typer) -> None:
    report_app.command("oversight")(report_oversight)
    app.add_typer(oversight_app, name="oversight")
    oversight_app.command("list")(list_holds)
    oversight_app.command("scan")(scan_now)
    oversight_app.command("clear")(clear)
    oversight_app.command("confirm")(confirm)


def report_oversight(
    out: Path = typer.Option(Path("oversight.xlsx"), "--out", help="the report (.xlsx or .csv)"),
    chart: Path | None = typer.Option(None, "--chart", help="also draw the signals by body (.png)"),
) -> None:
    """Named signals with scores per training body (trainees at another body at the same time,
    rosters repeating another class, class surges, implausible ages, student groups on a job-based
    subsidy) and per evaluation body (certificate surges). Read-only.

    Example: claims report oversight --out oversight.xlsx --chart oversight.png
    """
    from services.oversight.signals import SIGNAL_ZH, Parameters, read_rosters, signals
    from services.settings import load_settings

    try:
        check_suffix(out)
    except UnsupportedFile as exc:
        fail(exc, 2)
        return
    engine = ready_engine()
    params = Parameters.of(load_settings())
    with engine.connect() as conn:
        found = signals(read_rosters(conn), params)
    rows: list[Any] = [(s.organizer, "评价机构" if s.body == "evaluation" else "培训机构", s.signal,
                        SIGNAL_ZH[s.signal], s.count, str(s.score), s.example, len(s.claims)) for s in found]
    write_document(out, [Section("机构风险信号", ("机构", "机构类别", "信号", "信号说明", "次数", "分值", "示例",
                                                "涉及申报"), rows)])
    console.print(msg("oversight.report_written", signals=len(found), bodies=len({s.organizer for s in found}),
                      out=out))
    if params.missing:
        console.print(msg("oversight.not_computed", names=", ".join(params.missing)))
    if chart is not None:
        from exports.oversight_charts import bar_chart

        bar_chart([(f"{s.organizer} {SIGNAL_ZH[s.signal]}", float(s.score)) for s in found[:20]]
                  or [("无信号", 0.0)], chart, "机构风险信号（分值，前20）", "分值")


def list_holds(
    status: str = typer.Option("open", "--status", help="open, cleared, confirmed or all"),
    out: Path | None = typer.Option(None, "--out", help="also write the list (.xlsx or .csv)"),
) -> None:
    """The claims institution signals set aside (open: waiting for a reviewer).

    Example: claims oversight list --out 待复核.xlsx
    """
    from services.oversight.holds import hold_rows

    engine = ready_engine()
    with engine.connect() as conn:
        rows = hold_rows(conn, None if status == "all" else status)
    table = Table("claim_id", "policy", "state", "signal", "信号", "body", "score", "raised_on", "status",
                  title=msg("oversight.holds_title", status=status))
    for r in rows[:200]:
        table.add_row(r["claim_id"], r["policy"], r["state"], r["signal"], r["信号"], r["body"], r["score"],
                      r["raised_on"], r["status"])
    console.print(table)
    console.print(msg("oversight.holds_count", claims=len(rows), status=status))
    if out is not None:
        header = ("claim_id", "policy", "state", "signal", "信号", "body", "score", "detail", "raised_on", "status")
        write_document(out, [Section("风险信号待复核", header, [tuple(r[h] for h in header) for r in rows])])


def scan_now(on: str | None = OnOption) -> None:
    """Compute the signals now and set aside the claims they point at (the night does this first).

    Example: claims oversight scan --on 2020-06-02
    """
    from services.oversight.holds import scan
    from services.settings import load_settings

    engine = ready_engine()
    settings = load_settings()
    with night_lease(engine, "oversight scan"), engine.begin() as conn:
        result = scan(conn, business_date(on), settings)

    console.print(msg("oversight.scan", signals=len(result.signals), held=result.held))
    if result.missing:
        console.print(msg("oversight.not_computed", names=", ".join(result.missing)))


def _review(claim_id: str, confirm: bool, reason: str, policy: str | None, actor: str | None, on: str | None) -> None:
    from services.access.actors import actor_from
    from services.access.roles import Forbidden
    from services.lookup import AmbiguousClaim, ClaimNotFound
    from services.nightly.moves import StaleClaims
    from services.oversight.holds import HoldError, review
    from states.lifecycle import IllegalTransition

    engine = ready_engine()
    try:
        with night_lease(engine, "oversight"):
            outcome = review(engine, claim_id, confirm=confirm, reason=reason, actor=actor_from(actor, "reviewer"),
                             on=business_date(on), policy=policy)
    except (HoldError, Forbidden, ClaimNotFound, AmbiguousClaim, IllegalTransition, StaleClaims) as exc:
        fail(exc)
        return

    names = ", ".join(outcome.signals)
    if confirm:
        owed = msg("oversight.owed", amount=f"{outcome.recovery:.2f}") if outcome.recovery > 0 else ""
        console.print(msg("oversight.confirmed", claim_id=outcome.claim_id, policy=outcome.policy, signals=names,
                          state=outcome.state, owed=owed))
    else:
        console.print(msg("oversight.cleared", claim_id=outcome.claim_id, policy=outcome.policy, signals=names,
                          state=outcome.state))


def clear(
    claim_id: str = typer.Argument(..., help="the claim a signal set aside"),
    reason: str = typer.Option(..., "--reason", help="what the reviewer found"),
    policy: str | None = PolicyOption,
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Clear the claim's signals as reviewer: recorded as an event; the claim moves on the next night.

    Example: claims oversight clear G001 --reason "双胞胎，身份证号不同" --actor 王复核
    """
    _review(claim_id, False, reason, policy, actor, on)


def confirm(
    claim_id: str = typer.Argument(..., help="the claim a signal set aside"),
    reason: str = typer.Option(..., "--reason", help="what the reviewer found"),
    policy: str | None = PolicyOption,
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Confirm the claim's signals as reviewer: the claim is rejected (reason signal_confirmed), any
    advance paid is to be recovered.

    Example: claims oversight confirm G001 --reason "花名册系复制" --actor 王复核
    """
    _review(claim_id, True, reason, policy, actor, on)
