"""The English text of each fact a rule needs and a claim lacks (`ClaimFactsError`), keyed by the
message catalogue's id: the rules stay free of the catalogue (intake/messages.py takes these as its
English texts and adds the Chinese)."""

from __future__ import annotations

from typing import Any

FACT_EN: dict[str, str] = {
    "fact.level": "{kind} is priced by certificate level; give it",
    "fact.apprentice_type": "employee or student apprentice; give it",
    "fact.employed_on": "{kind} needs the date the job started",
    "fact.months": "work-based training is paid per month; give the months",
    "fact.days": "the living allowance is paid per training day; give the days",
    "fact.actual_allowance": "the amount is the apprentice's actual monthly allowance (学徒月实习津贴) paid up to "
                             "{ceiling} ({source}); give it",
    "fact.class_dates": "a per-day allowance is checked against the class's dates; give them",
    "fact.class_order": "the class ends before it starts",
}


def fact_text(message_id: str, **values: Any) -> str:
    """The stored (English) text of a missing fact."""
    return FACT_EN[message_id].format(**values)
