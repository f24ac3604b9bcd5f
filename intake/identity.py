"""Check characters of the two national identifiers a claim carries.

- 居民身份证号码 (GB 11643-1999): 17 digits (6 region, 8 birth date, 3 sequence) and an
  ISO 7064 MOD 11-2 check digit, `X` standing for 10.
- 统一社会信用代码 (GB 32100-2015): 17 characters from a 31-character alphabet and an
  ISO 7064 MOD 31-3 check character.

The generators make valid numbers for tests, the demo and the benchmark.
"""

from __future__ import annotations

import random
from datetime import date
from functools import lru_cache
from operator import mul

from intake.messages import msg

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714 organisation code (positions 9-17 of a credit code): 8 characters + check.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_REMEMBERED = 1 << 14
"""Identity numbers whose birth date a process remembers: `identity_problem` reads it, then
intake/validate.py compares it with the filing date. (The checks themselves are remembered
once, by intake/validate.py.)"""

EARLIEST_BIRTH = date(1900, 1, 1)


def id_check_digit(first17: str) -> str:
    """The check digit of 17 ASCII digits: the weighted sum of GB 11643 mod 11. Its weights
    are 2^17 … 2^1 mod 11 (`_ID_WEIGHTS`), and 13 ≡ 2 (mod 11), so the sum is 2 × the digits
    read as a base-13 number (mod 11): one conversion in C instead of 17."""
    return _ID_CHECK[2 * int(first17, 13) % 11]


def identity_problem(value: str) -> str | None:
    """Why `value` is not a valid resident identity number, or None when it is."""
    if len(value) != 18:
        return msg("row.id_length", "en", length=len(value))
    body, check = value[:17], value[17]
    if not body.isascii() or not body.isdigit() or not (check.isdigit() or check == "X"):
        return msg("row.id_digits", "en")
    born = birth_date(value)
    if born is None:
        return msg("row.id_birth_unreal", "en", born=f"{body[6:10]}-{body[10:12]}-{body[12:14]}")
    if born < EARLIEST_BIRTH:
        return msg("row.id_birth_early", "en", born=born.isoformat())
    if id_check_digit(body) != check:
        return msg("row.id_check", "en")
    return None


@lru_cache(maxsize=_REMEMBERED)
def birth_date(value: str) -> date | None:
    """The birth date an identity number carries (characters 7-14), None when not a date."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def credit_check_char(first17: str) -> str:
    total = sum(map(mul, map(_CREDIT_VALUE.__getitem__, first17), _CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(value: str) -> str | None:
    """Why `value` is not a valid unified social credit code, or None when it is."""
    if len(value) != 18:
        return msg("row.id_length", "en", length=len(value))
    bad = sorted({ch for ch in value if ch not in _CREDIT_VALUE})
    if bad:
        return msg("row.credit_chars", "en", chars=repr("".join(bad)))
    if not value[2:8].isdigit():
        return msg("row.credit_region", "en")
    if credit_check_char(value[:17]) != value[17]:
        return msg("row.credit_check", "en")
    return None


def make_person_id(region6: str, birth: date, seq: int) -> str:
    """A valid identity number for `region6`, `birth` and sequence 0..999."""
    if len(region6) != 6 or not region6.isdigit() or not 0 <= seq <= 999:
        raise ValueError("region6 must be 6 digits and seq within 0..999")
    body = f"{region6}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_digit(body)


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_credit_code(seed: int, region6: str = "211402") -> str:
    """A valid credit code for an enterprise (类别 91), deterministic in `seed`."""
    rng = random.Random(seed)
    body = "91" + region6 + _org_code(rng)
    return body + credit_check_char(body)
