"""The day's payment batch, produced by the installed `claims export payments`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, select

from exports.payments import batch_totals
from tests.conftest import run_claims
from tests.e2e.exports.files import money, sheets, table
from tests.e2e.exports.helpers import PAYMENT, standard_scenario


def test_batch_shows_full_accounts_and_reconciles_per_kind(engine: Engine, db_url: str,
                                                           tmp_path: Path) -> None:
    s = standard_scenario(engine)
    out = tmp_path / ("a-folder-name-long-enough-to-pass-any-console-width-" * 2) / "batch.xlsx"
    out.parent.mkdir()
    done = run_claims("export", "payments", "--date", "2020-06-12", "--out", str(out), db=db_url)
    assert done.returncode == 0, done.stderr
    assert (f"wrote {out}: 3 payments on 2020-06-12, total 4550.25 yuan "
            "(advance 1 = 750.25, final 2 = 3800.00)\n") in done.stdout  # one line, however long
    book = sheets(out)
    assert list(book) == ["拨付清单", "追回"]
    header, body, footer = table(book["拨付清单"], "序号")
    assert header[3:6] == ["收款人证件号码", "收款账号（银行账号/社保卡号）", "开户行"]
    by_claim = {r[9]: r for r in body}
    assert set(by_claim) == {"H001", "H007", "K001"}  # K001's failed attempt is left out
    assert by_claim["H001"][4] == s.accounts["H001"]
    assert by_claim["H001"][3] == s.person_ids["H001"]  # the payee's ID number in full
    assert by_claim["K001"][4] == s.accounts["K001"]
    assert by_claim["H007"][4] == s.accounts["H007"]  # from the payee registry
    assert by_claim["H007"][1] == "葫芦岛渤船重工有限公司" and by_claim["H007"][2] == "企业"
    groups = {(r[1], r[2]): money(r[6]) for r in footer if r[0] == "按政策和收款人类型"}
    assert groups == {("葫芦岛市", "个人"): money("2000.00"), ("葫芦岛市", "企业"): money("750.25"),
                      ("黑龙江省", "个人"): money("1800.00")}
    assert ["经办：", "复核：", "审批："] in [[c for c in r if c] for r in book["拨付清单"]]
    assert by_claim["H001"][7] == "PAY-20200612-0001"
    assert by_claim["H007"][8] == "预支" and by_claim["H001"][8] == "清算拨付"
    assert by_claim["K001"][10] == "heilongjiang-2019"
    assert by_claim["K001"][12] == "未入批次"  # no outbox batch holds these hand-made payments
    subtotals = {r[1]: (r[2], money(r[6])) for r in footer if r[0] == "小计"}
    assert subtotals == {"预支": ("1笔", money("750.25")), "清算拨付": ("2笔", money("3800.00"))}
    overall = next(r for r in footer if r[0] == "合计")
    assert money(overall[6]) == sum(money(r[6]) for r in body) == money("4550.25")

    with engine.connect() as conn:
        in_db = conn.execute(
            select(PAYMENT.c.kind, func.sum(PAYMENT.c.amount))
            .where(PAYMENT.c.business_date == date(2020, 6, 12), PAYMENT.c.status != "failed",
                   PAYMENT.c.kind != "recovery")
            .group_by(PAYMENT.c.kind)).all()
    assert {k: money(a) for k, a in in_db} == {"advance": money("750.25"),
                                               "final": money("3800.00")}
    assert batch_totals(engine, date(2020, 6, 12)) == {
        "advance": (1, Decimal("750.25")), "final": (2, Decimal("3800.00"))}

    _, recovered, rec_footer = table(book["追回"], "序号")
    assert [r[9] for r in recovered] == ["H006"]
    assert money(next(r for r in rec_footer if r[0] == "合计")[6]) == money("500.00")


def test_batch_as_csv_in_english_and_an_empty_day(engine: Engine, db_url: str,
                                                  tmp_path: Path) -> None:
    standard_scenario(engine)
    out = tmp_path / "batch.csv"
    done = run_claims("export", "payments", "--date", "2020-07-09", "--lang", "en", "--out",
                      str(out), db=db_url)
    assert done.returncode == 0, done.stderr
    rows = sheets(out)["csv"]
    header, body, footer = table(rows, "No.")
    assert header[4] == "Bank account / social security card"
    assert [(r[8], r[9], r[6]) for r in body] == [("final", "H008", "1500.00")]
    assert next(r for r in footer if r[0] == "Total")[6] == "1500.00"
    empty = run_claims("export", "payments", "--date", "2020-01-01", "--out",
                       str(tmp_path / "none.xlsx"), db=db_url)
    assert empty.returncode == 0 and "no payments have business date 2020-01-01" in empty.stdout
