"""The demo's claims: one story per rule worth seeing, for each of the five seed policies.

Amounts come from the seeds, except where a seed leaves the number open: those policies run
with the clearly labelled demo override file (rules/demo-overrides.yaml). Business dates are
in 2019 so that every policy's target table (Huludao's and Heilongjiang's are for 2019) counts
the claims. Every identity number and credit code is valid (GB 11643, GB 32100).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from intake.identity import make_credit_code, make_person_id

IMPORT_DAY = date(2019, 9, 20)


@dataclass
class Story:
    """A claim and what happens to it after filing."""

    row: dict[str, Any]
    inspection: str = "pass"
    objection: str | None = None
    """None, "upheld" or "dismissed" """
    completion: str | None = None
    """for claims filed at class opening: "pass" or "fail" """
    bank_fails: bool = False
    fraud_found: bool = False
    note: str = ""


@dataclass
class _People:
    region: str
    seq: int = 0
    ids: dict[str, str] = field(default_factory=dict)

    def person(self, key: str, birth: date = date(1990, 3, 7)) -> str:
        if key not in self.ids:
            self.seq += 1
            self.ids[key] = make_person_id(self.region, birth, self.seq)
        return self.ids[key]


def _org(seed: int, region: str) -> str:
    return make_credit_code(seed, region)


def _claim(claim_id: str, policy: str, kind: str, person_id: str, name: str, region: str,
           **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "claim_id": claim_id, "policy": policy, "kind": kind, "person_id": person_id, "person_name": name,
        "region": region, "filed_on": IMPORT_DAY, "payee_type": "individual", "payee_id": person_id,
        "payee_name": name, "bank_account": "6222" + str(int(hashlib.sha1(claim_id.encode()).hexdigest(), 16))[:15],
    }
    row.update(extra)
    return row


def huludao() -> list[Story]:
    p = _People("211402")
    policy, region = "huludao-2019", "211402"
    firm = _org(11, "211402")
    cert = date(2019, 9, 2)
    # 五(十四) 参保1年以上: Huludao's skill-upgrade subsidy is for workers insured 12 months or more
    worker = dict(groups="enterprise_employee", insured_months=24, certificate_date=cert)
    s = [
        Story(_claim("HLD-001", policy, "skill_upgrade", p.person("a"), "王小明", region, occupation="电工",
                     level="L4", certificate_no="HLD-C-001", **worker), note="中级证书 2000元 付个人 二(一)5"),
        Story(_claim("HLD-002", policy, "skill_upgrade", p.person("b"), "李春华", "211481", occupation="焊工",
                     level="L2", certificate_no="HLD-C-002", enterprise_funded=True, payee_type="enterprise",
                     payee_id=firm, payee_name="葫芦岛渤海造船配套有限公司", **worker),
                note="企业出资 技师 3500元 直补企业 二(一)5"),
        Story(_claim("HLD-003", policy, "skill_upgrade", p.person("c"), "张建国", "211403", occupation="钳工",
                     level="L5", certificate_no="HLD-C-003", **worker), note="初级 1500元"),
        Story(_claim("HLD-004", policy, "skill_upgrade", p.person("c"), "张建国", "211403", occupation="钳工",
                     level="L5", certificate_no="HLD-C-004", **worker),
                note="同一职业同一等级不可重复享受 四(十)"),
        Story(_claim("HLD-010", policy, "skill_upgrade", p.person("e"), "赵丽", "211404", occupation="育婴员",
                     level="L3", certificate_no="HLD-C-010", **worker), objection="upheld",
                note="公示期异议成立"),
        Story(_claim("HLD-011", policy, "skill_upgrade", p.person("f"), "孙强", "211421", occupation="电工",
                     level="L3", certificate_no="HLD-C-011", **worker), objection="dismissed",
                note="公示期异议不成立，恢复公示"),
        Story(_claim("HLD-012", policy, "skill_upgrade", p.person("g"), "周敏", "211422", occupation="养老护理员",
                     level="L1", certificate_no="HLD-C-012", **worker), bank_fails=True,
                note="银行退票，次日重新拨付（第2次）"),
        Story(_claim("HLD-013", policy, "skill_upgrade", p.person("h"), "吴磊", "211400", occupation="焊工",
                     level="L4", certificate_no="HLD-C-013", **worker), fraud_found=True,
                note="拨付后查实虚假培训，追回 四(十二)"),
        Story(_claim("HLD-014", policy, "skill_upgrade", p.person("i"), "郑芳", "211402", occupation="电工",
                     level="L4", certificate_no="HLD-C-014", groups="enterprise_employee",
                     insured_months=24, certificate_date=date(2019, 7, 30)), note="证书早于方案执行日 2019-07-31"),
        Story(_claim("HLD-015", policy, "apprenticeship", p.person("j"), "冯伟", region, occupation="数控车工",
                     level="L4", certificate_no="HLD-C-015", apprentice_type="employee", apprentice_year=1,
                     groups="enterprise_employee", certificate_date=cert, payee_type="enterprise", payee_id=firm,
                     payee_name="葫芦岛渤海造船配套有限公司"), note="学徒 中级工每人每年5000元 二(一)4"),
        Story(_claim("HLD-016", policy, "skill_upgrade", p.person("k"), "陈静", region, occupation="电工",
                     level="L3", groups="enterprise_employee", insured_months=24, enterprise_funded=True,
                     payee_type="enterprise",
                     payee_id=firm, payee_name="葫芦岛渤海造船配套有限公司", advance_requested=True,
                     class_id="HLD-K-2019-01", training_start=date(2019, 9, 9), training_end=date(2019, 10, 18)),
                completion="pass", note="企业培训预支50% 四(十)，结业后清算"),
        Story(_claim("HLD-017", policy, "skill_upgrade", p.person("l"), "褚红", region, occupation="电工",
                     level="L3", groups="enterprise_employee", insured_months=24, enterprise_funded=True,
                     payee_type="enterprise",
                     payee_id=firm, payee_name="葫芦岛渤海造船配套有限公司", advance_requested=True,
                     class_id="HLD-K-2019-01", training_start=date(2019, 9, 9), training_end=date(2019, 10, 18)),
                inspection="fail", note="预支后现场检查不合格，追回预支"),
    ]
    # One worker with four different certificates in 2019: the fourth is over the annual limit.
    for i, (occupation, level) in enumerate((("电工", "L5"), ("焊工", "L5"), ("钳工", "L4"), ("车工", "L4"))):
        s.append(Story(_claim(f"HLD-02{i}", policy, "skill_upgrade", p.person("m"), "蒋涛", region,
                              occupation=occupation, level=level, certificate_no=f"HLD-C-02{i}",
                              groups="enterprise_employee", insured_months=24,
                              certificate_date=cert + timedelta(days=i)),
                       note="每人每年不超过3次 四(十)" if i == 3 else ""))
    return s


def heilongjiang() -> list[Story]:
    p = _People("230102")
    policy = "heilongjiang-2019"
    firm = _org(21, "230102")
    school = _org(22, "230603")
    cert = date(2019, 9, 5)
    staff = dict(groups="enterprise_employee", certificate_date=cert, payee_type="enterprise", payee_id=firm,
                 payee_name="哈尔滨电机厂有限责任公司")
    return [
        Story(_claim("HLJ-001", policy, "enterprise_training", p.person("a"), "刘洋", "230102", occupation="电工",
                     level="L3", certificate_no="HLJ-C-001", **staff), note="高级工 2000元/人 第17项"),
        Story(_claim("HLJ-002", policy, "enterprise_training", p.person("b"), "杨帆", "230102", occupation="数控车工",
                     level="L1", urgent=True, certificate_no="HLJ-C-002", **staff),
                note="急需紧缺 高级技师 4500元/人 第17项"),
        Story(_claim("HLJ-003", policy, "pre_job_training", p.person("c"), "黄丽", "230203", occupation="安全员",
                     level="safety_certificate", certificate_no="HLJ-C-003", **staff),
                note="岗前培训 1000元/人 第18项"),
        Story(_claim("HLJ-004", policy, "job_transfer_training", p.person("d"), "林海", "231002", occupation="电工",
                     level="L4", certificate_no="HLJ-C-004", **staff), note="转岗转业 1500元/人 第18项"),
        Story(_claim("HLJ-005", policy, "work_based_training", p.person("e"), "何平", "230602",
                     groups="hard_to_employ", months=4, training_start=date(2019, 5, 1),
                     training_end=date(2019, 8, 31), payee_type="enterprise", payee_id=firm,
                     payee_name="哈尔滨电机厂有限责任公司"), note="以工代训 500元/人/月 × 4 第19项"),
        Story(_claim("HLJ-006", policy, "work_based_training", p.person("f"), "高峰", "230602",
                     groups="poor_labor", months=8, training_start=date(2019, 1, 1),
                     training_end=date(2019, 8, 31), payee_type="enterprise", payee_id=firm,
                     payee_name="哈尔滨电机厂有限责任公司"), note="以工代训最长6个月：申报8个月核减为6个月 第19项"),
        Story(_claim("HLJ-007", policy, "living_allowance", p.person("g"), "罗兰", "232701",
                     groups="two_after_rural", days=20, training_start=date(2019, 8, 1),
                     training_end=date(2019, 8, 28)), note="生活费 15元/天 × 20 第20项"),
        Story(_claim("HLJ-008", policy, "employment_service", p.person("h"), "梁静", "230603",
                     groups="unemployed", employed_on=date(2019, 9, 1), employed_in_province=True,
                     training_end=date(2019, 7, 15), payee_type="institution", payee_id=school,
                     payee_name="大庆职业技能培训学校"), note="就业服务补助 200元/人 第23项"),
    ]


def nanxun() -> list[Story]:
    p = _People("330503")
    policy, region = "nanxun-2019", "330503"
    cert = date(2019, 10, 8)
    insured = dict(groups="unemployment_insured", certificate_date=cert)
    firm = _org(31, region)
    return [
        Story(_claim("NX-001", policy, "skill_upgrade", p.person("a"), "沈佳", region, occupation="电子商务师",
                     level="L2", certificate_no="NX-C-001", **insured), note="技师 4000元 四(一)1（征求意见稿）"),
        Story(_claim("NX-002", policy, "skill_upgrade", p.person("b"), "陆明", region, occupation="茶艺师",
                     level="special_ability", certificate_no="NX-C-002", **insured),
                note="专项能力证书 不超过800元 四(一)1"),
        Story(_claim("NX-003", policy, "apprenticeship", p.person("c"), "姚远", region, occupation="纺织工",
                     level="L4", certificate_no="NX-C-003", apprentice_type="employee", apprentice_year=2,
                     employed_months=30, groups="enterprise_employee", certificate_date=cert,
                     payee_type="enterprise", payee_id=firm, payee_name="南浔丝绸织造有限公司"),
                note="职工学徒 不低于4000元/年 四(一)2"),
        Story(_claim("NX-004", policy, "skill_upgrade", p.person("d"), "邵华", region, occupation="电工",
                     level="L4", certificate_no="NX-C-004", groups="unemployment_insured;civil_servant",
                     certificate_date=cert), note="机关事业单位在编人员除外 四(一)1"),
    ]


def zhumadian() -> list[Story]:
    p = _People("411702")
    policy, region = "zhumadian-2019", "411702"
    firm = _org(41, region)
    return [
        Story(_claim("ZMD-001", policy, "work_based_training", p.person("a"), "马超", region, groups="poor_labor",
                     months=6, employed_months=7, training_start=date(2019, 3, 1), training_end=date(2019, 8, 31),
                     payee_type="enterprise", payee_id=firm, payee_name="驻马店天中食品有限公司"),
                note="以工代训 200元/人/月 × 6 二(三)1（含X的征求意见稿）"),
        Story(_claim("ZMD-002", policy, "pre_job_training", p.person("a"), "马超", region,
                     groups="enterprise_employee;newly_hired", occupation="食品检验员", level="L5",
                     certificate_no="ZMD-C-002",
                     certificate_date=date(2019, 9, 10), payee_type="enterprise", payee_id=firm,
                     payee_name="驻马店天中食品有限公司"),
                note="以工代训与新录用人员岗前培训不得重复享受 二(三)1"),
    ]


def ordos() -> list[Story]:
    p = _People("150602")
    policy, region = "ordos-2019", "150602"
    firm = _org(51, region)
    return [
        Story(_claim("ORD-001", policy, "skill_upgrade", p.person("a"), "乌力吉", region, occupation="采煤机司机",
                     level="L4", certificate_no="ORD-C-001", groups="enterprise_employee",
                     insured_months=36, certificate_date=date(2019, 9, 12), organizer="市总工会"),
                note="标准按规定（演示覆盖值）"),
        Story(_claim("ORD-002", policy, "enterprise_training", p.person("b"), "其其格", "150627",
                     occupation="煤矿安全检查工", level="L3", groups="enterprise_employee",
                     payee_type="enterprise", payee_id=firm, payee_name="伊金霍洛旗能源有限公司",
                     advance_requested=True, class_id="ORD-K-2019-07", organizer="市应急管理局",
                     training_start=date(2019, 9, 16), training_end=date(2019, 10, 25)),
                completion="pass", note="企业培训先行拨付60% 三(三)"),
    ]


def bad_rows() -> list[dict[str, Any]]:
    """Rows a clerk might type: each is named with its field and kept; the rest are filed."""
    good = make_person_id("211402", date(1988, 1, 1), 901)
    wrong_digit = good[:-1] + ("0" if good[-1] != "0" else "1")
    base = dict(policy="huludao-2019", kind="skill_upgrade", person_name="错误示例", region="211402",
                filed_on=IMPORT_DAY, payee_type="individual", occupation="电工", level="L4",
                groups="enterprise_employee", insured_months=24, certificate_date=date(2019, 9, 2))
    return [
        {**base, "claim_id": "BAD-001", "person_id": wrong_digit, "payee_id": wrong_digit},
        {**base, "claim_id": "BAD-002", "person_id": good, "payee_id": good, "region": "330503"},
        {**base, "claim_id": "BAD-003", "person_id": good, "payee_id": good, "level": "L9"},
        {**base, "claim_id": "BAD-004", "person_id": good, "payee_id": good, "certificate_date": "2019-02-30"},
        {**base, "claim_id": "BAD-005", "person_id": good, "payee_id": good, "occupation": None},
    ]


def stories() -> list[Story]:
    return [*huludao(), *heilongjiang(), *nanxun(), *zhumadian(), *ordos()]
