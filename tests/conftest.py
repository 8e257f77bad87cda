"""Every test starts without the environment a CLI call may set (gradekit's global options travel that way)."""

import pytest


@pytest.fixture(autouse=True)
def _clean_gradekit_environment(monkeypatch):
    for name in ("GRADEKIT_PROBLEMS", "GRADEKIT_REQUIRE_ISOLATION"):
        monkeypatch.delenv(name, raising=False)  # restored (unset) after the test, whatever the test set
