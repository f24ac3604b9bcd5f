"""The simulated calendar of a benchmark run: which business day brings what.

D0 (after the May Day holidays of 2020): the backlog is imported, the inspection roster recorded
and the first night runs; D0+1 the completion roster for the advance classes; D0+2 objections to
posted claims; D0+3 their review. Every calendar day has its night until all claims are settled.
"""

from __future__ import annotations

from datetime import date, timedelta

IMPORT_DAY = date(2020, 5, 6)
COMPLETION_DAY = IMPORT_DAY + timedelta(days=1)
OBJECTION_DAY = IMPORT_DAY + timedelta(days=2)
REVIEW_DAY = IMPORT_DAY + timedelta(days=3)
MAX_NIGHTS = 40

SETTLED_STATES: tuple[str, ...] = ("paid", "rejected", "withdrawn", "recovered", "recovery_due")
"""Nothing is left for the product to do: final, or money owed back that only the payee's
repayment (recorded with `claims recovered`) can move on."""


def nights() -> list[date]:
    return [IMPORT_DAY + timedelta(days=k) for k in range(MAX_NIGHTS)]
