"""`claims reference import`: dated extracts of the certificate registry and insurance records."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from cli.common import business_date, console, fail, ready_engine
from intake.messages import explain, localise_stored, msg
from services.oversight.reference import import_certificates, import_insurance

reference_app = typer.Typer(help="Reference extracts the assessment checks claims against "
                                 "(证书联网查询, 参保记录).\n\n"
                                 "Example: claims reference import registry.xlsx --kind certificates "
                                 "--extract-on 2020-06-01", no_args_is_help=True)


class Kind(StrEnum):
    certificates = "certificates"
    insurance = "insurance"


def register(app: typer.Typer) -> None:
    app.add_typer(reference_app, name="reference")


@reference_app.command("import")
def import_reference(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV/XLSX/JSONL extract"),
    kind: Kind = typer.Option(..., "--kind", help="certificates: 证书编号, 姓名, 身份证号, 职业, 等级, 发证日期, "
                              "发证机构; insurance: 身份证号, 参保月数, 截至日期"),
    extract_on: str = typer.Option(..., "--extract-on", help="the date the extract was taken (YYYY-MM-DD); "
                                   "insurance rows without 截至日期 count up to it"),
) -> None:
    """Load an extract as dated reference rows; the same row again changes nothing. From then on the
    nightly assessment checks each claim's certificate and insured months against them, with reason
    codes (certificate_not_in_registry, certificate_mismatch, insured_months_not_confirmed).

    Example: claims reference import registry.xlsx --kind certificates --extract-on 2020-06-01
    """
    from intake.readers import UnreadableFile, read_rows

    day = business_date(extract_on)
    engine = ready_engine()
    try:
        rows = list(read_rows(file))
    except UnreadableFile as exc:
        fail(f"{file}: {explain(exc)}")
        return
    load = import_certificates if kind is Kind.certificates else import_insurance
    report = load(engine, rows, extract_on=day)
    console.print(msg("refcli.summary", kind=msg(f"refcli.{kind.value}"), day=day, rows=report.rows,
                      added=report.added, unchanged=report.unchanged, rejected=len(report.problems)))
    for number, problem in report.problems[:50]:
        shown = msg("release.list_separator").join(localise_stored(part) for part in problem.split("; "))
        console.print(msg("refcli.row", number=number, problem=shown), markup=False)
    if report.problems:
        raise typer.Exit(1)
