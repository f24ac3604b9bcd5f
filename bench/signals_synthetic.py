"""Institution signals on synthetic claims: planted cases found, clean near-misses not flagged.

    python -m bench.signals_synthetic [--seed 23] [--chart docs/img/oversight-signals.png]

Clean (CLEAN_BODIES training bodies, CLEAN_ISSUERS evaluation bodies), with the near-misses a real
set holds:
- each body has its own usual class size; its classes vary within ±15% of it (4 classes);
- twins: one class in five has two trainees born the same day, with two ID numbers;
- shared training sites: bodies in pairs teach the same dates (one site), each its own trainees;
- re-sits: one class in three takes two trainees of the body's previous class again (later dates),
  and their exam re-sit is a second certificate from the same evaluation body a later month;
- young workers: one body in ten teaches a pre-job class of new graduates (four school years);
  one class has twins aged 19 on pre-job training (two of one school year are not a group);
- ages at the bounds: a trainee exactly age_max on the first training day, one exactly age_min;
- student apprentices of one school year (企业新型学徒制 学生学徒: not a job-based kind);
- evaluation bodies issue their usual number a month, within ±15%, six months.
Planted: 套取A/套取B list the same trainees at once; 套取C copies A's roster later; 激增D's fourth
class is three times its usual; 高龄E has a class with six trainees aged 66-75; 学生F runs a pre-job
class of 30 born in one school year; 评价G issues four times its usual in its sixth month.

The deployment's parameters for this set (settings `oversight:`): PARAMETERS below.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from intake.identity import make_person_id
from services.oversight.signals import SIGNAL_ZH, Parameters, Seat, Signal, signals

PARAMETERS = Parameters(age_min=16, age_max=60, surge_ratio=Decimal("1.5"))
"""the test deployment's settings (an example, not a rule: no seed states them)"""
CLEAN_BODIES = 60
CLEAN_ISSUERS = 20
PLANTED: dict[str, set[str]] = {
    "shared_trainees": {"套取A", "套取B"},
    "repeated_roster": {"套取A", "套取C"},
    "class_surge": {"激增D"},
    "implausible_age": {"高龄E"},
    "student_group": {"学生F"},
    "certificate_surge": {"评价G"},
}
POLICY = "huludao-2019"
KINDS = ("skill_upgrade", "pre_job_training", "job_transfer_training", "enterprise_training", "project_training")


@dataclass
class Rosters:
    seats: list[Seat]
    clean_bodies: set[str]
    clean_issuers: set[str]


class _People:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def born(self, day: date, age: int) -> date:
        """A birth date making the person `age` on `day` (birthday within the year before)."""
        latest = date(day.year - age, day.month, min(day.day, 28))
        return latest - timedelta(days=self.rng.randint(0, 360))

    def person(self, birth: date) -> str:
        while True:
            pid = make_person_id(self.rng.choice(("211402", "211403", "211421")), birth, self.rng.randint(0, 999))
            if pid not in self.seen:
                self.seen.add(pid)
                return pid


