"""Every test starts without the environment a CLI call may set (gradekit's global options travel that way).

``own_tempdir``: for the test files that ask for it (``pytestmark = pytest.mark.usefixtures("own_tempdir")``),
the sandbox's and batches' temporary folders go to the test's own folder (forked workers inherit it), so a
test that counts gradekit-* folders in the shared temp dir does not see another's, and one can list its own.
"""

import tempfile

import pytest


@pytest.fixture
def own_tempdir(tmp_path, monkeypatch):
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


@pytest.fixture(autouse=True)
def _clean_gradekit_environment(monkeypatch):
    for name in ("GRADEKIT_PROBLEMS", "GRADEKIT_REQUIRE_ISOLATION"):
        monkeypatch.delenv(name, raising=False)  # restored (unset) after the test, whatever the test set
