"""`claims template`: blank, documented import templates for district offices (issue 20)."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import console, err_console
from intake.messages import msg


def register(app: typer.Typer) -> None:
    def template(
        out: Path = typer.Option(Path("申报模板.xlsx"), "--out", help="the .xlsx file to write"),
        kind: str = typer.Option("claims", "--kind",
                                 help="claims (申报), inspections (现场检查), completions (结业考核) "
                                      "or bank (银行回单)"),
    ) -> None:
        """Write a blank import template (.xlsx): Chinese column names with a comment per column
        (meaning and English field name), ID and account columns as text, drop-downs for codes,
        and a sheet 填表说明 explaining each field. The filled template imports without edits.

        Example: claims template --out 申报模板.xlsx ; claims template --kind inspections --out 检查.xlsx
        """
        from exports.template import TEMPLATES, write_template

        if kind not in TEMPLATES:
            err_console.print(msg("cli.template_kind", choices=", ".join(TEMPLATES)))
            raise typer.Exit(2)
        if out.suffix.lower() != ".xlsx":
            err_console.print(msg("cli.template_out"))
            raise typer.Exit(2)
        write_template(out, kind)
        console.print(msg("export.written", path=out))

    app.command()(template)
