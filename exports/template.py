"""Blank, documented import templates (`claims template`): the claim file and the rosters
(inspections, completions, bank statement) as a district office fills them in.

Row 1 holds the Chinese column names the import reads (intake/headers.py); each header cell
has a comment giving the field's meaning and its English field name. ID, account and code
columns are formatted as text so Excel keeps every digit; code columns have drop-downs of the
Chinese labels the import accepts. A second sheet explains each field. `FIELD_DOCS` is also the
field table of docs/fields.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from intake.headers import BANK_HEADERS, CLAIM_HEADERS, COMPLETION_HEADERS, INSPECTION_HEADERS
from intake.jurisdictions import JURISDICTIONS
from intake.validate import APPRENTICE_TYPES
from rules.record import GROUPS, KINDS, LEVELS, PAYEE_TYPES, POLICIES


@dataclass(frozen=True)
class FieldDoc:
    meaning: str
    required: str
    example: str
    text: bool = False
    """formatted as text: IDs, accounts and codes whose digits Excel must not touch"""


FIELD_DOCS: dict[str, FieldDoc] = {
    "claim_id": FieldDoc("申报单位自编的申报编号，同一政策内唯一", "必填", "HLD-2020-0001", True),
    "policy": FieldDoc("适用的政策文件（地区）", "必填", "葫芦岛市"),
    "kind": FieldDoc("补贴类别", "必填", "技能提升补贴"),
    "person_id": FieldDoc("参训人员18位居民身份证号码", "必填", "211402199001011234", True),
    "person_name": FieldDoc("参训人员姓名", "必填", "王小明"),
    "groups": FieldDoc("人员类别，可填多个，用分号或顿号分隔", "按类别", "就业困难人员"),
    "region": FieldDoc("6位行政区划代码", "必填", "211402", True),
    "filed_on": FieldDoc("申报日期", "必填", "2020/6/1"),
    "payee_type": FieldDoc("补贴拨付给谁：个人、企业或培训机构", "必填", "个人"),
    "payee_id": FieldDoc("收款人证件号码：个人填身份证号码，单位填统一社会信用代码", "必填",
                         "211402199001011234", True),
    "payee_name": FieldDoc("收款人名称（户名）", "拨付前必填", "王小明"),
    "bank_account": FieldDoc("银行账号或社会保障卡号，8至32位数字；收款人为个人时（银行卡、社保卡）16至19位",
                             "拨付前必填（缺失的申报在拨付时暂缓，原因 payee_incomplete）",
                             "6222020000001234567", True),
    "occupation": FieldDoc("职业（工种）", "凭证书类别必填", "电工"),
    "level": FieldDoc("证书等级", "凭证书类别必填", "中级工（四级）"),
    "urgent": FieldDoc("是否急需紧缺职业（工种）", "选填", "否"),
    "certificate_no": FieldDoc("职业资格或技能等级证书编号", "选填", "Z20200001", True),
    "certificate_date": FieldDoc("发证日期", "凭证书类别必填（申请预支的可暂不填）", "2020/4/20"),
    "enterprise_funded": FieldDoc("培训费用是否由企业出资", "选填", "否"),
    "apprentice_type": FieldDoc("学徒类型：职工学徒或学生学徒", "学徒必填", "职工学徒"),
    "apprentice_year": FieldDoc("学徒培训第几年", "学徒必填", "1"),
    "months": FieldDoc("以工代训月数", "以工代训必填", "3"),
    "days": FieldDoc("培训天数（生活费补贴）", "生活费补贴必填", "20"),
    "training_start": FieldDoc("培训开始日期", "选填", "2020/5/1"),
    "training_end": FieldDoc("培训结束日期", "选填", "2020/5/30"),
    "employed_on": FieldDoc("就业日期", "就业服务补助必填", "2020/5/1"),
    "catalog_standard": FieldDoc("目录清单标准（元/人）", "项目制培训必填", "1500.00"),
    "advance_requested": FieldDoc("是否申请预支（先行拨付），仅限企业或培训机构", "选填", "否"),
    "class_id": FieldDoc("开班备案号；申请预支时必填，否则预支无法拨付", "申请预支必填", "KB2020-01",
                         True),
    "organizer": FieldDoc("组织培训的部门", "选填", "市人社局"),
    "insured_months": FieldDoc("失业保险参保月数", "选填", "36"),
    "employed_months": FieldDoc("就业月数", "选填", "6"),
    "employed_in_province": FieldDoc("是否在省内就业", "选填", "是"),
    "bank_name": FieldDoc("收款账户的开户行", "选填", "中国工商银行湖州南浔支行"),
    "apprentice_allowance_actual": FieldDoc(
        "学生学徒实际的学徒月实习津贴（元/月）；南浔学生学徒补贴按此数确定，每人每年不高于3000元",
        "南浔学生学徒须填（未填则待补正，不予核定）", "2400.00"),
    "inspected_on": FieldDoc("现场检查日期", "必填（或命令行给 --on）", "2020/6/2"),
    "inspector": FieldDoc("检查人；不填时为导入人", "选填", "李检查"),
    "result": FieldDoc("结果：通过或不通过", "必填", "通过"),
    "note": FieldDoc("备注", "选填", "学员均在岗"),
    "reference": FieldDoc("拨付清单上的参考号", "必填", "PAY-0001", True),
    "amount": FieldDoc("金额（元，两位小数）", "必填", "1500.00"),
    "status": FieldDoc("银行处理结果：成功或失败", "必填", "成功"),
    "on": FieldDoc("银行处理日期", "选填", "2020/6/10"),
}

YES_NO = ("是", "否")
CHOICES: dict[str, tuple[str, ...]] = {
    "policy": tuple(JURISDICTIONS[p].name for p in POLICIES),
    "kind": tuple(KINDS.values()),
    "level": tuple(LEVELS.values()),
    "groups": tuple(GROUPS.values()),
    "payee_type": tuple(PAYEE_TYPES.values()),
    "apprentice_type": tuple(APPRENTICE_TYPES.values()),
    "urgent": YES_NO, "enterprise_funded": YES_NO, "advance_requested": YES_NO,
    "employed_in_province": YES_NO,
    "result": ("通过", "不通过"),
    "status": ("成功", "失败"),
}
"""Drop-down values per field: the Chinese labels the import reads back as codes."""

TEMPLATES: dict[str, tuple[str, dict[str, str]]] = {
    "claims": ("申报", CLAIM_HEADERS),
    "inspections": ("现场检查", INSPECTION_HEADERS),
    "completions": ("结业考核", COMPLETION_HEADERS),
    "bank": ("银行回单", BANK_HEADERS),
}
"""Template name -> (sheet name, its columns: field -> Chinese column name)."""

TEXT_ROWS = 2000
"""Rows below the header formatted as text in ID and account columns (a product setting)."""


def write_template(path: Path, which: str = "claims") -> None:
    """Write the blank template `which` (a TEMPLATES key) to `path` (.xlsx)."""
    sheet_name, columns = TEMPLATES[which]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_name
    codes = workbook.create_sheet("代码表")
    notes = workbook.create_sheet("填表说明")
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    list_column = 0
    for i, (name, chinese) in enumerate(columns.items(), start=1):
        doc = FIELD_DOCS[name]
        letter = get_column_letter(i)
        cell = sheet.cell(row=1, column=i, value=chinese)
        cell.font, cell.fill = bold, fill
        cell.comment = Comment(f"{doc.meaning}\n{doc.required}\n字段名 field: {name}\n"
                               f"例 example: {doc.example}", "claims", width=260, height=110)
        sheet.column_dimensions[letter].width = max(12, 2 * len(chinese) + 4)
        if doc.text:
            for row in range(2, TEXT_ROWS + 2):
                sheet.cell(row=row, column=i).number_format = "@"
        choices = CHOICES.get(name)
        if choices:
            list_column += 1
            code_letter = get_column_letter(list_column)
            codes.cell(row=1, column=list_column, value=chinese).font = bold
            for j, choice in enumerate(choices, start=2):
                codes.cell(row=j, column=list_column, value=choice)
            rule = DataValidation(
                type="list", formula1=f"'代码表'!${code_letter}$2:${code_letter}${len(choices) + 1}",
                allow_blank=True, showErrorMessage=name != "groups",
                errorTitle="请从下拉列表选择", error=f"{chinese}：请从下拉列表选择")
            rule.add(f"{letter}2:{letter}{TEXT_ROWS + 1}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    notes.append(["列名", "字段名 field", "含义", "是否必填", "示例"])
    for cell in notes[1]:
        cell.font, cell.fill = bold, fill
    for name, chinese in columns.items():
        doc = FIELD_DOCS[name]
        notes.append([chinese, name, doc.meaning + ("（请保持文本格式）" if doc.text else ""),
                      doc.required, doc.example])
    for letter, width in zip("ABCDE", (18, 22, 60, 26, 24), strict=True):
        notes.column_dimensions[letter].width = width
        for cell in notes[letter]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes.append([])
    notes.append(["日期可写 2020-06-01、2020/6/1 或 2020年6月1日；是/否 列填“是”或“否”；"
                  "代码列可填中文名称或英文代码；身份证号码、账号列请保持“文本”格式。"])
    workbook.save(path)


def fields_markdown() -> str:
    """The field table of docs/fields.md, one table per template."""
    out: list[str] = []
    for which, (sheet_name, columns) in TEMPLATES.items():
        out += [f"## {sheet_name}（`claims template --kind {which}`）", "",
                "| 中文列名 | field | 含义 | 是否必填 | 示例 |", "|---|---|---|---|---|"]
        for name, chinese in columns.items():
            doc = FIELD_DOCS[name]
            out.append(f"| {chinese} | `{name}` | {doc.meaning} | {doc.required} | {doc.example} |")
        out.append("")
    return "\n".join(out)
