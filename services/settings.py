"""Product settings: how the product runs, as opposed to policy parameters from the seeds.

The seeds fix no posting-window length, chunk size or payment route; these are the product's
own defaults, documented in docs/lifecycle.md and changed per deployment by a YAML file named
in CLAIMS_SETTINGS and/or single environment variables (which win over the file):

    posting_window:                 # 公示期, in working days on China's holiday calendar
      working_days: 5               # CLAIMS_POSTING_WORKING_DAYS
      by_policy: {nanxun-2019: 7}
    chunk_size: 5000                # claims per partition; CLAIMS_CHUNK_SIZE
    sql_partition_factor: 10        # steps whose usual moves are written in SQL take partitions this many
                                    # times chunk_size (they hold no claims in Python); CLAIMS_SQL_PARTITION_FACTOR
    inspection:
      required: true                # CLAIMS_INSPECTION_REQUIRED (true/false)
      not_required:                 # exceptions: policy -> kinds ("*" = every policy/kind)
        ordos-2019: [employment_service]
      sample_rate: 10%              # claims inspect plan's random share; CLAIMS_INSPECTION_SAMPLE_RATE (no default)
      waive_unsampled: false        # claims inspect plan --waive waives the on-site check of claims not drawn
                                    # (off: Huludao makes 培训过程现场检查 a control); CLAIMS_INSPECTION_WAIVE_UNSAMPLED
    oversight:                      # institution signals (claims report oversight, the night's set-aside)
      age_min: <years>              # implausible_age: below this age on the first training day (no default)
      age_max: <years>              # implausible_age: above it (no default: retirement ages change)
      surge_ratio: <ratio>          # class_surge / certificate_surge: more than ratio x the largest earlier
    funds:                          # 专账 budget per policy, year, region (元); none = unlimited
      huludao-2019: {2020: {"211402": <yuan>}}   # the seeds name the fund (专账), not its size
    payment:
      channel: file                 # file | failing; CLAIMS_PAYMENT_CHANNEL
      dir: ./payments               # CLAIMS_PAYMENT_DIR (the file channel's batches)
      fail_keys: []                 # failing channel only; CLAIMS_PAYMENT_FAIL_KEYS (comma, globs)
      approval:                     # a named approver releases each batch (claims approve); on by default
        required: true              # CLAIMS_PAYMENT_APPROVAL_REQUIRED (default true)
        by_policy: {huludao-2019: false}   # overrides per policy
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

DEFAULT_POSTING_WORKING_DAYS = 5
DEFAULT_CHUNK_SIZE = 5000
DEFAULT_SQL_PARTITION_FACTOR = 10
"""A step that writes its usual moves in SQL (apply_inspections, post, close_postings, pay_due) reads
only its unusual claims into Python, so its transaction can be larger: one partition of 50,000 claims
instead of ten of 5,000 writes each page of the claim table once, where ten write it up to ten times
(the claims of a person_key range are spread over the whole table). docs/performance.md."""
DEFAULT_PAYMENT_DIR = "payments"
ANY = "*"


def chunk_size() -> int:
    """Claims (or rows) per chunk: one transaction, one bulk read and write. The one chunk-size
    setting (`chunk_size`, CLAIMS_CHUNK_SIZE) for nights, retries, rosters, reconcile, audit and exports."""
    return load_settings().chunk_size


class SettingsError(ValueError):
    """A settings file or variable that cannot be used, named."""


@dataclass(frozen=True)
class Settings:
    posting_working_days: int = DEFAULT_POSTING_WORKING_DAYS
    posting_by_policy: Mapping[str, int] = field(default_factory=dict)
    chunk_size: int = DEFAULT_CHUNK_SIZE
    sql_partition_factor: int = DEFAULT_SQL_PARTITION_FACTOR
    inspection_required: bool = True
    inspection_not_required: Mapping[str, frozenset[str]] = field(default_factory=dict)
    inspection_sample_rate: str | None = None
    inspection_waive_unsampled: bool = False
    oversight_age_min: int | None = None
    oversight_age_max: int | None = None
    oversight_surge_ratio: Decimal | None = None
    fund_budgets: Mapping[tuple[str, int, str], Decimal] = field(default_factory=dict)
    """(policy, year, region) -> budget in yuan (funds: {policy: {year: {region: amount}}}); none = unlimited"""
    """`claims inspect plan`'s random share (e.g. "10%"); the seeds state none, so none by default"""
    payment_approval_required: bool = True
    payment_approval_by_policy: Mapping[str, bool] = field(default_factory=dict)
    payment_channel: str = "file"
    payment_dir: Path = Path(DEFAULT_PAYMENT_DIR)
    payment_fail_keys: tuple[str, ...] = ()
    source: str = "defaults"

    def posting_days(self, policy: str) -> int:
        return int(self.posting_by_policy.get(policy, self.posting_working_days))

    def needs_inspection(self, policy: str, kind: str) -> bool:
        for key in (policy, ANY):
            kinds = self.inspection_not_required.get(key, frozenset())
            if kind in kinds or ANY in kinds:
                return False
        return self.inspection_required

    def needs_payment_approval(self, policy: str) -> bool:
        """Whether a named approver must release the day's batch before it is paid (roles: approver)."""
        return bool(self.payment_approval_by_policy.get(policy, self.payment_approval_required))

    def exempt_pairs(self) -> list[tuple[str, str]]:
        """(policy, kind) pairs that pass without inspection; '*' matches anything."""
        if not self.inspection_required:
            return [(ANY, ANY)]
        return [(p, k) for p, kinds in self.inspection_not_required.items() for k in sorted(kinds)]


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    source = "defaults"
    path = env.get("CLAIMS_SETTINGS")
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise SettingsError(f"CLAIMS_SETTINGS={path}: cannot read it ({exc})") from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"CLAIMS_SETTINGS={path}: the file must hold a mapping")
        data, source = loaded, path
    posting = _section(data, "posting_window")
    inspection = _section(data, "inspection")
    payment = _section(data, "payment")
    oversight = _section(data, "oversight")
    approval = _section(payment, "approval")
    settings = Settings(
        posting_working_days=_positive(
            env.get("CLAIMS_POSTING_WORKING_DAYS", posting.get("working_days", DEFAULT_POSTING_WORKING_DAYS)),
            "posting_window.working_days"),
        posting_by_policy={str(p): _positive(n, f"posting_window.by_policy.{p}")
                           for p, n in (posting.get("by_policy") or {}).items()},
        chunk_size=_positive(env.get("CLAIMS_CHUNK_SIZE", data.get("chunk_size", DEFAULT_CHUNK_SIZE)),
                             "chunk_size"),
        sql_partition_factor=_positive(env.get("CLAIMS_SQL_PARTITION_FACTOR",
                                               data.get("sql_partition_factor", DEFAULT_SQL_PARTITION_FACTOR)),
                                       "sql_partition_factor"),
        inspection_required=_bool(env.get("CLAIMS_INSPECTION_REQUIRED", inspection.get("required", True)),
                                  "inspection.required"),
        inspection_not_required={str(p): frozenset(_list(kinds)) for p, kinds in
                                 (inspection.get("not_required") or {}).items()},
        inspection_sample_rate=(str(env.get("CLAIMS_INSPECTION_SAMPLE_RATE", inspection.get("sample_rate")) or "")
                                or None),
        inspection_waive_unsampled=_bool(env.get("CLAIMS_INSPECTION_WAIVE_UNSAMPLED",
                                                 inspection.get("waive_unsampled", False)),
                                         "inspection.waive_unsampled"),
        oversight_age_min=_optional_positive(oversight.get("age_min"), "oversight.age_min"),
        oversight_age_max=_optional_positive(oversight.get("age_max"), "oversight.age_max"),
        oversight_surge_ratio=_ratio(oversight.get("surge_ratio")),
        fund_budgets=_budgets(data.get("funds") or {}),
        payment_channel=str(env.get("CLAIMS_PAYMENT_CHANNEL", payment.get("channel", "file"))),
        payment_dir=Path(env.get("CLAIMS_PAYMENT_DIR", payment.get("dir", DEFAULT_PAYMENT_DIR))),
        payment_approval_required=_bool(
            env.get("CLAIMS_PAYMENT_APPROVAL_REQUIRED", approval.get("required", True)), "payment.approval.required"),
        payment_approval_by_policy={str(p): _bool(v, f"payment.approval.by_policy.{p}")
                                    for p, v in (approval.get("by_policy") or {}).items()},
        payment_fail_keys=tuple(_list(env.get("CLAIMS_PAYMENT_FAIL_KEYS", payment.get("fail_keys", [])))),
        source=source,
    )
    if settings.payment_channel not in ("file", "failing"):
        raise SettingsError(f"payment.channel: {settings.payment_channel!r} is not file or failing")
    return settings


