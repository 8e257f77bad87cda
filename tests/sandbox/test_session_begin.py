"""ModuleSession.begin(): the child starts (and imports its libraries) while the grader does other work."""

from __future__ import annotations

import numpy as np

from gradekit.code.session import ModuleSession

SOURCE = b"import numpy as np\ndef f(X):\n    return -X\n"


def test_a_begun_child_answers_its_first_call_and_is_started_once():
    with ModuleSession(SOURCE, "m.py") as s:
        s.begin()
        s.begin()  # asking twice starts one child
        assert not s.running  # alive, but the student's file is imported only by the first call
        r = s.call("f", np.arange(3.0))
        assert r.ok and np.array_equal(r.value, -np.arange(3.0))
        assert s.running and s.starts == 1


def test_a_begun_child_that_is_never_called_is_stopped_on_close():
    s = ModuleSession(SOURCE, "m.py")
    s.begin()
    proc = s._proc
    assert proc is not None and proc.poll() is None
    s.close()
    assert proc.poll() is not None and s._proc is None and not s.running


def test_a_begun_child_whose_file_fails_to_import_says_so_as_before():
    with ModuleSession(b"import nonexistent_module_xyz\n", "m.py") as s:
        s.begin()
        r = s.call("f", np.zeros(1))
        assert not r.ok and r.kind == "import" and "nonexistent_module_xyz" in r.message
