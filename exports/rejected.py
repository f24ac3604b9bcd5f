"""The rejected list: claims refused (reasons in plain Chinese) and import rows that could not
be filed (row number, field, message). Identities are masked; a row's raw content is never
shown, and identity numbers inside import messages are masked too."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from exports.labels import IMPORT_REJECTION_ZH, kind_label, label, reasons_zh, state_label
from exports.query import stream
from exports.writer import Row, Section
from intake.messages import LANGS, count, localise_stored, msg
from intake.privacy import mask_id, mask_name
from models.tables import BATCH, CLAIM, REJECTION

REFUSED_STATES: tuple[str, ...] = ("rejected", "recovery_due", "recovered")
"""recovery_due/recovered count when the claim carries reason codes (refused after an advance)"""

# 17 digits and a check character (identity number) or 18 of [0-9A-Z] (credit code).
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|[0-9A-HJ-NP-RTUWXY]{18})(?![0-9A-Za-z])")

CLAIM_HEADERS = {lang: tuple(msg("rejected.claims_header", lang).split("|")) for lang in LANGS}
IMPORT_HEADERS = {lang: tuple(msg("rejected.imports_header", lang).split("|")) for lang in LANGS}


def scrub(text: str) -> str:
    """Mask any identity number or credit code inside free text."""
    return _ID_LIKE.sub(lambda m: mask_id(m.group(0)), text)


def error_items(errors: str) -> list[tuple[str, str]]:
    """(field, message) pairs from an import rejection's stored errors: JSON (a list of
    {field, message} objects or strings, or a {field: message} object) or plain text lines
    `field: message`."""
    try:
        data: Any = json.loads(errors)
    except (ValueError, TypeError):
        data = None
    items: list[tuple[str, str]] = []
    if isinstance(data, dict):
        items = [(str(k), str(v)) for k, v in data.items()]
    elif isinstance(data, list):
        for entry in data:
            if isinstance(entry, dict):
                items.append((str(entry.get("field") or ""),
                              str(entry.get("message") or entry.get("error") or "")))
            else:
                items.append(_split_line(str(entry)))
    else:
        items = [_split_line(line) for line in str(errors).splitlines() if line.strip()]
    return [(field, scrub(message)) for field, message in items] or [("", "")]


def _split_line(line: str) -> tuple[str, str]:
    head, sep, tail = line.partition(":")
    if sep and head.strip() and " " not in head.strip():
        return head.strip(), tail.strip()
    return "", line.strip()


@dataclass
class _ClaimRows:
    engine: Engine
    lang: str
    count: int = 0

    def __iter__(self) -> Iterator[Row]:
        stmt = (
            select(CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.person_name, CLAIM.c.person_id,
                   CLAIM.c.kind, CLAIM.c.state, CLAIM.c.reasons, CLAIM.c.state_on)
            .where(CLAIM.c.state.in_(REFUSED_STATES))
            .where((CLAIM.c.state == "rejected") | (CLAIM.c.reasons != ""))
            .order_by(CLAIM.c.policy, CLAIM.c.claim_id)
        )
        for row in stream(self.engine, stmt):
            self.count += 1
            yield (self.count, row.claim_id, row.policy, mask_name(row.person_name),
                   mask_id(row.person_id), kind_label(row.kind, self.lang),
                   state_label(row.state, self.lang),
                   reasons_zh(row.reasons) if self.lang == "zh" else row.reasons,
                   row.reasons, row.state_on)

    def footer(self) -> list[Row]:
        return [(msg("rejected.total", self.lang), count(self.count, "claim", self.lang))]


@dataclass
class _ImportRows:
    engine: Engine
    lang: str
    count: int = 0

    def __iter__(self) -> Iterator[Row]:
        stmt = (
            select(BATCH.c.file_name, REJECTION.c.row_number, REJECTION.c.claim_id,
                   REJECTION.c.kind, REJECTION.c.errors)
            .join(BATCH, BATCH.c.id == REJECTION.c.batch_id)
            .order_by(REJECTION.c.batch_id, REJECTION.c.row_number, REJECTION.c.id)
        )
        for row in stream(self.engine, stmt):
            for field, message in error_items(row.errors):
                self.count += 1
                yield (self.count, row.file_name, row.row_number, scrub(row.claim_id or ""),
                       label(IMPORT_REJECTION_ZH, row.kind, self.lang), field,
                       localise_stored(message, self.lang))

    def footer(self) -> list[Row]:
        return [(msg("rejected.total", self.lang), count(self.count, "problem", self.lang))]


def rejected_sections(engine: Engine, lang: str = "zh") -> list[Section]:
    claims = _ClaimRows(engine, lang)
    imports = _ImportRows(engine, lang)
    return [
        Section(name=msg("rejected.claims_sheet", lang), header=CLAIM_HEADERS[lang],
                rows=claims, footer=claims.footer,
                preamble=[msg("rejected.claims_title", lang)],
                widths=(6, 16, 18, 10, 22, 18, 14, 50, 30, 12)),
        Section(name=msg("rejected.imports_sheet", lang), header=IMPORT_HEADERS[lang],
                rows=imports, footer=imports.footer,
                preamble=[msg("rejected.imports_title", lang)],
                widths=(6, 30, 8, 16, 18, 18, 60)),
    ]
