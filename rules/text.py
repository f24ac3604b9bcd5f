"""How a code typed by people is read, wherever it is typed: a claim file, a registry extract, the
deployment's overrides. Owned by rules (the overrides are read here); intake uses the same."""

from __future__ import annotations

import re
import unicodedata

HIDDEN = re.compile("[\t\n\r\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
"""Line breaks, tabs and invisible characters (zero-width, bidirectional overrides): a one-line text
holding one reads differently from what is stored, so it is refused."""
INVISIBLE = re.compile("[\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
"""Zero-width and bidirectional characters: what even a free text (a note, a reason) may not hold."""


def half_width(value: str) -> str:
    """Full-width digits, letters and signs (１２３, －, ／) as their ASCII forms (NFKC)."""
    return value if value.isascii() else unicodedata.normalize("NFKC", value).strip()


def folded_code(value: str) -> str:
    """An identity number or credit code as every comparison sees it: half-width, no spaces, upper
    case (a registry's 123x and a claim's 123X are one person)."""
    return half_width(value).replace(" ", "").upper()
