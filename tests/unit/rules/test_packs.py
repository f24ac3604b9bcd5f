"""The packs as data: every number cited, validation errors naming file and key, targets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rules.packs import PACK_DIR, PackError, load_pack_file, load_packs
from rules.targets import target_tables

SEEDS = Path("/work/shared/seeds")


def test_five_packs_load_with_drafts_marked() -> None:
    packs = load_packs()
    assert sorted(packs) == sorted(
        ["huludao-2019", "heilongjiang-2019", "nanxun-2019", "zhumadian-2019", "ordos-2019"]
    )
    assert {p for p, pack in packs.items() if pack.draft} == {"nanxun-2019", "zhumadian-2019"}
    huludao = packs["huludao-2019"]
    assert (str(huludao.valid_from), str(huludao.valid_until)) == ("2019-07-31", "2021-12-31")


def test_every_number_has_a_source_clause_of_its_own_seed() -> None:
    for pack in load_packs().values():
        for name, param in pack.parameters.items():
            for entry in param.entries:
                assert entry.source.startswith(pack.seed + " "), (pack.policy, name)
                assert len(entry.source) > len(pack.seed) + 1, (pack.policy, name)
                if entry.kind == "open":
                    assert entry.value is None
                else:
                    assert entry.value is not None and entry.quote, (pack.policy, name)
        for table in pack.spec.targets:
            assert table.source.startswith(pack.seed + " ")
            assert all(r.source.startswith(pack.seed + " ") for r in table.rows)


@pytest.mark.skipif(not SEEDS.exists(), reason="seed documents not present")
def test_every_fixed_or_bound_figure_appears_in_its_seed() -> None:
    for pack in load_packs().values():
        text = (SEEDS / pack.seed).read_text("utf-8")
        for name, param in pack.parameters.items():
            for entry in param.entries:
                if entry.value is None:
                    continue
                figure = entry.value.normalize()
                shown = f"{int(figure * 100)}%" if param.unit == "rate" else f"{figure:f}"
                assert shown in text or shown in entry.quote, (pack.policy, name, shown)


def _broken(tmp_path: Path, change: object) -> Path:
    raw = yaml.safe_load((PACK_DIR / "huludao-2019.yaml").read_text("utf-8"))
    change(raw)  # type: ignore[operator]
    path = tmp_path / "huludao-2019.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def _set(path: list[str | int], value: object) -> object:
    def change(raw: dict) -> None:  # type: ignore[type-arg]
        node = raw
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (_set(["kinds", "skill_upgrade", "amount_typo"], 1), "kinds.skill_upgrade.amount_typo",
         "Extra inputs"),
        (_set(["parameters", "skill_upgrade.amount.L5", "values", 0, "value"], "lots"),
         "parameters.skill_upgrade.amount.L5.values.0.value", "decimal"),
        (_set(["validity", "end"], "2021-13-01"), "validity.end", "date"),
        (_set(["parameters", "advance.rate", "values", 0, "value"], 5), "parameters.advance.rate",
         "above 1"),
        (_set(["parameters", "skill_upgrade.amount.L5", "values"], [
            {"from": "2019-07-31", "until": "2020-12-31", "kind": "fixed", "value": 1500,
             "source": "000_024512f998c4ead0.txt 二(一)5"},
            {"from": "2020-12-31", "kind": "fixed", "value": 1600,
             "source": "000_024512f998c4ead0.txt 二(一)5"}]),
         "parameters.skill_upgrade.amount.L5", "overlap"),
        (_set(["parameters", "skill_upgrade.amount.L5", "values", 0, "source"], "二(一)5"),
         "parameters.skill_upgrade.amount.L5.values.0.source", "not a citation"),
        (_set(["parameters", "skill_upgrade.amount.L5", "values", 0, "kind"], "open"),
         "parameters.skill_upgrade.amount.L5.values.0", "open value has no number"),
        (_set(["kinds", "skill_upgrade", "rates", 0, "param"], "no.such"), "(top level)",
         "no.such"),
    ],
)
def test_a_broken_pack_is_refused_naming_file_and_key(
    tmp_path: Path, change: object, key: str, words: str
) -> None:
    path = _broken(tmp_path, change)
    with pytest.raises(PackError) as err:
        load_pack_file(path)
    message = str(err.value)
    assert "huludao-2019.yaml" in message
    assert key in message, message
    assert words.lower() in message.lower(), message


def test_target_tables_exactly_as_the_seeds_give_them() -> None:
    huludao = {t.key: t for t in target_tables("huludao-2019")}
    districts = huludao["districts_2019"]
    assert districts.total == 10000 == sum(r.target for r in districts.rows)
    assert {r.label_zh: r.target for r in districts.rows}["市直"] == 5620
    assert districts.row_for(region="211481").label_zh == "兴城市"
    assert huludao["three_years"].total == 30000
    cities = target_tables("heilongjiang-2019")[0]
    assert cities.total == 300000 == sum(r.target for r in cities.rows)
    assert cities.row_for(region="230103").label_zh == "哈尔滨"
    assert cities.row_for(region="232721").label_zh == "大兴安岭"
    ordos = {t.key: t for t in target_tables("ordos-2019")}
    assert ordos["departments"].total == 22600 == sum(r.target for r in ordos["departments"].rows)
    assert ordos["departments"].row_for(organizer="市应急管理局").target == 8000
    assert [r.target for r in ordos["stages"].rows] == [15000, 30000, 20000]
    assert ordos["stages"].total == 65000
    assert [t.total for t in target_tables("nanxun-2019")] == [30000]
    zhumadian = {t.key: t.total for t in target_tables("zhumadian-2019")}
    # 一(二) totals, and the sub-targets 二(一)2 6万 and 1万, 二(一)3 0.4万, 二(一)8 1万人次, 二(二)1 2000名学徒
    assert zhumadian == {"three_years_all": 250000, "three_years_subsidised": 150000, "rural_transfer": 60000,
                         "registered_unemployed": 10000, "poor_labor": 4000, "entrepreneurship": 10000,
                         "apprentices": 2000}


def test_nanxun_records_its_cross_policy_rule() -> None:
    rule = load_packs()["nanxun-2019"].spec.caps.cross_policy[0]
    assert rule.rule_zh == "市、区政策不重复享受"
    assert rule.source == "002_726346298f4f3b50.txt 四(一)1"
