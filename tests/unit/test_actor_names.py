"""Actor names are compared NFKC-normalised and trimmed."""

from __future__ import annotations

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
