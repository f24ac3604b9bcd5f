"""Help summaries in the reader's language (issue 20): each command's one-line summary comes
from the message catalogue (id `help.<command path>`, `help.claims` for the top), in Chinese by
default and in English with `claims --lang en` or CLAIMS_LANG=en. A command's own --help keeps
its docstring (details, column lists, examples) under the summary; in English the docstring's own
first paragraph is the summary."""

from __future__ import annotations

import inspect
from typing import Any

from intake.messages import MESSAGES, current_lang, msg


def help_id(path: tuple[str, ...]) -> str:
    return "help." + ".".join(path) if path else "help.claims"


def commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command of the tree under `command` with its path (the top's is ())."""
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += commands(sub, (*path, name))
    return found


def localise(command: Any, lang: str | None = None) -> None:
    """Set each command's summary (its listing line and the first paragraph of its help) from
    the catalogue; a command without an id keeps its docstring."""
    for path, each in commands(command):
        if help_id(path) not in MESSAGES:
            continue
        summary = msg(help_id(path), lang)
        each.short_help = summary
        if (lang or current_lang()) != "en":
            written = inspect.cleandoc(each.help or "")
            each.help = summary + (f"\n\n{written}" if written else "")
        for param in getattr(each, "params", []):
            if param.name == "lang" and not path:
                param.help = msg("cli.lang_option", lang)
