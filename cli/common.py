"""Options and helpers shared by commands."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from intake.messages import explain, msg
from models.db import get_engine
from models.schema import require_current

console = Console(soft_wrap=True)
"""Lines are not wrapped at the console's width: a message with a long path keeps its figures on
one line for the script, log or test reading it (a terminal still wraps what it shows)."""
err_console = Console(stderr=True, soft_wrap=True)

ActorOption = typer.Option(None, "--actor", help="who does this (default: CLAIMS_ACTOR or the OS user)")
OnOption = typer.Option(None, "--on", help="business date YYYY-MM-DD it happens on (default: today)")


def business_date(value: str | None) -> date:
    """--on / --as-of: a real date, default today (the only place `today` is read)."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(msg("cli.not_a_date", value=value)) from None


def ready_engine():  # type: ignore[no-untyped-def]
    """The configured engine, after checking the schema is current."""
    engine = get_engine()
    try:
        require_current(engine)
    except RuntimeError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return engine


def fail(message: str | BaseException, code: int = 1) -> None:
    """Print `message` (an exception: its catalogued text in the reader's language) and exit."""
    text = explain(message) if isinstance(message, BaseException) else message
    err_console.print(f"[red]{msg('cli.error')}[/red] {text}")
    raise typer.Exit(code)


class Table(RichTable):
    """A rich table whose columns wrap a long code, date or path onto the next line (fold)
    instead of cutting it to `pay_advan…` in a narrow terminal."""

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)

    def add_row(self, *cells: Any, **kwargs: Any) -> None:
        """Text cells as they are: an id, a name or a reason from a file or a clerk holding `[/x]`
        is shown, not read as rich markup (which would fail the command, or restyle the table), and
        an invisible or bidirectional character as its code (\u202e), not reversing the row.
        Styled cells are rich `Text`."""
        super().add_row(*(escape(c.translate(_SHOWN)) if isinstance(c, str) else c for c in cells), **kwargs)


_SHOWN = {code: f"\\u{code:04x}" for code in (*range(0x200B, 0x2010), *range(0x2028, 0x202F),
                                               *range(0x2066, 0x206A), 0xFEFF)}
"""zero-width and bidirectional characters, as a table shows them"""
