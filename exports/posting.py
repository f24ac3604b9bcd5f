"""The public posting notice (公示名单): the claims posted in a date range, as a bureau posts them.

A claim is on a window's notice when the window holds it and its history shows it was posted
on the window's opening day (the `post` event, assessed → publicly_posted): a notice
regenerated later lists what was posted that day, also a claim an upheld objection later
removed. A claim without that event in its history (rows written before events were kept) is
listed when it is still posted or went on from there (objected, approved, paid, payment
failed). Identities are masked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Select, exists, func, or_, select

from exports.dates import zh_date
from exports.labels import kind_label, level_label
from exports.query import stream
from exports.writer import Row, Section
from intake.jurisdictions import JURISDICTIONS
from intake.privacy import mask_id, mask_name
from models.tables import CLAIM, EVENT, WINDOW

POSTED_STATES: tuple[str, ...] = ("publicly_posted", "objected", "approved", "paid",
                                  "payment_failed")
CONTACT_ENV = "CLAIMS_OBJECTION_CONTACT"
DEFAULT_CONTACT = "请向受理窗口提出"
"""Product default for where to object; a deployment sets its own office and phone."""

HEADERS = {
    "zh": ("序号", "补贴领取对象", "受训人员", "身份证号码", "职业（工种）", "等级", "补贴类别",
           "补贴金额（元）"),
    "en": ("No.", "Payee", "Trainee", "ID number", "Occupation", "Level", "Subsidy kind",
           "Amount (yuan)"),
}


OFFICE_ENV = {"office": "CLAIMS_NOTICE_OFFICE", "address": "CLAIMS_NOTICE_ADDRESS",
              "phone": "CLAIMS_NOTICE_PHONE"}
"""Settings for the notice's issuing office, its address and telephone (none has a default:
a deployment states its own; a notice without them leaves the line out)."""


def notice_office() -> str | None:
    """受理单位/地址/电话 from the CLAIMS_NOTICE_* settings, or None when none is set."""
    words = {"office": "受理单位", "address": "地址", "phone": "电话"}
    parts = [f"{words[k]}：{os.environ[v].strip()}" for k, v in OFFICE_ENV.items()
             if os.environ.get(v, "").strip()]
    return "；".join(parts) + "。" if parts else None


def objection_contact() -> str:
    """Where and how to object: the CLAIMS_OBJECTION_CONTACT setting, else the default."""
    return os.environ.get(CONTACT_ENV, "").strip() or DEFAULT_CONTACT


@dataclass(frozen=True, slots=True)
class Window:
    id: int
    policy: str
    opened_on: date
    closes_on: date
    working_days: int
    claims: int


def _posted_on(opened_on: Any) -> Any:
    """The claim was posted on `opened_on` (its post event), or is posted still (no history)."""
    posted = (select(EVENT.c.id)
              .where(EVENT.c.claim_pk == CLAIM.c.id, EVENT.c.from_state == "assessed",
                     EVENT.c.to_state == "publicly_posted", EVENT.c.on == opened_on))
    return or_(CLAIM.c.state.in_(POSTED_STATES), exists(posted))


def _in_range(stmt: Select[Any], policy: str | None, date_from: date | None,
              date_to: date | None) -> Select[Any]:
    stmt = stmt.where(_posted_on(WINDOW.c.opened_on))
    if policy:
        stmt = stmt.where(WINDOW.c.policy == policy)
    if date_from:
        stmt = stmt.where(WINDOW.c.opened_on >= date_from)
    if date_to:
        stmt = stmt.where(WINDOW.c.opened_on <= date_to)
    return stmt


def posted_windows(engine: Engine, *, policy: str | None, date_from: date | None,
                   date_to: date | None) -> list[Window]:
    """The posting windows opened in the range that hold claims still on the notice."""
    stmt = (
        select(WINDOW.c.id, WINDOW.c.policy, WINDOW.c.opened_on, WINDOW.c.closes_on,
               WINDOW.c.working_days, func.count(CLAIM.c.id))
        .join(CLAIM, CLAIM.c.posting_window_id == WINDOW.c.id)
        .group_by(WINDOW.c.id, WINDOW.c.policy, WINDOW.c.opened_on, WINDOW.c.closes_on,
                  WINDOW.c.working_days)
        .order_by(WINDOW.c.policy, WINDOW.c.opened_on, WINDOW.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(_in_range(stmt, policy, date_from, date_to)).all()
    return [Window(*row) for row in rows]


def notice_title(policy: str, lang: str = "zh") -> str:
    place = JURISDICTIONS[policy].name if policy in JURISDICTIONS else policy
    if lang == "zh":
        return f"{place}职业技能提升行动补贴公示名单"
    return f"{place} vocational skills upgrading subsidies: public notice ({policy})"


def _preamble(window: Window, lang: str) -> list[str]:
    if lang != "zh":
        return [
            notice_title(window.policy, lang),
            f"Posting period: {window.opened_on} to {window.closes_on} "
            f"({window.working_days} working days)",
            f"Objections until {window.closes_on}: {objection_contact()}",
            "Names and identity numbers are partly hidden to protect personal data.",
        ]
    return [
        notice_title(window.policy, lang),
        f"公示期：{zh_date(window.opened_on)}至{zh_date(window.closes_on)}"
        f"（{window.working_days}个工作日）",
        f"异议受理：公示期内对名单有异议的，请于{zh_date(window.closes_on)}前提出，"
        f"{objection_contact()}。",
        *([office] if (office := notice_office()) else []),
        "为保护个人信息，姓名和身份证号码已部分隐去。",
    ]


def _payee(payee_type: str, payee_name: str | None, payee_id: str, person_name: str) -> str:
    if payee_type == "individual":
        return mask_name(payee_name or person_name)
    return payee_name or mask_id(payee_id)


class _Rows:
    """The notice rows of one window, streamed; counts and sums them on the way."""

    def __init__(self, engine: Engine, window: Window, lang: str) -> None:
        self.engine, self.window, self.lang = engine, window, lang
        self.count = 0
        self.total = Decimal("0.00")

    def __iter__(self) -> Iterator[Row]:
        stmt = (
            select(CLAIM.c.payee_type, CLAIM.c.payee_name, CLAIM.c.payee_id,
                   CLAIM.c.person_name, CLAIM.c.person_id, CLAIM.c.occupation, CLAIM.c.level,
                   CLAIM.c.kind, CLAIM.c.amount)
            .where(CLAIM.c.posting_window_id == self.window.id)
            .where(_posted_on(self.window.opened_on))
            .order_by(CLAIM.c.claim_id)
        )
        for row in stream(self.engine, stmt):
            amount = row.amount or Decimal("0.00")
            self.count += 1
            self.total += amount
            yield (
                self.count,
                _payee(row.payee_type, row.payee_name, row.payee_id, row.person_name),
                mask_name(row.person_name),
                mask_id(row.person_id),
                row.occupation or "",
                level_label(row.level, self.lang),
                kind_label(row.kind, self.lang),
                amount,
            )

    def footer(self) -> list[Row]:
        people = f"{self.count}人次" if self.lang == "zh" else f"{self.count} claims"
        return [("合计" if self.lang == "zh" else "Total", people, None, None, None, None, None,
                 self.total)]


def notice_sections(engine: Engine, *, policy: str | None = None, date_from: date | None = None,
                    date_to: date | None = None, lang: str = "zh") -> list[Section]:
    """One section (sheet) per posting window in the range, each with its own total."""
    sections = []
    for window in posted_windows(engine, policy=policy, date_from=date_from, date_to=date_to):
        rows = _Rows(engine, window, lang)
        place = JURISDICTIONS[window.policy].name if window.policy in JURISDICTIONS else window.policy
        name = (f"{place}{window.opened_on.year}年{window.opened_on.month}月{window.opened_on.day}日"
                if lang == "zh" else f"{window.policy} {window.opened_on.isoformat()}")
        sections.append(Section(name=name, header=HEADERS[lang], rows=rows,
                                preamble=_preamble(window, lang), footer=rows.footer,
                                widths=(6, 24, 12, 22, 18, 16, 18, 16)))
    return sections
