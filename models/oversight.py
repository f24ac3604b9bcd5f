"""Reference tables the oversight checks read (issue 23): dated extracts from outside registries.

- `reference_certificate`: a certificate registry extract (证书联网查询): one row per certificate
  number and extract date;
- `reference_insurance`: an unemployment-insurance extract: a person's insured months up to a date.

Created by migration 60 (models/schema.py); the handles below are for core SQL.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.money import Money
from models.tables import utcnow


class CertificateRecord(SQLModel, table=True):
    __tablename__ = "reference_certificate"
    __table_args__ = (UniqueConstraint("certificate_no", "extract_on", name="uq_refcert_no_extract"),)
    id: int | None = Field(default=None, primary_key=True)
    certificate_no: str = Field(max_length=64, index=True)
    name: str | None = Field(default=None, max_length=100)
    person_id: str = Field(max_length=18)
    occupation: str | None = Field(default=None, max_length=100)
    level: str | None = Field(default=None, max_length=32)
    issued_on: date | None = None
    issuer: str | None = Field(default=None, max_length=200)
    extract_on: date = Field(description="the date of the registry extract")
    imported_at: datetime = Field(default_factory=utcnow)


class InsuranceRecord(SQLModel, table=True):
    __tablename__ = "reference_insurance"
    __table_args__ = (UniqueConstraint("person_id", "as_of", name="uq_refins_person_asof"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=18, index=True)
    insured_months: int
    as_of: date = Field(description="the months are counted up to this date")
    imported_at: datetime = Field(default_factory=utcnow)


REF_CERTIFICATE = cast(Table, CertificateRecord.__table__)  # type: ignore[attr-defined]
REF_INSURANCE = cast(Table, InsuranceRecord.__table__)  # type: ignore[attr-defined]


class FundAccount(SQLModel, table=True):
    """专账: a budget per policy, year and region (from the settings) and what was drawn on it.
    Payments draw on the row under its lock (services/money/funds.py)."""

    __tablename__ = "fund_account"
    policy: str = Field(primary_key=True, max_length=32)
    year: int = Field(primary_key=True)
    region: str = Field(primary_key=True, max_length=6)
    budget: Decimal = Field(sa_type=Money)
    drawn: Decimal = Field(default=Decimal("0"), sa_type=Money)


FUND = cast(Table, FundAccount.__table__)  # type: ignore[attr-defined]


class ConfigSeen(SQLModel, table=True):
    """A version of the deployment's local overrides or settings as a night first saw it (issue 21):
    the next night that sees other content records it again and tells the Prefect event feed."""

    __tablename__ = "config_seen"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True, description="overrides | settings")
    source: str = Field(max_length=500, description="the file, or 'environment and defaults'")
    sha256: str = Field(max_length=64)
    content: str = Field(sa_type=Text, description="the file's text / the effective settings (JSON)")
    owner: str | None = Field(default=None, max_length=100, description="the file's owner on disk")
    business_date: date
    seen_at: datetime = Field(default_factory=utcnow)


CONFIG_SEEN = cast(Table, ConfigSeen.__table__)  # type: ignore[attr-defined]


class SignalHold(SQLModel, table=True):
    """A claim an institution signal set aside for a reviewer (issue 23): open until the reviewer
    clears it (the claim moves on the next night) or confirms it (the claim is rejected). One row
    per claim and signal: a cleared signal does not set the claim aside again."""

    __tablename__ = "signal_hold"
    __table_args__ = (UniqueConstraint("claim_pk", "signal", name="uq_signal_hold_claim_signal"),)
    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    signal: str = Field(max_length=32)
    body: str = Field(max_length=200, description="the training or evaluation body the signal is about")
    score: str = Field(max_length=16, description="the signal's score for the body (a share, 3 places)")
    detail: str = Field(max_length=400)
    raised_on: date
    status: str = Field(default="open", max_length=10, description="open, cleared or confirmed")
    reviewer: str | None = Field(default=None, max_length=100)
    reviewed_on: date | None = None
    review_reason: str | None = Field(default=None, max_length=400)


SIGNAL_HOLD = cast(Table, SignalHold.__table__)  # type: ignore[attr-defined]
