"""Plain-Chinese labels for the codes that appear in exports (codes stay English in data)."""

from __future__ import annotations

import re

from rules.record import KINDS, LEVELS, PAYEE_TYPES
from states.lifecycle import STATE_ZH

# Every reason code of shared/GLOSSARY.md, as a bureau would write it on a notice.
REASON_ZH: dict[str, str] = {
    "annual_limit": "每人每年享受职业培训补贴不超过3次，本年度已满",
    "duplicate_occupation_level": "同一职业同一等级已享受过补贴，不可重复享受",
    "outside_policy_period": "不在政策执行期限内",
    "ineligible_group": "不属于该项补贴的补贴对象",
    "not_combinable": "与已享受的补贴不可同时享受（以工代训与岗前培训）",
    "term_limit": "超过补贴期限或月数上限",
    "duplicate_certificate": "证书编号已用于申领补贴",
    "institution_not_listed": "培训机构不在目录清单内",
    "inspection_failed": "现场检查未通过",
    "completion_failed": "培训考核未合格",
    "objection_upheld": "公示期间异议成立",
    "signal_confirmed": "机构风险信号经复核属实",
    "fraud": "查实虚假培训或套取、骗取补贴资金",
    "certificate_not_in_registry": "证书联网查询无此证书编号",
    "certificate_mismatch": "证书信息与证书查询系统不一致",
    "insured_months_not_confirmed": "参保月数与社保记录不符",
    "missing_parameter": "政策未给出补贴标准，待本地确定",
    "policy_not_in_force": "政策为征求意见稿，尚未确认施行",
    "payee_incomplete": "收款人名称或银行账号（社保卡号）缺失，更正后拨付",
    "money_not_recorded": "补贴金额或收款信息与最近一次留痕记录不一致（疑被直接改动），核实恢复前不拨付",
    "not_covered": "政策未规定该类别或等级的补贴",
    "condition_not_met": "不符合补贴条件（如就业时限、省内就业、在岗或吸纳就业时长）",
    "not_insured": "未参加失业保险或参保时间不足，不符合参保职工补贴条件",
    "missing_facts": "缺少补贴核定所需的申报信息（如学生学徒月实习津贴、培训起止日期），待补正",
    "capped": "超过补贴期限、剩余可享受月数、培训天数或补贴上限的部分已核减，按剩余部分拨付",
}

PAYMENT_KIND_ZH: dict[str, str] = {
    "advance": "预支",
    "final": "清算拨付",
    "recovery": "追回",
}

PAYMENT_STATUS_ZH: dict[str, str] = {
    "pending": "待发送",
    "sent": "已发送",
    "confirmed": "银行已确认",
    "failed": "失败",
    "due": "待追回",
}

IMPORT_REJECTION_ZH: dict[str, str] = {"invalid": "数据有误", "conflict": "与已受理申报内容冲突"}

_REASON_SPLIT = re.compile(r"[;,，；\s]+")


def reason_codes(text: str | None) -> list[str]:
    """The reason codes stored on a claim (`;`- or `,`-separated)."""
    return [code for code in _REASON_SPLIT.split(text or "") if code]


def reasons_zh(text: str | None) -> str:
    """Reason codes as plain Chinese; an unknown code is shown as itself."""
    return "；".join(REASON_ZH.get(code, code) for code in reason_codes(text))


def label(table: dict[str, str], code: str | None, lang: str) -> str:
    """The Chinese label of a code (lang zh) or the code itself (lang en)."""
    if not code:
        return ""
    return table.get(code, code) if lang == "zh" else code


def kind_label(code: str | None, lang: str) -> str:
    return label(KINDS, code, lang)


def level_label(code: str | None, lang: str) -> str:
    return label(LEVELS, code, lang)


def state_label(code: str | None, lang: str) -> str:
    return label(STATE_ZH, code, lang)


def payee_type_label(code: str | None, lang: str) -> str:
    return label(PAYEE_TYPES, code, lang)
