"""Fraud checks the assessment makes beyond one person's caps (严格资金监管, 虚假培训套取骗取).

- The same certificate number granted to another person (`duplicate_certificate`): the rules
  engine sees only the person's own grants, so the assess step asks the database once per chunk
  for other persons' grants holding the chunk's certificate numbers.
- One person in two classes at overlapping times (`fraud`): a claim whose class dates overlap a
  granted claim of the same person in another class.

Each finding is a `Finding` with its reason code, the seed clause ordering the supervision, and a
plain-language message; the assess step refuses the claim with it (recovering any advance).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from models.tables import CLAIM
from rules.decision import Grant
from services.nightly.grants import granted_clause

SUPERVISION_CLAUSE: dict[str, str] = {
    "huludao-2019": "000_024512f998c4ead0.txt 四(十二)",
    "heilongjiang-2019": "001_ee879c1017401fad.txt 附件1 第25项",
    "nanxun-2019": "002_726346298f4f3b50.txt 四(三)",
    "zhumadian-2019": "003_af086d0a8329b243.txt 二(三)3",
    "ordos-2019": "004_f9282158eb6a007b.txt 四(三)",
}
"""The clause of each seed that orders strict fund supervision and punishing 虚假培训 套取、骗取."""


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    citation: str | None
    message: str


class CertificateHolders:
    """Who holds each certificate number among granted claims: the database's answer for the
    chunk's numbers, plus the grants this chunk makes as it goes."""

    def __init__(self, conn: Connection, rows: Sequence[Any]) -> None:
        self._holders: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        numbers = sorted({r.certificate_no for r in rows if r.certificate_no})
        for start in range(0, len(numbers), 1000):
            found = conn.execute(
                select(CLAIM.c.certificate_no, CLAIM.c.person_id, CLAIM.c.policy, CLAIM.c.claim_id)
                .where(CLAIM.c.certificate_no.in_(numbers[start:start + 1000]), granted_clause()))
            for number, person, policy, claim_id in found:
                self._holders[number].append((person, policy, claim_id))

    def granted(self, row: Any) -> None:
        if row.certificate_no:
            self._holders[row.certificate_no].append((row.person_id, row.policy, row.claim_id))

    def other_holder(self, row: Any) -> tuple[str, str] | None:
        """(policy, claim_id) of another person's granted claim with this certificate number."""
        for person, policy, claim_id in self._holders.get(row.certificate_no or "", ()):
            if person != row.person_id:
                return policy, claim_id
        return None


def overlapping_class(row: Any, history: Iterable[Grant]) -> Grant | None:
    """A granted claim of the same person in another class whose dates overlap this claim's."""
    if not (row.class_id and row.training_start and row.training_end):
        return None
    for grant in history:
        if (grant.class_id and grant.class_id != row.class_id and grant.training_start and grant.training_end
                and grant.training_start <= row.training_end and row.training_start <= grant.training_end):
            return grant
    return None


def findings(row: Any, history: Iterable[Grant], holders: CertificateHolders) -> list[Finding]:
    found: list[Finding] = []
    other = holders.other_holder(row)
    if other is not None:
        found.append(Finding("duplicate_certificate", SUPERVISION_CLAUSE.get(row.policy),
                             f"certificate {row.certificate_no} was already granted to another person "
                             f"(claim {other[1]} under {other[0]})"))
    clash = overlapping_class(row, history)
    if clash is not None:
        found.append(Finding("fraud", SUPERVISION_CLAUSE.get(row.policy),
                             f"class {row.class_id} ({row.training_start}..{row.training_end}) overlaps class "
                             f"{clash.class_id} ({clash.training_start}..{clash.training_end}) of claim "
                             f"{clash.claim_id}: one person cannot attend both"))
    return found
