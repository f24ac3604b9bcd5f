"""The message catalogue (intake/messages.py): every id in every language, the same
placeholders in each, and counts in each language's grammar (issue 20)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from intake.messages import LANGS, MESSAGES, NOUNS, count, current_lang, localise_stored, msg


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_every_message_id_has_every_language_with_the_same_placeholders(message_id: str) -> None:
    texts = MESSAGES[message_id]
    assert set(texts) == set(LANGS), f"{message_id} lacks {set(LANGS) - set(texts)}"
    assert all(texts[lang].strip() for lang in LANGS)
    assert len({frozenset(_fields(texts[lang])) for lang in LANGS}) == 1, message_id


def test_counts_in_both_grammars() -> None:
    assert set(NOUNS["row"]) == set(LANGS)
    assert (count(1, "row", "en"), count(2, "row", "en"), count(0, "row", "en")) == (
        "1 row", "2 rows", "0 rows")
    assert (count(1, "row", "zh"), count(3, "claim", "zh")) == ("1行", "3件")


def test_chinese_by_default_english_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAIMS_LANG", raising=False)
    assert current_lang() == "zh"
    assert msg("import.unknown_column", column="x") == "列“x”不是申报字段，已忽略"
    monkeypatch.setenv("CLAIMS_LANG", "en")
    assert msg("import.unknown_column", column="x").startswith("column 'x' is not")


_ROOT = Path(__file__).resolve().parents[2]
_USED = re.compile(r"""(?:\bmsg|\bexplained\(\s*\w+,)\(?\s*["']([a-z_]+\.[a-z_.\-]+)["']""")


def _product_sources() -> list[Path]:
    skip = {".venv", "tests", "bench", ".git"}
    return [p for p in _ROOT.rglob("*.py") if not skip & set(p.relative_to(_ROOT).parts)]


def test_every_message_id_the_code_uses_is_in_the_catalogue() -> None:
    used: dict[str, str] = {}
    for path in _product_sources():
        for found in _USED.finditer(path.read_text(encoding="utf-8")):
            used.setdefault(found.group(1), str(path.relative_to(_ROOT)))
    assert len(used) > 50, sorted(used)  # the scan finds the catalogue's users
    missing = {mid: where for mid, where in used.items() if mid not in MESSAGES}
    assert not missing, f"message ids used but not defined: {missing}"


def test_the_scan_would_catch_an_undefined_id() -> None:
    assert _USED.findall('fail(msg("cli.no_such_thing"))  raise explained(Forbidden, "access.x_y")') == [
        "cli.no_such_thing", "access.x_y"]


def test_every_command_has_a_summary_in_both_languages_and_no_summary_is_orphaned() -> None:
    import typer.main

    from cli.help_text import commands, help_id
    from cli.main import app

    tree = commands(typer.main.get_command(app))
    ids = {help_id(path) for path, _ in tree}
    assert len(ids) > 40
    assert not ids - set(MESSAGES), f"commands without a help summary: {sorted(ids - set(MESSAGES))}"
    orphans = {m for m in MESSAGES if m.startswith("help.")} - ids
    assert not orphans, f"help summaries of no command: {sorted(orphans)}"


def test_counts_of_payments_and_people() -> None:
    assert (count(1, "payment", "en"), count(2, "person", "en")) == ("1 payment", "2 people")
    assert (count(2, "payment", "zh"), count(5, "person", "zh")) == ("2笔", "5人")


def test_explained_errors_read_in_the_readers_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.messages import explain, explained
    from services.access.roles import Forbidden

    exc = explained(Forbidden, "access.wrong_role", name="李", roles="inspector", role="admin")
    assert isinstance(exc, Forbidden) and str(exc) == "'李' may act as inspector, not as admin"
    monkeypatch.setenv("CLAIMS_LANG", "zh")
    assert explain(exc) == "“李”可担任 inspector，不能担任 admin"
    assert explain(ValueError("plain")) == "plain"


@pytest.mark.parametrize(("stored", "chinese"), [
    ("'2020/13/1' is not a real calendar date", "'2020/13/1' 不是真实存在的日期"),
    ("is required and missing", "为必填项，未填写"),
    ("is required for kind skill_upgrade (a claim asking for an advance may leave it empty until "
     "completion)", "补贴类别 skill_upgrade 必须填写（申请预支的申报可在结业前暂不填写）"),
    ("42 is out of range; it must be between 1 and 12", "42 超出范围，应在 1 至 12 之间"),
    ("a message the catalogue does not know", "a message the catalogue does not know"),
])
def test_row_messages_stored_in_english_read_in_chinese(stored: str, chinese: str) -> None:
    from intake.messages import localise_stored

    assert localise_stored(stored, "zh") == chinese
    assert localise_stored(stored, "en") == stored


def test_the_validator_writes_the_catalogue_english_text() -> None:
    from intake.validate import InvalidRecord, parse_record
    from tests.unit.intake.claimrows import good_row

    with pytest.raises(InvalidRecord) as refused:
        parse_record({**good_row(0), "filed_on": "2020-02-30", "months": "x"})
    texts = {e.field: e.message for e in refused.value.errors}
    assert texts["filed_on"] == msg("row.not_real_date", "en", value="'2020-02-30'")


@pytest.mark.parametrize(("row", "field", "chinese"), [
    ({"person_id": "21140219880229001"}, "person_id", "身份证号码有误（应为18位，实为17位）："),
    ({"person_id": "211402198802290011"}, "person_id", "身份证号码有误（校验码错误（GB 11643））"),
    ({"person_id": "211402198802300011"}, "person_id", "出生日期 1988-02-30 不是真实存在的日期"),
    ({"person_id": "211402188802280011"}, "person_id", "出生日期 1888-02-28 早于1900年"),
    ({"payee_type": "enterprise", "payee_id": "9121140212345678XX"}, "payee_id",
     "不是有效的统一社会信用代码（收款人类型为 enterprise）：校验码错误（GB 32100）："),
    ({"region": "110101"}, "region", "110101 不在政策 huludao-2019 的辖区葫芦岛市内"),
    ({"groups": "foo;bar"}, "groups", "'bar', 'foo' 不是有效的人员类别代码"),
    ({"bank_account": "6.22202E+18"}, "bank_account", "'6.22202E+18' 是 Excel 以科学计数法显示的数字"),
    ({"person_id": "211402198802290011.0"}, "person_id", "末尾多了 '.0'：Excel 把它存成了数字"),
    ({"bank_account": "12ab"}, "bank_account", "不是8至32位数字的账号"),
    ({"training_start": "2020-06-02", "training_end": "2020-06-01"}, "training_end",
     "2020-06-01 早于培训开始日期 2020-06-02"),
])
def test_identity_consistency_and_excel_messages_read_in_chinese(
        row: dict[str, str], field: str, chinese: str) -> None:
    from intake.messages import localise_stored
    from intake.validate import InvalidRecord, parse_values
    from tests.unit.intake.claimrows import good_row

    with pytest.raises(InvalidRecord) as refused:
        parse_values({**good_row(0), **row})
    texts = {e.field: e.message for e in refused.value.errors}
    assert chinese not in texts[field]  # stored in English
    assert chinese in localise_stored(texts[field], "zh"), localise_stored(texts[field], "zh")


@pytest.mark.parametrize(("stored", "chinese"), [
    ("'A1' is already filed under huludao-2019 with different content (person_name: filed '张三', "
     "this file empty; months: filed '3', this file '4'); it was not changed — correct a filed claim "
     "with `claims amend`",
     "'A1' 已在政策 huludao-2019 下受理，但内容不同（person_name：已受理为 '张三'，本文件为 空；"
     "months：已受理为 '3'，本文件为 '4'）；原申报未作更改——更正已受理的申报请用 `claims amend`"),
    ("'A1' appears again in this file (first at row 2) with the same content; only the first row counts",
     "'A1' 在本文件中重复出现（首次在第2行），内容相同；以第一次出现的行为准"),
    ("the line is not a JSON object {...}", "该行不是 JSON 对象 {...}"),
    ("the row contains the control character U+0000, which no field may hold (a damaged or binary "
     "file?)", "该行含有控制字符 U+0000，任何字段都不能含有（文件是否已损坏或不是文本文件？）"),
    ("the last line has 3 of the header's 9 cells and no line ending: the file looks cut off in the "
     "middle of this row", "最后一行只有3个单元格（表头有9列）且没有换行：文件似乎在这一行中间被截断了"),
    ("the row has 4 filled cells but the header only 3 columns", "该行有4个已填单元格，但表头只有3列"),
    ("the policy pays the institution here (huludao-2019.md §3), the file says enterprise",
     "政策规定此项补贴拨付给 institution（huludao-2019.md §3），文件填写的是 enterprise"),
    ("advances go to organisations only; payee_type is individual", "预支只拨付给单位，而收款人类型为个人"),
    ("its birth date is after filed_on 2020-06-01: '211402********0011'",
     "出生日期晚于申报日期 2020-06-01：'211402********0011'"),
    ("a text: with a colon the catalogue does not know", "a text: with a colon the catalogue does not know"),
])
def test_filing_and_reader_messages_read_in_chinese(stored: str, chinese: str) -> None:
    from intake.messages import localise_stored

    assert localise_stored(stored, "zh") == chinese
    assert localise_stored(stored, "en") == stored


def test_set_aside_reasons_read_in_the_readers_language() -> None:
    from services.error_codes import reason_text

    stored = "missing_facts: level: skill_upgrade is priced by certificate level; give it"
    assert reason_text(stored, "en") == stored
    assert reason_text(stored, "zh") == "缺少审核所需的信息 level：skill_upgrade 按证书等级确定补贴标准，请填写证书等级"
    assert reason_text("missing_parameter: huludao-2019.rate", "zh") == (
        "政策未规定的参数尚无本地取值（huludao-2019.rate）")
    assert reason_text(None, "zh") == ""



def test_payee_checks_brought_by_issue_17_read_in_chinese() -> None:
    from intake.messages import localise_stored
    from intake.validate import InvalidRecord, parse_values
    from services.error_codes import reason_text
    from services.money.payee_check import payee_problem
    from tests.unit.intake.claimrows import good_row

    class NoAccount:
        payee_name, bank_account = "李四", ""

    stored = payee_problem(NoAccount())
    assert stored is not None and stored.startswith("payee_incomplete: no bank_account")
    assert reason_text(stored, "zh").startswith("收款信息不全：缺少 bank_account；请用 claims amend 补正")
    row = {**good_row(0), "payee_type": "individual", "payee_id": good_row(0)["person_id"],
           "bank_account": "622200001234"}
    with pytest.raises(InvalidRecord) as refused:
        parse_values(row)
    texts = {e.field: e.message for e in refused.value.errors}
    assert "has 12 digits" in texts["bank_account"]
    assert "有12位；个人银行卡或社保卡号应为16至19位数字" in localise_stored(texts["bank_account"], "zh")


def test_a_file_that_cannot_be_read_says_so_in_the_readers_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.messages import explain
    from intake.readers import UnreadableFile, read_rows

    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableFile) as refused:
        list(read_rows(empty))
    assert str(refused.value) == "空.csv: the file is empty; it needs a header row"
    monkeypatch.setenv("CLAIMS_LANG", "zh")
    assert explain(refused.value) == "空.csv：文件为空；至少需要一行表头"


def test_amend_refusals_and_unpayable_advances_read_in_chinese() -> None:
    """`claims amend`'s refusals and the advance problems (import warning, `claims show`) are stored
    in English and shown in the reader's language."""
    from rules.advance import NO_CLASS_FILING, NOT_AN_ORGANISATION, POLICY_ALLOWS_NONE
    from services.error_codes import reason_text

    stored = msg("row.amend_no_claim", "en", claim_id="HLD-9", policy="huludao-2019")
    assert stored == "no claim HLD-9 is filed under huludao-2019"
    assert localise_stored(stored, "zh") == "政策 huludao-2019 下没有申报编号为 HLD-9 的申报"
    assert localise_stored(msg("row.amend_again", "en", claim_id="HLD-9", first=3), "zh").startswith(
        "HLD-9 在本文件中被再次更正（首次在第3行）")
    assert reason_text(NO_CLASS_FILING, "zh") == "不能预支：缺少开班备案号（class_id）"
    assert reason_text(NOT_AN_ORGANISATION, "zh") == "不能预支：预支只拨付给企业或培训机构"
    assert reason_text(f"{POLICY_ALLOWS_NONE} (x.txt 三)", "zh") == "不能预支：该政策未规定预支（x.txt 三）"
    assert reason_text(NO_CLASS_FILING, "en") == NO_CLASS_FILING


def test_a_roster_problem_stored_in_english_reads_in_chinese() -> None:
    stored = msg("roster.state_inspection", "en", state="paid", allowed="assessed, posted")
    assert stored == "claim is 'paid'; an inspection is recorded only in assessed, posted"
    assert localise_stored(stored, "zh") == "申报状态为 paid；现场检查结果只能在以下状态登记：assessed, posted"
    assert localise_stored("'maybe' must be pass or fail (通过/不通过)", "zh").startswith("'maybe' 无法识别")


def test_a_bank_statement_problem_stored_in_english_reads_in_chinese() -> None:
    stored = msg("bank.amount_mismatch", "en", amount="1499.00", expected="1500.00")
    assert stored == "amount mismatch: the bank says 1499.00, the payment is 1500.00"
    assert localise_stored(stored, "zh") == "金额不符：银行为 1499.00，拨付为 1500.00"
    conflict = msg("bank.conflict", "en", before="confirmed", now="failed", reference="P-1")
    assert localise_stored(conflict, "zh").startswith("冲突：银行此前为 confirmed，现在为 failed")


def test_returns_and_reference_problems_stored_in_english_read_in_chinese() -> None:
    stored = msg("returns.too_much", "en", amount="900.00", owed="500.00")
    assert stored == "900.00 is more than the 500.00 still owed"
    assert localise_stored(stored, "zh") == "900.00 元超过尚欠的 500.00 元"
    months = msg("reference.not_months", "en", value="'x'")
    assert months == "参保月数: 'x' is not a whole number of months"
    assert localise_stored(months, "zh") == "参保月数：'x' 不是整月数"


def test_an_audit_problem_stored_in_english_reads_in_chinese() -> None:
    stored = msg("audit.state_differs", "en", claim_id="G001", policy="huludao-2019", state="paid",
                 last="approved")
    assert stored == "claim G001 (huludao-2019): state 'paid' differs from its last event ('approved')"
    assert localise_stored(stored, "zh") == "申报 G001（huludao-2019）：状态 paid 与最后一条事件（approved）不一致"
    money = msg("audit.money_changed", "en", claim_id="G001", policy="huludao-2019",
                diff=msg("audit.money_field", "en", field="final_paid", value="9.00", seq=4, recorded="1.00"))
    assert localise_stored(money, "zh").endswith("final_paid 现为 9.00，但第4条事件记为 1.00")


def test_an_outside_log_and_a_batch_file_problem_stored_in_english_read_in_chinese() -> None:
    stored = msg("outbox.twice", "en", number=3, key="P-7", other="payments-2020-06-10-1.csv")
    assert stored == "line 3: order P-7 is also in payments-2020-06-10-1.csv"
    assert localise_stored(stored, "zh") == "第3行：拨付指令 P-7 也在 payments-2020-06-10-1.csv 中"
    behind = msg("outside.differs", "en", anchor=2, on="2020-06-10", ours="abc", theirs="def")
    assert localise_stored(behind, "zh") == "2020-06-10 的锚点 2 与外部审计日志不一致（数据库摘要 abc…，日志 def…）"
