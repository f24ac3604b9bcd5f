"""Files as district offices send them, through the installed `claims` (issue 20, CONTRACT §1a):
a GB18030 CSV with Chinese column names, Excel's date forms, Chinese labels and 是/否 imports."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from models.db import make_engine
from models.tables import CLAIM
from services.importing.filing_pool import POOL_MIN_BYTES
from tests.conftest import run_claims
from tests.unit.intake.claimrows import good_row, office_row


def write_office_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="gb18030", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_gb18030_chinese_headers_dates_and_labels_import(db_url: str, tmp_path: Path) -> None:
    assert run_claims("init", db=db_url).returncode == 0
    small = write_office_csv(tmp_path / "区县申报.csv", [office_row(i) for i in range(18)])
    done = run_claims("import", str(small), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "filed 18" in done.stdout and "not a claim field" not in done.stdout
    again = run_claims("import", str(small), "--on", "2020-06-01", db=db_url,
                       env={"CLAIMS_LANG": "zh"})
    assert "共18行" in again.stdout and "跳过 18" in again.stdout, again.stdout
    english = run_claims("--lang", "en", "import", str(small), db=db_url, env={"CLAIMS_LANG": "zh"})
    assert "18 rows" in english.stdout and "skipped 18" in english.stdout, english.stdout
    many = 6600
    big = write_office_csv(tmp_path / "全年.csv", [office_row(i) for i in range(18, 18 + many)])
    assert big.stat().st_size > POOL_MIN_BYTES  # the worker pool's path
    done = run_claims("import", str(big), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"filed {many}" in done.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = {r.claim_id: r for r in conn.execute(select(CLAIM))}
    engine.dispose()
    for i in (0, 1, 4, 8, 18 + many - 1):
        want, got = good_row(i), stored[good_row(i)["claim_id"]]
        assert (got.policy, got.kind, got.region, got.filed_on.isoformat()) == (
            want["policy"], want["kind"], want["region"], want["filed_on"])


def test_a_chinese_character_typed_into_the_id_is_named_with_its_column(db_url: str, tmp_path: Path) -> None:
    """A clerk's slip (年 typed into 身份证号码) is a rejected row naming the column, never a crash;
    the good rows beside it are filed."""
    from intake.headers import CLAIM_HEADERS

    assert run_claims("init", db=db_url).returncode == 0
    rows = [office_row(i) for i in range(3)]
    rows[1][CLAIM_HEADERS["person_id"]] = rows[1][CLAIM_HEADERS["person_id"]][:10] + "年"
    done = run_claims("import", str(write_office_csv(tmp_path / "申报.csv", rows)), "--on", "2020-06-01",
                      db=db_url, env={"CLAIMS_LANG": "zh", "COLUMNS": "160"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "受理 2" in done.stdout and "未受理 1" in done.stdout, done.stdout
    assert "身份证号码（person_id）" in done.stdout and "意外错误" not in done.stdout + done.stderr


def test_the_filled_template_imports_without_edits(db_url: str, tmp_path: Path) -> None:
    from datetime import date

    from openpyxl import load_workbook

    assert run_claims("init", db=db_url).returncode == 0
    blank = tmp_path / "申报模板.xlsx"
    done = run_claims("template", "--out", str(blank), db=db_url)
    assert done.returncode == 0, done.stderr
    workbook = load_workbook(blank)
    sheet = workbook["申报"]
    header = [c.value for c in sheet[1]]
    assert "身份证号码" in header and sheet["D2"].number_format == "@"
    assert [ws.title for ws in workbook.worksheets] == ["申报", "代码表", "填表说明"]
    rows = [office_row(i) for i in range(9)]
    assert "开户行" in header and "学徒月实习津贴" in header
    rows[0]["开户行"] = "中国工商银行葫芦岛分行"
    rows[4]["学徒月实习津贴"] = "2400"
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(header, start=1):
            value: object = row.get(str(name))
            if name == "申报日期":
                value = date(2020, 5, 10)  # an Excel date cell
            sheet.cell(row=r, column=c, value=value)
    workbook.save(blank)
    done = run_claims("import", str(blank), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "filed 9" in done.stdout and "not a claim field" not in done.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        later = {r.claim_id: (r.bank_name, r.apprentice_allowance_actual) for r in conn.execute(
            select(CLAIM.c.claim_id, CLAIM.c.bank_name, CLAIM.c.apprentice_allowance_actual))}
    engine.dispose()
    assert later["C000000"] == ("中国工商银行葫芦岛分行", None)
    assert later["C000004"] == (None, Decimal("2400.00")) and later["C000001"] == (None, None)
    roster = tmp_path / "检查.xlsx"
    assert run_claims("template", "--kind", "inspections", "--out", str(roster),
                      db=db_url).returncode == 0
    book = load_workbook(roster)
    assert [c.value for c in book["现场检查"][1]] == ["申报编号", "政策", "检查日期", "检查人",
                                                   "检查结果", "备注"]
    for c, value in enumerate(["C000000", "葫芦岛市", "2020/6/2", "李检查", "通过"], start=1):
        book["现场检查"].cell(row=2, column=c, value=value)
    book.save(roster)
    done = run_claims("inspect", str(roster), db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_claims("template", "--kind", "nope", db=db_url).returncode == 2


def test_an_advance_that_cannot_be_paid_is_named(db_url: str, tmp_path: Path) -> None:
    import json

    from tests.unit.intake.claimrows import write_csv

    assert run_claims("init", db=db_url).returncode == 0
    no_class = {**good_row(20), "advance_requested": "true", "level": "", "certificate_date": ""}
    no_advance = {**good_row(2), "advance_requested": "true", "class_id": "KB-1"}
    path = write_csv(tmp_path / "c.csv", [no_class, no_advance, good_row(3)])
    done = run_claims("import", str(path), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "C000020" in done.stdout and "no class filing number" in done.stdout
    assert "C000002" in done.stdout and "C000003" not in done.stdout
    night = run_claims("nightly", "--as-of", "2020-06-01", "--no-prefect", db=db_url)
    assert night.returncode in (0, 1), night.stdout + night.stderr
    failed = {f["claim_id"]: f for f in json.loads(
        run_claims("failed", "--json", db=db_url).stdout)}
    assert failed["C000020"]["step"] == "pay_advances"
    assert "no class filing number" in failed["C000020"]["reason"]
    assert "C000002" in failed and "C000003" not in failed
    show = run_claims("show", "C000020", db=db_url, env={"COLUMNS": "200"})
    assert "no class filing number" in show.stdout and "set aside" in show.stdout
    table = run_claims("failed", db=db_url, env={"CLAIMS_LANG": "", "COLUMNS": "400"})
    assert "申报编号" in table.stdout and "不能预支：缺少开班备案号" in table.stdout, table.stdout
    assert f"共{len(failed)}件申报被搁置" in table.stdout, table.stdout
    table = run_claims("--lang", "en", "failed", db=db_url, env={"COLUMNS": "400"})
    assert "claim_id" in table.stdout and f"{len(failed)} claims set aside" in table.stdout, table.stdout
    assert "搁置待处理：" in run_claims("show", "C000020", db=db_url, env={"CLAIMS_LANG": ""}).stdout
    # machine outputs: codes and English field names in both languages, only `message` differs
    assert failed["C000020"]["error_code"] == "advance_not_payable"
    outputs = {}
    for lang in ("zh", "en"):
        listed = json.loads(run_claims("failed", "--json", db=db_url, env={"CLAIMS_LANG": lang}).stdout)
        shown = json.loads(run_claims("--lang", lang, "show", "C000020", "--json", db=db_url).stdout)
        outputs[lang] = (listed, shown)
    (zh_list, zh_show), (en_list, en_show) = outputs["zh"], outputs["en"]
    assert zh_show["set_aside"]["error_code"] == "advance_not_payable"
    assert zh_show["set_aside"]["message"].startswith("预支无法拨付")
    assert en_show["set_aside"]["message"].startswith("the advance cannot be paid")
    for zh, en in [(zh_show["set_aside"], en_show["set_aside"]), *zip(zh_list, en_list, strict=True)]:
        assert {k: v for k, v in zh.items() if k != "message"} == {
            k: v for k, v in en.items() if k != "message"}
    zh_show.pop("set_aside"), en_show.pop("set_aside")
    assert zh_show == en_show


def test_a_genuine_xls_from_an_older_excel_imports(db_url: str, tmp_path: Path) -> None:
    """tests/e2e/fixtures/office_claims.xls is BIFF8 (Excel 97-2003, written by xlwt through
    make_office_xls.py): Chinese headers, 申报日期 as a date cell, 身份证号码 as text."""
    fixture = Path(__file__).parent / "fixtures" / "office_claims.xls"
    assert fixture.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE2 compound file
    copy = tmp_path / "区县申报.xls"
    copy.write_bytes(fixture.read_bytes())
    assert run_claims("init", db=db_url).returncode == 0
    done = run_claims("import", str(copy), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "filed 9" in done.stdout and "rejected 0" in done.stdout, done.stdout
    assert "not a claim field" not in done.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = {r.claim_id: r for r in conn.execute(select(CLAIM))}
    engine.dispose()
    for i in range(9):
        want, got = good_row(i), stored[good_row(i)["claim_id"]]
        assert (got.person_id, got.policy, got.kind, got.region, got.filed_on.isoformat()) == (
            want["person_id"], want["policy"], want["kind"], want["region"], "2020-05-10")


def test_rejected_rows_read_in_chinese_at_import_and_in_the_rejected_list(
        db_url: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tests.unit.intake.claimrows import write_csv

    assert run_claims("init", db=db_url).returncode == 0
    bad_date = {**good_row(0), "filed_on": "2020-02-30"}
    no_region = {k: v for k, v in good_row(1).items() if k != "region"}
    path = write_csv(tmp_path / "c.csv", [bad_date, no_region, good_row(2)])
    done = run_claims("import", str(path), "--on", "2020-06-01", db=db_url,
                      env={"CLAIMS_LANG": "zh", "COLUMNS": "200"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "不是真实存在的日期" in done.stdout and "为必填项，未填写" in done.stdout, done.stdout
    english = run_claims("--lang", "en", "export", "rejected", "--out", str(tmp_path / "en.xlsx"),
                         db=db_url)
    assert english.returncode == 0, english.stderr
    out = tmp_path / "未受理.xlsx"
    assert run_claims("export", "rejected", "--out", str(out), db=db_url,
                      env={"CLAIMS_LANG": "zh"}).returncode == 0
    sheet = load_workbook(out)["导入未受理"]
    messages = [str(c.value) for c in sheet["G"] if c.value]
    assert any("不是真实存在的日期" in m for m in messages), messages
    assert "为必填项，未填写" in messages, messages
    assert any(str(c.value) == "2项" for row in sheet.iter_rows() for c in row), "footer counts 2 problems"


def test_a_bad_file_reads_in_chinese_by_default_and_in_english_on_request(
        db_url: str, tmp_path: Path) -> None:
    """Identity, cross-field, group, Excel-mangled and repeated-row messages through the installed
    `claims import`: Chinese with no language set, English with --lang en; stored in English."""
    from tests.unit.intake.claimrows import write_csv

    assert run_claims("init", db=db_url).returncode == 0
    rows = [
        {**good_row(0), "person_id": good_row(0)["person_id"][:17] + ("1" if good_row(0)["person_id"][17] != "1"
                                                                         else "2")},
        {**good_row(1), "region": "110101"},
        {**good_row(2), "groups": "poor_labor;aliens"},
        {**good_row(3), "person_id": "2.11402E+17"},
        {**good_row(4), "training_start": "2020-05-02", "training_end": "2020-05-01"},
        good_row(5),
        {**good_row(5), "person_name": "另一个名字"},
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    chinese = run_claims("import", str(path), "--on", "2020-06-01", db=db_url,
                         env={"CLAIMS_LANG": "", "COLUMNS": "400"})
    assert chinese.returncode == 1, chinese.stdout + chinese.stderr
    for text in ("身份证号码有误（校验码错误（GB 11643））", "不在政策", "不是有效的人员类别代码",
                 "是 Excel 以科学计数法显示的数字", "早于培训开始日期", "在本文件中重复出现（首次在第7行），内容不同",
                 "行号", "未受理"):
        assert text in chinese.stdout, (text, chinese.stdout)
    assert "check digit is wrong" not in chinese.stdout
    english = run_claims("--lang", "en", "import", str(path), "--on", "2020-06-01", db=db_url,
                         env={"CLAIMS_LANG": "", "COLUMNS": "400"})
    for text in ("check digit is wrong (GB 11643)", "is not in", "not a known group code",
                 "Excel shows in scientific notation", "is before training_start",
                 "appears again in this file"):
        assert text in english.stdout, (text, english.stdout)
    assert "校验码错误" not in english.stdout
    out = tmp_path / "未受理.xlsx"
    assert run_claims("export", "rejected", "--out", str(out), db=db_url,
                      env={"CLAIMS_LANG": ""}).returncode == 0
    from openpyxl import load_workbook

    messages = [str(c.value) for c in load_workbook(out)["导入未受理"]["G"] if c.value]
    assert any("校验码错误（GB 11643）" in m for m in messages), messages
    engine = make_engine(db_url)
    with engine.connect() as conn:
        from models.tables import REJECTION

        stored = " ".join(str(r.errors) for r in conn.execute(select(REJECTION)))
    engine.dispose()
    assert "check digit is wrong (GB 11643)" in stored and "校验码错误" not in stored
