from __future__ import annotations

import json
from pathlib import Path

from intent.model import IntentModel
from intent.report.evaluation import evaluate_model
from intent.report.files import write_report


def test_write_report_files(mini_model: IntentModel, mini_data: tuple[list[str], list[str]], tmp_path: Path) -> None:
    texts, labels = mini_data
    result = evaluate_model(mini_model, texts, labels)
    report = write_report(result, tmp_path / "r", "mini.csv", "mini")
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "confusion_matrix.png",
        "metrics.json",
        "reliability.png",
        "report.md",
    ]
    for png in ("confusion_matrix.png", "reliability.png"):
        assert (tmp_path / "r" / png).read_bytes().startswith(b"\x89PNG")
    text = report.read_text(encoding="utf-8")
    assert "Macro-F1" in text and "Brier" in text and "most confident errors" in text
    assert json.loads((tmp_path / "r" / "metrics.json").read_text(encoding="utf-8"))["n"] == len(texts)
