"""Actor names are compared NFKC-normalised and trimmed."""

from __future__ import annotations

import re

import pytest

from services.access.actors import Actor, normalise


@pytest.mark.parametrize("raw", ["王会计 ", " 王会计", "王会计\u3000", "\t王会计\n"])
def test_padded_names_are_one_person(raw: str) -> None:
    assert Actor(raw, "clerk").name == "王会计"


def test_full_width_letters_fold_to_ascii() -> None:
    assert normalise("ＡＤＭＩＮ１") == "ADMIN1"
    assert Actor("ＡＤＭＩＮ１", "admin") == Actor("ADMIN1", "admin")


def test_a_name_of_spaces_only_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        Actor("\u3000 ", "clerk")


@pytest.mark.parametrize(("raw", "said"), [
    ("王会计\u200b", "U+200B"), ("王\u202e会计", "U+202E"), ("李" * 101, "at most 100"), ("=HYPERLINK(1)", "formula")])
def test_a_name_no_record_may_hold_is_refused(raw: str, said: str) -> None:
    """A zero-width space would make another person to the segregation checks, shown the same in
    every history; 101 characters would fail the command's first write on PostgreSQL."""
    from services.access.actors import ACTOR_LIMIT, ActorNameError

    with pytest.raises(ActorNameError, match=re.escape(said)):
        Actor(raw, "clerk")
    assert Actor("李" * ACTOR_LIMIT, "clerk").name == "李" * ACTOR_LIMIT


def test_the_limit_is_every_actor_column() -> None:
    from models.tables import EVENT
    from services.access.actors import ACTOR_LIMIT

    assert EVENT.c.actor.type.length == ACTOR_LIMIT  # type: ignore[attr-defined]


def test_the_command_says_so_as_a_usage_error() -> None:
    from cli.errors import USAGE, classify
    from services.access.actors import ActorNameError

    with pytest.raises(ActorNameError) as refused:
        Actor("王会计\u200b", "clerk")
    code, said = classify(refused.value)
    assert code == USAGE and "U+200B" in said and "意外" not in said and "unexpected" not in said
