"""The public posting notice, produced by the installed `claims export posting`."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine

from tests.conftest import run_claims
from tests.e2e.exports.files import all_text, money, sheets, table
from tests.e2e.exports.helpers import standard_scenario


def test_notice_lists_the_june_window_masked_with_its_total(engine: Engine, db_url: str,
                                                            tmp_path: Path) -> None:
    s = standard_scenario(engine)
    out = tmp_path / "notice.xlsx"
    done = run_claims("export", "posting", "--policy", "huludao-2019", "--from", "2020-06-01",
                      "--to", "2020-06-30", "--out", str(out), db=db_url)
    assert done.returncode == 0, done.stderr
    book = sheets(out)
    assert len(book) == 1
    rows = next(iter(book.values()))
    assert rows[0][0] == "葫芦岛市职业技能提升行动补贴公示名单"
    assert rows[1][0] == "公示期：2020年6月4日至2020年6月10日（5个工作日）"
    assert "2020年6月10日前提出" in rows[2][0] and "请向受理窗口提出" in rows[2][0]
    assert list(book) == ["葫芦岛市2020年6月4日"]
    header, body, footer = table(rows, "序号")
    assert header[-1] == "补贴金额（元）"
    assert len(body) == 3  # H001 paid, H002 posted, H003 objected; not H004-H008
    amounts = [money(r[-1]) for r in body]
    assert sorted(amounts) == sorted([money("2000.00"), money("1500.00"), money("2500.55")])
    assert footer[0][0] == "合计" and footer[0][1] == "3人次"
    assert money(footer[0][-1]) == sum(amounts) == money("6000.55")
    text = all_text(out)
    for pid in s.person_ids.values():
        assert pid not in text
    assert s.notes["firm"] not in text or "葫芦岛渤船重工有限公司" in text
    by_name = {r[2]: r for r in body}
    assert set(by_name) == {"王*明", "李*", "欧**娜"}
    assert by_name["李*"][4:7] == ["焊工", "初级工（五级）", "技能提升补贴"]
    assert by_name["欧**娜"][1] == "葫芦岛渤船重工有限公司"
    assert by_name["欧**娜"][6] == "企业职工培训补贴"
    for r in body:
        assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", r[3]), r[3]


def test_notice_as_csv_carries_the_configured_contact(engine: Engine, db_url: str,
                                                     tmp_path: Path) -> None:
    standard_scenario(engine)
    out = tmp_path / "notice.csv"
    contact = "请向市人社局职业能力建设科书面提出"
    done = run_claims("export", "posting", "--out", str(out), db=db_url,
                      env={"CLAIMS_OBJECTION_CONTACT": contact, "CLAIMS_NOTICE_OFFICE": "葫芦岛市人社局",
                           "CLAIMS_NOTICE_PHONE": "0429-0000000"})
    assert done.returncode == 0, done.stderr
    rows = sheets(out)["csv"]
    titles = [r[0] for r in rows if r and r[0].endswith("公示名单")]
    assert len(titles) == 2  # June and July windows, each its own section
    assert sum(1 for r in rows if r and contact in r[0]) == 2
    assert sum(1 for r in rows if r and r[0] == "受理单位：葫芦岛市人社局；电话：0429-0000000。") == 2
    totals = [r for r in rows if r and r[0] == "合计"]
    assert [money(t[-1]) for t in totals] == [money("6000.55"), money("1500.00")]


def test_notice_refuses_a_bad_ending_and_an_empty_range(engine: Engine, db_url: str,
                                                       tmp_path: Path) -> None:
    standard_scenario(engine)
    bad = run_claims("export", "posting", "--out", str(tmp_path / "notice.pdf"), db=db_url)
    assert bad.returncode != 0 and ".xlsx or .csv" in bad.stderr
    empty = run_claims("export", "posting", "--from", "2021-01-01", "--out",
                       str(tmp_path / "n.xlsx"), db=db_url)
    assert empty.returncode != 0 and "claims nightly" in empty.stderr
    assert not (tmp_path / "n.xlsx").exists()


def test_a_notice_regenerated_after_an_upheld_objection_lists_the_original_posting(
        engine: Engine, db_url: str, tmp_path: Path) -> None:
    """H006 was posted on 2020-06-04 (its post event) and removed later by an upheld objection:
    the June notice made again today still lists it, as posted that day (issue 20)."""
    from datetime import date

    from tests.e2e.exports.helpers import add_events

    s = standard_scenario(engine)
    out = tmp_path / "before.xlsx"
    args = ("export", "posting", "--policy", "huludao-2019", "--from", "2020-06-01", "--to",
            "2020-06-30")
    assert run_claims(*args, "--out", str(out), db=db_url).returncode == 0
    _, before, _ = table(next(iter(sheets(out).values())), "序号")
    assert len(before) == 3  # H006 has no post event: the fallback on today's state leaves it out
    add_events(engine, s.pks["H006"], ["filed", "on_site_inspected", "assessed", "publicly_posted"],
               date(2020, 6, 4))
    out = tmp_path / "after.xlsx"
    assert run_claims(*args, "--out", str(out), db=db_url).returncode == 0
    _, after, footer = table(next(iter(sheets(out).values())), "序号")
    assert len(after) == 4 and footer[0][1] == "4人次"
    assert money("1000.00") in [money(r[-1]) for r in after]
