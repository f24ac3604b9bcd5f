"""The validated claim record: every field of CONTRACT §1, typed. Owned by rules (it reads it); intake builds it.

`ClaimRecord` is what the rules engine evaluates and what import files; raw text
never reaches either. Codes are the GLOSSARY's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Literal

PolicyId = Literal["huludao-2019", "heilongjiang-2019", "nanxun-2019", "zhumadian-2019", "ordos-2019"]
POLICIES: tuple[str, ...] = (
    "huludao-2019",
    "heilongjiang-2019",
    "nanxun-2019",
    "zhumadian-2019",
    "ordos-2019",
)

KINDS: dict[str, str] = {
    "skill_upgrade": "技能提升补贴",
    "enterprise_training": "企业职工培训补贴",
    "pre_job_training": "岗前培训",
    "job_transfer_training": "转岗转业培训",
    "apprenticeship": "企业新型学徒制",
    "work_based_training": "以工代训",
    "living_allowance": "生活费补贴",
    "employment_service": "就业服务补助",
    "project_training": "项目制培训",
}

LEVELS: dict[str, str] = {
    "L5": "初级工（五级）",
    "L4": "中级工（四级）",
    "L3": "高级工（三级）",
    "L2": "技师（二级）",
    "L1": "高级技师（一级）",
    "special_ability": "专项职业能力证书",
    "training_certificate": "培训合格证书",
    "safety_certificate": "特种作业操作证书",
}

GROUPS: dict[str, str] = {
    "poor_labor": "建档立卡贫困劳动力",
    "hard_to_employ": "就业困难人员",
    "zero_employment_family": "零就业家庭成员",
    "two_after_rural": "“两后生”农村学员",
    "two_after_urban_low_income": "“两后生”城市低保家庭学员",
    "rural_transfer": "农村转移就业劳动者",
    "unemployed": "下岗失业人员",
    "veteran": "退役军人",
    "disabled": "残疾人",
    "college_graduate": "高校毕业生",
    "enterprise_employee": "企业职工",
    "unemployment_insured": "参加失业保险",
    "civil_servant": "机关事业单位在编人员",
    "capacity_reduction": "去产能失业人员/“四煤城”转岗职工",
    "released_prisoner": "服刑人员/戒毒人员（余刑不足一年）",
    # added by the product (docs/glossary-additions.md): the claimant attests drawing, or being
    # entitled to draw, a monthly pension — Huludao 二(二)2 free training is for 不具有…资格的人员
    "pension_eligible": "具有按月领取养老金资格的人员",
}

PAYEE_TYPES: dict[str, str] = {
    "individual": "个人",
    "enterprise": "企业",
    "institution": "培训机构",
}

# Kinds paid on a certificate: they need occupation, level and certificate_date.
CERTIFICATE_KINDS: frozenset[str] = frozenset(
    {
        "skill_upgrade",
        "enterprise_training",
        "pre_job_training",
        "job_transfer_training",
        "apprenticeship",
        "project_training",
    }
)


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    claim_id: str
    policy: str
    kind: str
    person_id: str
    person_name: str
    region: str
    filed_on: date
    payee_type: str
    payee_id: str
    groups: tuple[str, ...] = ()
    occupation: str | None = None
    level: str | None = None
    urgent: bool = False
    certificate_no: str | None = None
    certificate_date: date | None = None
    enterprise_funded: bool = False
    apprentice_type: str | None = None
    apprentice_year: int | None = None
    months: int | None = None
    days: int | None = None
    training_start: date | None = None
    training_end: date | None = None
    employed_on: date | None = None
    catalog_standard: Decimal | None = None
    advance_requested: bool = False
    class_id: str | None = None
    organizer: str | None = None
    payee_name: str | None = None
    bank_account: str | None = None
    insured_months: int | None = None
    employed_months: int | None = None
    employed_in_province: bool | None = None
    # --- optional fields added after the first schema (LATER_FIELDS): hashed only when filled ---
    bank_name: str | None = None
    apprentice_allowance_actual: Decimal | None = None

    @property
    def subsidy_year(self) -> int | None:
        """The certificate's calendar year; caps count per subsidy year."""
        return self.certificate_date.year if self.certificate_date else None

    @property
    def business_date(self) -> date:
        """The date the policy's parameters are read for: certificate, else training end, else filing."""
        return self.certificate_date or self.training_end or self.filed_on


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ClaimRecord))

LATER_FIELDS: tuple[str, ...] = ("bank_name", "apprentice_allowance_actual")
"""Optional fields added after the first schema, in the order they were added, always at the end
of RECORD_FIELDS. A claim's content hash (intake/keys.py) joins the first schema's fields, then
only the later fields that are filled, each as `name=value`: a claim without them keeps the hash
it had before they existed, so re-importing an old file still finds "the same claim again".
A field added later is appended here (and to ClaimRecord's end), never inserted."""
FIRST_FIELDS: tuple[str, ...] = RECORD_FIELDS[:len(RECORD_FIELDS) - len(LATER_FIELDS)]
assert RECORD_FIELDS[len(FIRST_FIELDS):] == LATER_FIELDS, "later fields are the record's last fields"
