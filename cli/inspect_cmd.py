"""`claims inspect`: on-site inspections (现场检查) — `record` results, `plan` which to inspect.

`claims inspect FILE` (CONTRACT.md) still records results: a first argument that is not a
sub-command is taken as `record`'s file.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from cli.common import ActorOption, OnOption, business_date, console, fail, ready_engine
from cli.lease_cmd import night_lease
from cli.lifecycle_cmd import inspect as record_command
from exports.writer import Section, UnsupportedFile, check_suffix, write_document
from intake.messages import msg
from services.oversight.sampling import REASON_ZH, REASONS, ROSTER_HEADER, make_plan, parse_rate, roster_rows


class _RecordByDefault(TyperGroup):
    """`claims inspect FILE [...]` is `claims inspect record FILE [...]`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["record", *args]
        return super().parse_args(ctx, args)


inspect_app = typer.Typer(
    cls=_RecordByDefault, no_args_is_help=True,
    help="On-site inspections (现场检查): `record FILE` (also `claims inspect FILE`) records results; "
         "`plan` chooses the classes and claims to inspect.")


def register(app: typer.Typer) -> None:
    app.add_typer(inspect_app, name="inspect")


inspect_app.command("record")(record_command)


@inspect_app.command("plan")
def plan(
    on: str | None = OnOption,
    rate: str | None = typer.Option(None, "--rate", help="random share of waiting classes, e.g. 10% "
                                    "(default: inspection.sample_rate in CLAIMS_SETTINGS; the seeds state none)"),
    seed: str | None = typer.Option(None, "--seed", help="the draw's seed (default: a new one, printed "
                                    "and written into the roster so the plan can be drawn again)"),
    policy: str | None = typer.Option(None, "--policy", help="only this policy's claims"),
    out: Path = typer.Option(Path("inspection-plan.xlsx"), "--out", help="roster template (.xlsx or .csv)"),
    chart: Path | None = typer.Option(None, "--chart", help="also draw the picks by reason (.png)"),
    waive: bool = typer.Option(False, "--waive", help="waive the on-site check of the waiting claims not drawn "
                               "(never advances); only where inspection.waive_unsampled is true (off by default)"),
    actor: str | None = ActorOption,
) -> None:
    """Choose classes and claims to inspect on --on: a random share plus risk picks (high amounts,
    a body's first class, class surges, trainees in overlapping classes), each with its reason.
    The same database, --on, --rate and --seed give the same plan. The template is filled in
    (inspected_on, inspector, result) and loaded with `claims inspect FILE`.

    With --waive (where the deployment allows it) the claims not drawn pass without a check.

    Example: claims inspect plan --on 2020-06-02 --rate 10% --seed 2020Q2 --out plan.xlsx
    """
    from services.settings import SettingsError, load_settings

    try:
        check_suffix(out)
        configured = load_settings().inspection_sample_rate
    except (UnsupportedFile, SettingsError) as exc:
        fail(exc, 2)
        return
    text = rate or configured
    if not text:
        fail(msg("cli.no_sample_rate"), 2)
        return
    try:
        share = parse_rate(text)
    except ValueError as exc:
        fail(exc, 2)
        return
    day = business_date(on)
    drawn_seed = seed or secrets.token_hex(4)
    engine = ready_engine()
    if waive:
        from services.access.actors import actor_from
        from services.oversight.waiver import WaiverError, waive_unsampled

        try:
            with night_lease(engine, "inspect plan --waive"):
                waiver = waive_unsampled(engine, load_settings(), on=day, rate=share, seed=drawn_seed,
                                         actor=actor_from(actor, "inspector"), policy=policy)
        except WaiverError as exc:
            fail(str(exc), 2)
            return
        result = waiver.plan

        console.print(msg("inspect.waived", waived=waiver.waived, kept=waiver.advances_kept))
    else:
        with engine.connect() as conn:
            result = make_plan(conn, on=day, rate=share, seed=drawn_seed, policy=policy)
    rows: list[Any] = roster_rows(result)
    write_document(out, [Section("抽查名单", ROSTER_HEADER, rows)])
    console.print(msg("inspect.plan", day=day, rate=f"{share:%}", seed=drawn_seed, picked=len(result.picks),
                      waiting=result.waiting_claims, random_classes=result.random_classes,
                      classes=result.waiting_classes, out=out))
    for reason in REASONS:
        console.print(msg("inspect.reason_count", reason=reason, reason_zh=REASON_ZH[reason],
                          count=result.count(reason)))
    if chart is not None:
        from exports.oversight_charts import bar_chart

        bar_chart([("待检查申领", result.waiting_claims), ("抽中申领", len(result.picks)),
                   *((REASON_ZH[r], result.count(r)) for r in REASONS)],
                  chart, f"现场检查抽查计划 {day}（比例{share:%}，种子{drawn_seed}）", "件")
        console.print(msg("inspect.chart", chart=chart))
