"""The local override file: values inside bounds accepted, anything else refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.overrides import load_overrides, parse_overrides, policy_in_force
from rules.packs import PACK_DIR, PackError, load_pack


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(text, "utf-8")
    return path


def test_value_inside_a_bound_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "policies:\n  huludao-2019:\n    parameters:\n      advance.rate: 0.45\n")
    overrides = parse_overrides(path)
    from datetime import date

    local = overrides.value("huludao-2019", "advance.rate", date(2020, 1, 1))
    assert local is not None and str(local.value) == "0.45"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("huludao-2019:\n    parameters:\n      advance.rate: 0.6\n", "above the seed's maximum 0.5"),
        ("heilongjiang-2019:\n    parameters:\n      advance.rate: 0.6\n", "below the seed's minimum 0.7"),
        ("heilongjiang-2019:\n    parameters:\n      apprenticeship.amount: 3999\n", "below the seed's minimum"),
        ("nanxun-2019:\n    parameters:\n      skill_upgrade.amount.special_ability: 801\n", "above"),
        ("huludao-2019:\n    parameters:\n      skill_upgrade.amount.L5: 1600\n", "fixed by the seed"),
        ("zhumadian-2019:\n    parameters:\n      advance.rate: 0.4\n", "fixed by the seed"),
        ("huludao-2019:\n    parameters:\n      no.such.parameter: 1\n", "no parameter 'no.such.parameter'"),
        ("huludao-2019:\n    parmeters: {}\n", "parmeters"),
        ("shenzhen-2019:\n    in_force: true\n", "unknown policy"),
        ("huludao-2019:\n    parameters:\n      work_based_training.monthly_amount: -5\n", "positive"),
        # overrides stay inside the seed: a stated condition or cap cannot move, even inside its bound
        ("zhumadian-2019:\n    parameters:\n      work_based_training.poor_labor_employed_months: 12\n",
         "work_based_training.poor_labor_employed_months is a condition or cap the seed states"),
        ("heilongjiang-2019:\n    parameters:\n      work_based_training.months_cap: 4\n",
         "work_based_training.months_cap is a condition or cap the seed states"),
        ("huludao-2019:\n    parameters:\n      caps.annual_limit: 2\n", "condition or cap the seed states"),
    ],
)
def test_a_bad_override_is_refused_naming_file_and_key(tmp_path: Path, body: str, words: str) -> None:
    path = _write(tmp_path, "policies:\n  " + body)
    with pytest.raises(PackError) as err:
        parse_overrides(path)
    assert "local.yaml" in str(err.value)
    assert words in str(err.value), str(err.value)


def test_drafts_are_in_force_only_when_the_deployment_says_so(tmp_path: Path) -> None:
    zhumadian, huludao = load_pack("zhumadian-2019"), load_pack("huludao-2019")
    assert not policy_in_force(zhumadian, None)
    assert policy_in_force(huludao, None)
    path = _write(tmp_path, "policies:\n  zhumadian-2019:\n    in_force: true\n")
    assert policy_in_force(zhumadian, parse_overrides(path))
    assert not policy_in_force(load_pack("nanxun-2019"), parse_overrides(path))


def test_the_environment_variable_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "policies:\n  nanxun-2019:\n    in_force: true\n")
    monkeypatch.setenv("CLAIMS_LOCAL_OVERRIDES", str(path))
    assert load_overrides().path == path
    monkeypatch.delenv("CLAIMS_LOCAL_OVERRIDES")
    assert load_overrides().policies == {}


def test_the_demo_file_validates_and_fills_every_open_number() -> None:
    demo = parse_overrides(PACK_DIR.parent / "demo-overrides.yaml")
    assert "DEMO" in (PACK_DIR.parent / "demo-overrides.yaml").read_text("utf-8").splitlines()[1]
    for policy in ("huludao-2019", "nanxun-2019", "zhumadian-2019", "ordos-2019"):
        pack = load_pack(policy)
        assert set(pack.open_parameters()) <= set(demo.policies[policy].parameters)
        assert policy_in_force(pack, demo)


def test_approved_institutions_are_read_as_claims_read_payee_ids(tmp_path: Path) -> None:
    """A code typed with a lower-case letter or full-width digits is the claim's upper-case code
    (else every claim paid to it is refused institution_not_listed); a zero-width space is refused."""
    path = _write(tmp_path, "policies:\n  huludao-2019:\n    approved_institutions: "
                            "['９１２１１４０２000000000a', ' 91211402 000000001B']\n")
    listed = parse_overrides(path).approved_institutions("huludao-2019")
    assert listed == frozenset({"91211402000000000A", "91211402000000001B"})
    path = _write(tmp_path, "policies:\n  huludao-2019:\n    approved_institutions: ['91211402\u200b000000000A']\n")
    with pytest.raises(PackError, match=r"approved_institutions.*U\+200B"):
        parse_overrides(path)
