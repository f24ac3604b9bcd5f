"""The CLI's tables fold a long code or date onto the next line instead of cutting it (issue 20)."""

from __future__ import annotations

from rich.console import Console

from cli.common import Table


def test_a_narrow_table_keeps_every_character_of_a_code() -> None:
    table = Table("policy", "step", "reason")
    table.add_row("huludao-2019", "pay_advances", "advance_not_payable: no class filing number")
    console = Console(width=40, record=True, color_system=None)
    console.print(table)
    output = console.export_text()
    assert "…" not in output
    lines = [line.split("│") for line in output.splitlines() if line.count("│") == 4]
    columns = ["".join(cells[i].strip() for cells in lines) for i in (1, 2)]
    assert columns == ["huludao-2019", "pay_advances"]


def test_cells_from_files_and_clerks_are_text_not_markup() -> None:
    """A reason or id holding `[/x]` would make rich raise MarkupError (`claims show` broken for
    that claim for good); `[bold]` would restyle the table."""
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    from cli.common import Table

    table = Table("reason", "total")
    table.add_row("退回[/x]", Text("9", style="bold"))
    table.add_row("G1[bold]x", "")
    out = StringIO()
    Console(file=out, width=60, color_system=None).print(table)
    assert "退回[/x]" in out.getvalue() and "G1[bold]x" in out.getvalue()


def test_a_bidirectional_character_is_shown_by_its_code() -> None:
    from io import StringIO

    from rich.console import Console

    from cli.common import Table

    table = Table("claim_id")
    table.add_row("G1\u202e2")
    out = StringIO()
    Console(file=out, width=40, color_system=None).print(table)
    assert "G1\\u202e2" in out.getvalue() and "\u202e" not in out.getvalue()
