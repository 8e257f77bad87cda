"""report.png reads right: whole students on the y-axis, enough bins, and a part nobody attempted drawn apart
from a part everybody got wrong."""

import matplotlib.pyplot as plt
import pytest

from gradekit.course.batch import BatchResult
from gradekit.course.plot import ALL_WRONG, NOT_ATTEMPTED, attempted_shares, report_figure, write_report_png


def _row(student, a, b, c_verdict):
    parts = {"q1:a": a, "q1:b": b, "q2:c": 0}
    report = {"problems": [
        {"id": "hw/q1", "parts": [{"name": "a", "verdict": "correct" if a else "incorrect"},
                                  {"name": "b", "verdict": "incorrect"}]},
        {"id": "hw/q2", "parts": [{"name": "c", "verdict": c_verdict}]}]}
    return {"student": student, "score": a + b, "error": None, "grader_error": False, "parts": parts,
            "diagnoses": [], "report": report}


@pytest.fixture
def result():
    rows = [_row(s, a, 0, "missing") for s, a in (("ada", 4), ("bob", 4), ("cy", 0), ("dee", 4), ("eve", 0))]
    return BatchResult("hw", ["q1:a", "q1:b", "q2:c"], 12, {"q1:a": 4, "q1:b": 4, "q2:c": 4}, rows)


def test_attempted_shares_tell_missing_from_wrong(result):
    assert attempted_shares(result) == {"q1:a": 1.0, "q1:b": 1.0, "q2:c": 0.0}


def test_figure_integer_counts_enough_bins_and_distinct_parts(result):
    fig = report_figure(result)
    hist, parts = fig.axes
    ticks = [t for t in hist.get_yticks() if hist.get_ylim()[0] <= t <= hist.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)  # never half a student
    assert len(hist.patches) == 12  # one bin per point of a 12-point assignment
    heights = {round(p.get_x() + p.get_width() / 2): p.get_height() for p in hist.patches}
    assert heights[0] == 2 and heights[4] == 3  # cy and eve at 0; ada, bob and dee at 4
    bars = parts.patches
    grey = [p for p in bars if p.get_hatch() == "//"]
    assert len(grey) == 1 and round(grey[0].get_x() + grey[0].get_width() / 2) == 2  # q2:c, nobody attempted
    marks = [line for line in parts.get_lines() if line.get_color() == ALL_WRONG]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [1]  # q1:b: attempted by all, all wrong
    assert NOT_ATTEMPTED and "nobody attempted" in [t.get_text() for t in parts.get_legend().get_texts()]
    plt.close(fig)


def test_written_png(result, tmp_path):
    write_report_png(result, tmp_path / "report.png")
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
