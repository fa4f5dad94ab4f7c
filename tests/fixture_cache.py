"""What the fixtures build once per process, kept across pytest sessions.

pytest imports conftest.py afresh for each session; `make mutate` runs one session per mutant
in forks of one process, so the fixture model is trained and saved here only once.
"""

from __future__ import annotations

from typing import Any

ONCE: dict[str, Any] = {}
