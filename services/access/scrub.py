"""Text bound for logs and artifacts: long digit runs (identity numbers, bank accounts) masked.

A safety net for messages we do not compose ourselves (database errors quote the values of the
row they refused); what we compose names claims by claim id only.
"""

from __future__ import annotations

import re

from intake.privacy import mask_id

_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{11,}[0-9Xx]?(?![0-9A-Za-z])")


def scrub(text: str) -> str:
    return _LONG_NUMBER.sub(lambda m: mask_id(m.group(0)), text)
