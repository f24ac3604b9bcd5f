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
