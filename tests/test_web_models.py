"""The model the server uses: which kind it is, and swapping it."""

from __future__ import annotations

from pathlib import Path

import pytest

from intent.config import CHECKOUT_MODEL_PATH, MODEL_ENV_VAR
from intent.web.models import ModelSlot, kind_of


def test_kinds_shipped_personal_and_custom(tmp_path: Path) -> None:
    assert kind_of(CHECKOUT_MODEL_PATH, {"name": "intent-es"}) == "shipped"
    assert kind_of(tmp_path / "m.joblib", {"personal": {"corrections": 10}}) == "personal"
    assert kind_of(tmp_path / "intent-es.joblib", {"name": "intent-es"}) == "custom"  # a copy is not the shipped one


def test_the_slot_swaps_the_model_and_goes_back(
    mini_model_path: Path, mini_base_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MODEL_ENV_VAR, raising=False)
    slot = ModelSlot(mini_model_path)
    assert slot.info()["default"] is True and slot.info()["name"] == "mini"
    used = slot.use(mini_base_path)
    assert slot.current is used and slot.info()["name"] == "mini-base" and slot.info()["default"] is False
    assert slot.info()["path"] == str(mini_base_path.resolve())
    assert slot.use(None) is slot.default and slot.info()["default"] is True
    assert slot.use(mini_model_path) is slot.default  # the default by its path is the default
