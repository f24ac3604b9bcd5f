"""`claims demo`: the product's own commands, run in order on a fresh SQLite database.

Each step is printed as the command a clerk would type, then run in this same process (so the
Prefect server Prefect starts for the first night serves every later night). The nights run are
the ones on which something falls due; any other night changes nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from sqlalchemy import select

from demo.files import write_claims, write_csv
from demo.scenario import IMPORT_DAY, Story, bad_rows, stories
from models.db import engine_for
from models.tables import CLAIM, PAYMENT

console = Console(soft_wrap=True)
RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
DEMO_OVERRIDES = RULES_DIR / "demo-overrides.yaml"

INSPECTIONS_RECORDED = date(2019, 9, 26)
FIRST_POSTING = date(2019, 9, 27)   # the window runs across the 2019 National Day holiday
OBJECTIONS_RAISED = date(2019, 9, 30)
OBJECTIONS_REVIEWED = date(2019, 10, 9)
WINDOW_CLOSES = date(2019, 10, 10)
BANK_STATEMENT = date(2019, 10, 11)
PAYMENT_RETRIED = date(2019, 10, 12)  # a refused payment is sent again, as attempt 2, the next night
ROSTER_IN = date(2019, 10, 25)
FRAUD_FOUND = date(2019, 10, 28)
SECOND_WINDOW_CLOSES = date(2019, 11, 1)
MONEY_RETURNED = date(2019, 11, 5)
APPROVER = "孙审批"
"""releases the payment batches: imported, inspected, reviewed and amended none of the claims"""
NIGHTS = (IMPORT_DAY, FIRST_POSTING, WINDOW_CLOSES, PAYMENT_RETRIED, ROSTER_IN, SECOND_WINDOW_CLOSES,
          MONEY_RETURNED)

Runner = Callable[[Sequence[str]], int]


class Demo:
    def __init__(self, out: Path, run: Runner, prefect: bool = True) -> None:
        self.out = out
        self.run_command = run
        self.prefect = prefect
        self.stories = stories()
        self.url = f"sqlite:///{(out / 'claims.db').resolve()}"
        self.failures: list[str] = []

    # --- plumbing ---
    def claims(self, *args: str, expect: int = 0) -> None:
        console.print(f"[bold cyan]$ claims {' '.join(args)}[/bold cyan]")
        code = self.run_command(list(args))
        if code != expect:
            self.failures.append(f"`claims {' '.join(args)}` exited {code}, expected {expect}")
            console.print(f"[red]exited {code} (expected {expect})[/red]")

    def chapter(self, title: str) -> None:
        console.print(Rule(f"[bold]{title}"))

    def night(self, day: date) -> None:
        """The night orders and seals batches; payment approval is on by default, so an approver who
        handled none of the claims releases them (拨付审批), and they are sent at once."""
        self.claims("nightly", "--as-of", day.isoformat(), *([] if self.prefect else ["--no-prefect"]))
        self.claims("approve", "--list")
        self.claims("approve", "--date", day.isoformat(), "--actor", APPROVER)

    def _pick(self, test: Callable[[Story], bool]) -> list[Story]:
        return [s for s in self.stories if test(s)]

    def _file(self, name: str, columns: Sequence[str], rows: list[dict[str, object]]) -> str:
        return str(write_csv(self.out / "input" / name, columns, rows))

    # --- the story ---
    def prepare(self) -> None:
        if self.out.exists():
            shutil.rmtree(self.out)
        (self.out / "input").mkdir(parents=True)
        os.environ["CLAIMS_DATABASE_URL"] = self.url
        os.environ.setdefault("CLAIMS_LOCAL_OVERRIDES", str(DEMO_OVERRIDES))
        os.environ["CLAIMS_PAYMENT_DIR"] = str(self.out / "payments")
        console.print(f"database: {self.url}")
        console.print(f"local overrides: {os.environ['CLAIMS_LOCAL_OVERRIDES']} "
                      "[yellow](DEMO values for the numbers the seeds leave open — not policy)[/yellow]")

    def run(self) -> list[str]:
        self.prepare()
        day = IMPORT_DAY.isoformat()
        self.chapter("1 受理 Filing: 32 claims for five policies, and five rows a clerk typed wrong")
        self.claims("init")
        claims_file = write_claims(self.out / "input" / "claims.csv", [s.row for s in self.stories] + bad_rows())
        self.claims("rules", "evaluate", str(claims_file), expect=1)
        self.claims("import", str(claims_file), "--actor", "王经办", "--on", day, expect=1)
        self.claims("import", str(claims_file), "--actor", "王经办", "--on", day, expect=1)
        self.chapter("2 预支 The first night pays the advances on classes filed by enterprises")
        self.night(IMPORT_DAY)
        self.chapter("3 现场检查 On-site inspections, then assessment and posting (window across 国庆)")
        inspections = [
            {"claim_id": s.row["claim_id"], "policy": s.row["policy"], "inspected_on": INSPECTIONS_RECORDED,
             "inspector": "李检查", "result": s.inspection,
             "note": "学员不在培训现场" if s.inspection == "fail" else ""}
            for s in self.stories
        ]
        self.claims("inspect", self._file("inspections.csv", list(inspections[0]), inspections),
                    "--actor", "李检查")
        self.night(FIRST_POSTING)
        self.chapter("4 异议 Objections during the posting window, and their review")
        for s in self._pick(lambda s: s.objection is not None):
            self.claims("object", s.row["claim_id"], "--reason", "群众来信反映未实际参加培训",
                        "--actor", "公众来信登记", "--on", OBJECTIONS_RAISED.isoformat())
        for s in self._pick(lambda s: s.objection is not None):
            verdict = "--uphold" if s.objection == "upheld" else "--dismiss"
            reason = "核实考勤记录不足" if s.objection == "upheld" else "核实考勤与证书真实"
            self.claims("review", s.row["claim_id"], verdict, "--reason", reason, "--actor", "钱复核",
                        "--on", OBJECTIONS_REVIEWED.isoformat())
        self.chapter("5 拨付 The window closes: payment to payees")
        self.night(WINDOW_CLOSES)
        self.bank_statement()
        self.claims("failed")
        self.night(PAYMENT_RETRIED)
        self.chapter("6 结业清算 The completion roster arrives: assess, post and settle the advances")
        roster = [
            {"claim_id": s.row["claim_id"], "policy": s.row["policy"], "certificate_no": f"{s.row['claim_id']}-Z",
             "certificate_date": s.row["training_end"], "level": s.row.get("level"), "result": s.completion}
            for s in self._pick(lambda s: s.completion is not None)
        ]
        self.claims("complete", self._file("roster.csv", list(roster[0]), roster), "--actor", "王经办",
                    "--on", ROSTER_IN.isoformat())
        self.night(ROSTER_IN)
        for s in self._pick(lambda s: s.fraud_found):
            self.claims("recover", s.row["claim_id"], "--reason", "专项审计查实虚假培训", "--actor", "孙稽核",
                        "--on", FRAUD_FOUND.isoformat())
        self.night(SECOND_WINDOW_CLOSES)
        self.chapter("7 追回 Money owed comes back")
        self.returns()
        self.night(MONEY_RETURNED)
        self.chapter("8 再跑一次 Running a night again changes nothing")
        self.night(SECOND_WINDOW_CLOSES)
        self.chapter("9 What the bureau reads: notices, payment batches, rejections, targets, summary")
        self.outputs()
        self.chapter("10 Checks: every claim, every event, every fen")
        self.claims("failed")
        self.claims("reconcile")
        self.claims("audit", "verify")
        self.claims("show", "HLD-016", "--json")
        return self.failures

    def bank_statement(self) -> None:
        engine = engine_for(self.url)
        refused = {s.row["claim_id"] for s in self._pick(lambda s: s.bank_fails)}
        with engine.connect() as conn:
            rows = conn.execute(
                select(PAYMENT.c.reference, PAYMENT.c.amount, CLAIM.c.claim_id)
                .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk)
                .where(PAYMENT.c.business_date == WINDOW_CLOSES, PAYMENT.c.kind != "recovery")
                .order_by(PAYMENT.c.id)).all()
        statement = [{"reference": r.reference, "amount": f"{r.amount:.2f}",
                      "status": "failed" if r.claim_id in refused else "confirmed"} for r in rows]
        if not statement:
            self.failures.append(f"no payments were made on {WINDOW_CLOSES}")
            return
        self.claims("bank", "import", self._file("bank-statement.csv", list(statement[0]), statement),
                    "--actor", "财政局对账", "--on", BANK_STATEMENT.isoformat())

    def returns(self) -> None:
        engine = engine_for(self.url)
        with engine.connect() as conn:
            owed = conn.execute(select(CLAIM.c.claim_id, CLAIM.c.policy, CLAIM.c.recovery_owed,
                                       CLAIM.c.recovered).where(CLAIM.c.state == "recovery_due")).all()
        rows = [{"claim_id": r.claim_id, "policy": r.policy, "amount": f"{r.recovery_owed - r.recovered:.2f}",
                 "on": MONEY_RETURNED.isoformat()} for r in owed]
        if rows:
            self.claims("recovered", self._file("returned.csv", list(rows[0]), rows), "--actor", "财政局对账",
                        "--on", MONEY_RETURNED.isoformat())

    def outputs(self) -> None:
        out = self.out
        self.claims("export", "posting", "--out", str(out / "公示名单.xlsx"))
        for day in (WINDOW_CLOSES, PAYMENT_RETRIED, SECOND_WINDOW_CLOSES):
            self.claims("export", "payments", "--date", day.isoformat(), "--out", str(out / f"拨付清单-{day}.xlsx"))
        self.claims("export", "rejected", "--out", str(out / "不予补贴名单.xlsx"))
        for policy in ("huludao-2019", "heilongjiang-2019", "nanxun-2019", "zhumadian-2019", "ordos-2019"):
            self.claims("report", "targets", "--policy", policy, "--year", "2019", "--out",
                        str(out / "targets" / policy))
        self.claims("report", "summary", "--from", "2019-07-01", "--to", "2019-12-31", "--out",
                    str(out / "summary-2019"))