def rosters(seed: int = 23) -> Rosters:
    rng = random.Random(seed)
    people = _People(rng)
    seats: list[Seat] = []
    pk = iter(range(1, 10**8))

    def seat(body: str, class_id: str | None, pid: str, start: date, end: date, kind: str = "skill_upgrade",
             issuer: str | None = None, cert: date | None = None) -> Seat:
        return Seat(body, POLICY, class_id, pid, start, end, next(pk), kind, "filed", end, issuer, cert)

    def adults(n: int, on: date, low: int = 18, high: int = 59) -> list[str]:
        return [people.person(people.born(on, rng.randint(low, high))) for _ in range(n)]

    clean_bodies = [f"机构{i:02d}" for i in range(CLEAN_BODIES)]
    issuers = [f"评价{i:02d}" for i in range(CLEAN_ISSUERS)]
    for i, body in enumerate(clean_bodies):
        usual = rng.randint(15, 40)
        start0 = date(2020, 1, 6) + timedelta(days=(i // 2) * 3)  # pairs share a site and its dates
        kind = KINDS[i % len(KINDS)]
        last: list[str] = []
        for c in range(4):
            s, e = start0 + timedelta(days=40 * c), start0 + timedelta(days=40 * c + 25)
            size = max(2, round(usual * rng.uniform(0.85, 1.15)))
            if i % 10 == 3 and c == 1:  # new graduates on pre-job training: four school years
                roster = [people.person(people.born(s, 21 + k % 4)) for k in range(size)]
                class_kind = "pre_job_training"
            else:
                roster = adults(size, s)
                class_kind = kind
            if last and rng.random() < 1 / 3:
                roster[:2] = last[:2]  # re-sits
            if rng.random() < 0.2:  # twins: same birth date, two ID numbers
                twin_birth = people.born(s, 19 if class_kind == "pre_job_training" else rng.randint(18, 59))
                roster[-2:] = [people.person(twin_birth), people.person(twin_birth)]
            if c == 0 and i == 0:  # exactly at the bounds on the first training day
                roster[0] = people.person(date(s.year - PARAMETERS.age_max, s.month, s.day))  # type: ignore[operator]
                roster[1] = people.person(date(s.year - PARAMETERS.age_min, s.month, s.day))  # type: ignore[operator]
            issuer = issuers[i % len(issuers)]
            seats += [seat(body, f"{body}-{c}", p, s, e, class_kind) for p in roster]
            last = roster
    # student apprentices of one school year: a student scheme, not a job-based kind
    day = date(2020, 3, 2)
    birth = date(2002, 10, 1)
    seats += [seat("学徒院校", "APP-1", people.person(birth + timedelta(days=k * 7)), day, day + timedelta(days=300),
                   "apprenticeship") for k in range(25)]
    # evaluation bodies: certificates a month within ±15% of their usual; exam re-sits a later month
    for issuer in issuers:
        usual = rng.randint(20, 60)
        for month in range(1, 7):
            count = max(1, round(usual * rng.uniform(0.85, 1.15)))
            for pid in adults(count, date(2020, month, 1)):
                cert = date(2020, month, rng.randint(1, 28))
                seats.append(seat("", None, pid, cert, cert, issuer=issuer, cert=cert))
                if rng.random() < 0.05 and month < 6:  # a re-sit next month
                    again = date(2020, month + 1, rng.randint(1, 28))
                    seats.append(seat("", None, pid, again, again, issuer=issuer, cert=again))
    seats += _planted(seat, adults, people)
    return Rosters(seats, {*clean_bodies, "学徒院校"}, set(issuers))


def _planted(seat, adults, people: _People) -> list[Seat]:  # type: ignore[no-untyped-def]
    out: list[Seat] = []
    april, april_end = date(2020, 4, 1), date(2020, 4, 20)
    base = adults(25, april)
    out += [seat("套取A", "A-1", p, april, april_end) for p in base]
    out += [seat("套取B", "B-1", p, date(2020, 4, 5), date(2020, 4, 25)) for p in base[:20]]
    out += [seat("套取C", "C-1", p, date(2020, 6, 1), date(2020, 6, 20)) for p in base]
    for c, size in enumerate((20, 21, 19, 60)):
        s = date(2020, 1, 6) + timedelta(days=40 * c)
        out += [seat("激增D", f"D-{c}", p, s, s + timedelta(days=25)) for p in adults(size, s)]
    for c in range(4):
        s = date(2020, 1, 6) + timedelta(days=40 * c)
        roster = adults(22, s)
        if c == 3:
            roster[:6] = [people.person(people.born(s, age)) for age in (66, 68, 70, 71, 73, 75)]
        out += [seat("高龄E", f"E-{c}", p, s, s + timedelta(days=25)) for p in roster]
    s = date(2020, 5, 6)
    out += [seat("学生F", "F-1", people.person(date(2002, 9, 1) + timedelta(days=11 * k)), s,
                 s + timedelta(days=20), "pre_job_training") for k in range(30)]
    for month, count in ((1, 30), (2, 28), (3, 33), (4, 31), (5, 29), (6, 130)):
        for pid in adults(count, date(2020, month, 1)):
            cert = date(2020, month, 15)
            out.append(seat("", None, pid, cert, cert, issuer="评价G", cert=cert))
    return out


def measure(seed: int = 23) -> dict[str, tuple[set[str], set[str], int]]:
    """signal -> (planted bodies found, clean bodies flagged, clean bodies of its kind)."""
    data = rosters(seed)
    found: dict[str, set[str]] = {}
    for s in signals(data.seats, PARAMETERS):
        found.setdefault(s.signal, set()).add(s.organizer)
    out = {}
    for signal in SIGNAL_ZH:
        clean = data.clean_issuers if signal == "certificate_surge" else data.clean_bodies
        hits = found.get(signal, set())
        out[signal] = (hits - clean, hits & clean, len(clean))
    return out


def flagged(seed: int = 23) -> list[Signal]:
    return signals(rosters(seed).seats, PARAMETERS)


def measures(seed: int = 23) -> dict[str, tuple[list[float], list[float], float | None]]:
    """Per signal, what it looks at: (clean bodies' values, planted bodies' values, the line it
    draws) — the largest share of a body's trainees also at another body at once, the largest
    share of a class's roster found in another class, the largest class over the largest
    earlier one, ages on the first training day, school years per job-based class, the largest
    month over the largest earlier one per evaluation body."""
    from collections import defaultdict

    from services.oversight.signals import JOB_BASED_KINDS, age_on, birth_date, school_year

    data = rosters(seed)
    planted_bodies = set().union(*PLANTED.values())
    classes: dict[tuple[str, str], list[Seat]] = defaultdict(list)
    months: dict[str, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    for s in data.seats:
        if s.organizer and s.class_id:
            classes[(s.organizer, s.class_id)].append(s)
        if s.issuer and s.certificate_date:
            months[s.issuer][(s.certificate_date.year, s.certificate_date.month)] += 1
    by_person: dict[str, list[Seat]] = defaultdict(list)
    for members in classes.values():
        for s in members:
            by_person[s.person_id].append(s)
    out: dict[str, tuple[list[float], list[float], float | None]] = {}

    def split(values: dict[str, float], signal: str) -> tuple[list[float], list[float]]:
        return ([v for b, v in values.items() if b not in planted_bodies],
                [v for b, v in values.items() if b in PLANTED[signal]])

    bodies = sorted({b for b, _ in classes})
    shared: dict[str, float] = {}
    overlap: dict[str, float] = {}
    surge: dict[str, float] = {}
    for body in bodies:
        mine = [k for k in classes if k[0] == body]
        people = {s.person_id for k in mine for s in classes[k]}
        at_once = {s.person_id for k in mine for s in classes[k] for o in by_person[s.person_id]
                   if o.organizer != body and s.start and s.end and o.start and o.end
                   and s.start <= o.end and o.start <= s.end}
        shared[body] = len(at_once) / len(people)
        best = 0.0
        for k in mine:
            roster = {s.person_id for s in classes[k]}
            for other, members in classes.items():
                if other != k:
                    best = max(best, len(roster & {s.person_id for s in members}) / len(roster))
        overlap[body] = best
        ordered = sorted(mine, key=lambda k: min(s.start or date.max for s in classes[k]))
        ratios, biggest = [], 0
        for k in ordered:
            if biggest:
                ratios.append(len(classes[k]) / biggest)
            biggest = max(biggest, len(classes[k]))
        if ratios:
            surge[body] = max(ratios)
    out["shared_trainees"] = (*split(shared, "shared_trainees"), None)
    out["repeated_roster"] = (*split(overlap, "repeated_roster"), None)
    out["class_surge"] = (*split(surge, "class_surge"), float(PARAMETERS.surge_ratio or 0))
    ages: tuple[list[float], list[float]] = ([], [])
    old = PLANTED["implausible_age"]
    years: dict[str, float] = {}
    for (body, cid), members in classes.items():
        for s in members:
            born = birth_date(s.person_id)
            if born and s.start and (body in old or body not in planted_bodies):
                ages[body in old].append(age_on(born, s.start))
        if all(s.kind in JOB_BASED_KINDS for s in members):
            span = {school_year(b) for s in members if (b := birth_date(s.person_id))}
            key = f"{body}/{cid}"
            years[key] = len(span)
    out["implausible_age"] = (ages[0], ages[1], None)
    out["student_group"] = ([v for k, v in years.items() if k.split("/")[0] not in planted_bodies],
                            [v for k, v in years.items() if k.split("/")[0] in planted_bodies
                             and k.startswith("学生F")], 1.0)
    cert: dict[str, float] = {}
    for issuer, counts in months.items():
        ordered_counts = [counts[m] for m in sorted(counts)]
        cert[issuer] = max(n / max(ordered_counts[:i]) for i, n in enumerate(ordered_counts) if i)
    out["certificate_surge"] = ([v for b, v in cert.items() if b != "评价G"], [cert["评价G"]],
                                float(PARAMETERS.surge_ratio or 0))
    return out


def explain_chart(path: Path, seed: int = 23) -> None:
    """One panel per signal: what it measures, clean bodies (grey) against planted (red)."""
    import matplotlib.pyplot as plt

    from exports.charts import _save, cjk_drawing

    titles = {
        "shared_trainees": ("同期多机构学员", "本机构学员中同期在其他机构的比例"),
        "repeated_roster": ("花名册与其他班次重复", "班次花名册出现在另一班次中的最大比例"),
        "class_surge": ("班次人数激增", "班次人数 ÷ 此前最大班次人数（最大值）"),
        "implausible_age": ("学员年龄与补贴不符", "首个培训日年龄（岁）"),
        "student_group": ("学生群体申领岗位类补贴", "岗位类补贴班次学员的出生学年数"),
        "certificate_surge": ("评价机构发证激增", "单月发证数 ÷ 此前最大单月（最大值）"),
    }
    data = measures(seed)
    with cjk_drawing():
        fig, axes = plt.subplots(3, 2, figsize=(11, 10))
        for ax, (signal, (title, xlabel)) in zip(axes.flat, titles.items(), strict=True):
            clean, planted, line = data[signal]
            bins = 30
            ax.hist(clean, bins=bins, color="#9a9a9a", label=f"正常（{len(clean)}）")
            ax.hist(planted, bins=bins, color="#c0392b", label=f"埋入（{len(planted)}）")
            if signal == "implausible_age":
                for bound in (PARAMETERS.age_min, PARAMETERS.age_max):
                    ax.axvline(float(bound or 0), color="#3a78b5", linestyle="--")
            elif line is not None:
                ax.axvline(line, color="#3a78b5", linestyle="--", label="界限" if signal != "student_group"
                           else "同一学年")
            ax.set_title(f"{signal} {title}")
            ax.set_xlabel(xlabel)
            ax.set_yscale("log")
            ax.set_ylim(bottom=0.5)
            ax.legend(fontsize=8)
        fig.suptitle(f"各信号所看的量：正常数据（含双胞胎、同场地、重考等近似情形）与埋入案例（种子{seed}；"
                     f"年龄界限{PARAMETERS.age_min}–{PARAMETERS.age_max}岁、激增倍数{PARAMETERS.surge_ratio}为示例设置）",
                     fontsize=10)
        fig.tight_layout()
        _save(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--chart", type=Path)
    parser.add_argument("--explain", type=Path, help="also draw what each signal measures (.png)")
    args = parser.parse_args()
    if args.explain:
        explain_chart(args.explain, args.seed)
    pairs: list[tuple[str, float]] = []
    for signal, (planted, false, clean) in measure(args.seed).items():
        print(f"{signal}: planted {sorted(PLANTED[signal])} found {sorted(planted)}; "
              f"clean flagged {len(false)} of {clean} ({len(false) / clean:.1%})")
        zh = SIGNAL_ZH[signal]
        pairs += [(f"{zh}：埋入命中 {len(planted & PLANTED[signal])}/{len(PLANTED[signal])}",
                   len(planted & PLANTED[signal])),
                  (f"{zh}：正常机构误报 {len(false)}/{clean}", len(false))]
    if args.chart:
        from exports.oversight_charts import bar_chart

        bar_chart(pairs, args.chart, f"机构风险信号：埋入案例与含近似情形的正常数据（种子{args.seed}）", "家")


if __name__ == "__main__":
    main()
