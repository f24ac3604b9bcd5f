"""Column headers as district offices write them (CONTRACT §1a): the English field name or its
Chinese column name, matched ignoring spaces, case and full-width/half-width differences.

One table for claim files and the rosters (inspections, completions, bank statements), so a
template written from it (`claims template`) reads back without edits.
"""

from __future__ import annotations

import re
import unicodedata

CLAIM_HEADERS: dict[str, str] = {
    "claim_id": "申报编号", "policy": "政策", "kind": "补贴类别", "person_id": "身份证号码",
    "person_name": "姓名", "groups": "人员类别", "region": "行政区划代码", "filed_on": "申报日期",
    "payee_type": "收款人类型", "payee_id": "收款人证件号码", "payee_name": "收款人名称",
    "bank_account": "银行账号/社保卡号", "occupation": "职业（工种）", "level": "等级",
    "urgent": "急需紧缺", "certificate_no": "证书编号", "certificate_date": "发证日期",
    "enterprise_funded": "企业出资", "apprentice_type": "学徒类型", "apprentice_year": "学徒年度",
    "months": "月数", "days": "培训天数", "training_start": "培训开始日期",
    "training_end": "培训结束日期", "employed_on": "就业日期", "catalog_standard": "目录清单标准",
    "advance_requested": "申请预支", "class_id": "开班备案号", "organizer": "组织部门",
    "insured_months": "失业保险参保月数", "employed_months": "就业月数",
    "employed_in_province": "省内就业", "bank_name": "开户行",
    "apprentice_allowance_actual": "学徒月实习津贴",
}
"""Claim fields and their Chinese column names (CONTRACT §1a), in the template's order."""

INSPECTION_HEADERS: dict[str, str] = {
    "claim_id": "申报编号", "policy": "政策", "inspected_on": "检查日期", "inspector": "检查人",
    "result": "检查结果", "note": "备注",
}
COMPLETION_HEADERS: dict[str, str] = {
    "claim_id": "申报编号", "policy": "政策", "certificate_no": "证书编号",
    "certificate_date": "发证日期", "level": "等级", "result": "考核结果",
}
BANK_HEADERS: dict[str, str] = {
    "reference": "参考号", "amount": "金额（元）", "status": "状态", "on": "日期",
}

EXTRA_ALIASES: dict[str, str] = {
    "身份证号": "person_id", "公民身份号码": "person_id", "银行账号": "bank_account",
    "社保卡号": "bank_account", "职业": "occupation", "工种": "occupation", "职业工种": "occupation",
    "结业日期": "certificate_date", "金额": "amount", "结果": "result", "补贴类型": "kind",
    "开户银行": "bank_name", "开户行名称": "bank_name", "学徒实习津贴": "apprentice_allowance_actual",
    "实习津贴": "apprentice_allowance_actual",
}
"""Other names offices use for the same columns."""

_SPACE = re.compile(r"\s+")

_LABELS: dict[str, str] = {**BANK_HEADERS, **COMPLETION_HEADERS, **INSPECTION_HEADERS, **CLAIM_HEADERS}


def field_label(field: str, lang: str) -> str:
    """A field as a message names it to a clerk: its column name with the field name beside it in
    Chinese (银行账号/社保卡号（bank_account）), the field name alone in English or when it has none."""
    chinese = _LABELS.get(field)
    return f"{chinese}（{field}）" if lang == "zh" and chinese else field


def normal_header(text: str) -> str:
    """A header cell as it is matched: NFKC (full-width to half-width), no spaces, lower case."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).lower()


def _aliases() -> dict[str, str]:
    found: dict[str, str] = {}
    for table in (CLAIM_HEADERS, INSPECTION_HEADERS, COMPLETION_HEADERS, BANK_HEADERS):
        for field, chinese in table.items():
            found[normal_header(chinese)] = field
    for chinese, field in EXTRA_ALIASES.items():
        found[normal_header(chinese)] = field
    found[normal_header("职业工种")] = "occupation"
    return found


ALIASES = _aliases()


def field_of(header: str) -> str:
    """The field a header names: its English name (as written, lower case) or the field of its
    Chinese name; a header matching neither is returned normalised, to be reported as unknown."""
    key = normal_header(header)
    return ALIASES.get(key, key)
