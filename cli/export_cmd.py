"""`claims export posting|payments|rejected` and `claims report targets|summary`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.common import business_date, console, err_console, fail, ready_engine
from exports.charts import FontMissing
from exports.payments import batch_sections, batch_totals
from exports.posting import notice_sections, posted_windows
from exports.rejected import rejected_sections
from exports.summary_report import write_summary_report
from exports.target_report import write_targets_report
from exports.targets import NoTargetTable
from exports.writer import Section, UnsupportedFile, check_suffix, write_document
from intake.messages import count, msg
from rules.record import POLICIES

export_app = typer.Typer(help="Files for the bureau: posting notice, payment batch, rejected list.\n\n"
                         "Example: claims export posting --policy huludao-2019 --out 公示.xlsx",
                         no_args_is_help=True)
report_app = typer.Typer(help="Reports: progress against the seed's targets, quarterly/annual "
                         "summary.\n\nExample: claims report targets --out 目标进度.xlsx",
                         no_args_is_help=True)

LangOption = typer.Option("zh", "--lang", help="language of headers and labels: zh or en "
                          "(codes stay English in data)")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(report_app, name="report")


def _lang(value: str) -> str:
    if value not in ("zh", "en"):
        raise typer.BadParameter(msg("cli.lang_choice"))
    return value


def _policy(value: str | None) -> str | None:
    if value is not None and value not in POLICIES:
        raise typer.BadParameter(msg("cli.unknown_policy", value=value, choices=", ".join(POLICIES)))
    return value


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(msg("cli.named_not_a_date", name=name, value=value)) from None


@contextmanager
def _progress(label: str, total: int | None) -> Any:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        advance: Callable[[int], None] = lambda n: bar.advance(task, n)  # noqa: E731
        yield advance


def _write(out: Path, sections: Sequence[Section], label: str, total: int | None) -> None:
    try:
        check_suffix(out)
    except UnsupportedFile as exc:
        fail(exc)
    with _progress(label, total) as advance:
        write_document(out, sections, progress=advance)


@export_app.command("posting")
def posting(
    out: Path = typer.Option(..., "--out", help="file to write: .xlsx or .csv"),
    policy: str | None = typer.Option(None, "--policy", help="only this policy"),
    date_from: str | None = typer.Option(None, "--from", help="first posting day YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="last posting day YYYY-MM-DD"),
    lang: str = LangOption,
) -> None:
    """The public posting notice (公示名单), identities masked.

    Claims posted in windows opened between --from and --to; one sheet per posting window
    with its period, where to object, and its total.

    Where to object comes from CLAIMS_OBJECTION_CONTACT (default: 请向受理窗口提出).

    Example: claims export posting --policy huludao-2019 --from 2020-06-01 --to 2020-06-30 --out notice.xlsx
    """
    lang, policy = _lang(lang), _policy(policy)
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    engine = ready_engine()
    windows = posted_windows(engine, policy=policy, date_from=first, date_to=last)
    if not windows:
        fail(msg("cli.no_postings"))
    sections = notice_sections(engine, policy=policy, date_from=first, date_to=last, lang=lang)
    _write(out, sections, "公示名单", sum(w.claims for w in windows))
    console.print(msg("export.posting_written", path=out, claims=count(sum(w.claims for w in windows), "claim"),
                      windows=count(len(windows), "window")), markup=False)


@export_app.command("payments")
def payments(
    out: Path = typer.Option(..., "--out", help="file to write: .xlsx or .csv"),
    day: str | None = typer.Option(None, "--date", help="business date YYYY-MM-DD (default today)"),
    lang: str = LangOption,
) -> None:
    """The day's payment batch for the finance bureau (full bank accounts and ID numbers).

    The rows of the batches sealed that day, as the bank's files carry them (payee name, ID number,
    account and bank as each order stored them), then orders not yet in a batch; payee type in
    Chinese, amount, reference, kind, claim, policy, status and batch, with totals per kind, per
    batch and overall; failed and voided orders are left out, recoveries due that day have their
    own sheet.

    Example: claims export payments --date 2020-06-12 --out batch-2020-06-12.xlsx
    """
    lang = _lang(lang)
    on = business_date(day)
    engine = ready_engine()
    totals = batch_totals(engine, on)
    n = sum(c for c, _ in totals.values())
    _write(out, batch_sections(engine, on, lang), "拨付清单", n)
    amount = sum((a for _, a in totals.values()), Decimal("0.00"))
    per_kind = ", ".join(f"{k} {c} = {a}" for k, (c, a) in sorted(totals.items())) \
        or msg("export.none")
    console.print(msg("export.payments_written", path=out, payments=count(n, "payment"), day=on,
                      amount=amount, per_kind=per_kind), markup=False)
    if not n:
        console.print(f"[yellow]{escape(msg('export.no_payments', day=on))}[/yellow]")


@export_app.command("rejected")
def rejected(
    out: Path = typer.Option(..., "--out", help="file to write: .xlsx or .csv"),
    lang: str = LangOption,
) -> None:
    """Rejected claims and rejected import rows, reasons in plain Chinese.

    Claims with their reasons; import rows with file, row number, field and message.
    Identities are masked.

    Example: claims export rejected --out rejected.xlsx
    """
    lang = _lang(lang)
    engine = ready_engine()
    _write(out, rejected_sections(engine, lang), "不予补贴名单", None)
    console.print(msg("export.written", path=out), markup=False)


@report_app.command("targets")
def targets(
    policy: str = typer.Option(..., "--policy", help="policy id, e.g. huludao-2019"),
    year: int = typer.Option(..., "--year", help="report year; span tables count up to it"),
    out: Path = typer.Option(..., "--out", help="directory for targets.xlsx and targets.png"),
    lang: str = LangOption,
) -> None:
    """Progress against the seed's target table: DIR/targets.xlsx and DIR/targets.png.

    Laid out as the seed lays it out, in 人次: trainings subsidised, claims paid, money paid,
    % of target. Tables spanning several years count up to --year.

    Example: claims report targets --policy huludao-2019 --year 2019 --out reports/
    """
    lang, checked = _lang(lang), _policy(policy)
    engine = ready_engine()
    try:
        xlsx, png, progress = write_targets_report(engine, policy=str(checked), year=year,
                                                   out_dir=out, lang=lang)
    except (NoTargetTable, FontMissing) as exc:
        fail(exc)
        return
    for tp in progress:
        pct = f"{tp.total.percent}%" if tp.total.percent is not None else msg("export.target_not_stated")
        console.print(msg("export.target_progress", title=tp.table.title_zh, subsidised=tp.total.subsidised,
                          target=tp.total.target, percent=pct))
    console.print(msg("export.written_two", path=xlsx, chart=png), markup=False)


@report_app.command("summary")
def summary(
    date_from: str = typer.Option(..., "--from", help="first filing day YYYY-MM-DD"),
    date_to: str = typer.Option(..., "--to", help="last filing day YYYY-MM-DD"),
    out: Path = typer.Option(..., "--out", help="directory for summary.xlsx and summary.png"),
    lang: str = LangOption,
) -> None:
    """The quarterly / annual report (季报、年报): DIR/summary.xlsx and DIR/summary.png.

    Claims filed in the period by state and as a funnel, money by policy and kind, advances
    and recoveries outstanding.

    Example: claims report summary --from 2020-01-01 --to 2020-03-31 --out reports/2020Q1
    """
    lang = _lang(lang)
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    assert first is not None and last is not None
    if last < first:
        fail(msg("cli.to_before_from"), 2)
    engine = ready_engine()
    try:
        xlsx, png, figures = write_summary_report(engine, date_from=first, date_to=last,
                                                  out_dir=out, lang=lang)
    except FontMissing as exc:
        fail(exc)
        return
    console.print(msg("export.summary_written", claims=count(figures.claims, "claim"), first=first, last=last,
                      path=xlsx, chart=png), markup=False)