def _budgets(raw: Any) -> dict[tuple[str, int, str], Decimal]:
    """funds: {policy: {year: {region: yuan}}} -> {(policy, year, region): Decimal yuan}."""
    if not isinstance(raw, Mapping):
        raise SettingsError("funds: a mapping of policy -> year -> region -> budget (元)")
    out: dict[tuple[str, int, str], Decimal] = {}
    for policy, years in raw.items():
        for year, regions in (years or {}).items():
            for region, amount in (regions or {}).items():
                try:
                    value = Decimal(str(amount)).quantize(Decimal("0.01"))
                except ArithmeticError:
                    raise SettingsError(f"funds.{policy}.{year}.{region}: {amount!r} is not an amount") from None
                if value < 0:
                    raise SettingsError(f"funds.{policy}.{year}.{region}: a budget cannot be negative")
                out[(str(policy), int(year), str(region))] = value
    return out


def _optional_positive(value: Any, name: str) -> int | None:
    return None if value is None or str(value).strip() == "" else _positive(value, name)


def _ratio(value: Any) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        ratio = Decimal(str(value))
    except ArithmeticError:
        raise SettingsError(f"oversight.surge_ratio: {value!r} is not a number") from None
    if not ratio.is_finite() or ratio < 1:
        raise SettingsError(f"oversight.surge_ratio: must be at least 1, not {value}")
    return ratio


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name) or {}
    if not isinstance(value, Mapping):
        raise SettingsError(f"{name}: must be a mapping")
    return value


def _positive(value: Any, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise SettingsError(f"{name}: {value!r} is not a whole number") from None
    if number < 1:
        raise SettingsError(f"{name}: must be at least 1, not {number}")
    return number


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是"):
        return True
    if text in ("false", "0", "no", "否"):
        return False
    raise SettingsError(f"{name}: {value!r} is not true or false")


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or []]
