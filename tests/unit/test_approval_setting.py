"""Payment approval is on by default (issue 17); the environment and the per-policy setting override it."""

from __future__ import annotations

from pathlib import Path

from services.settings import load_settings


def test_approval_is_required_by_default_and_overridden_per_policy(tmp_path: Path) -> None:
    assert load_settings({}).needs_payment_approval("huludao-2019")
    assert not load_settings({"CLAIMS_PAYMENT_APPROVAL_REQUIRED": "false"}).needs_payment_approval("huludao-2019")
    settings = tmp_path / "settings.yaml"
    settings.write_text("payment:\n  approval:\n    by_policy: {ordos-2019: false}\n", encoding="utf-8")
    chosen = load_settings({"CLAIMS_SETTINGS": str(settings)})
    assert chosen.needs_payment_approval("huludao-2019") and not chosen.needs_payment_approval("ordos-2019")
