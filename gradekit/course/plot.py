"""report.png of a class's batch: the totals' histogram and each part's mean, as an instructor reads them.

Counts of students are whole numbers (the y-axis has integer ticks); the histogram has enough bins to show the
spread (one per point up to 25 points, else 25); a part nobody attempted is drawn apart (grey, hatched, labelled)
from a part everybody got wrong (a red mark at 0), since "not handed in" and "all wrong" call for different action.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradekit.core.vocab import Verdict

if TYPE_CHECKING:
    from gradekit.course.batch import BatchResult

__all__ = ["write_report_png", "report_figure", "attempted_shares", "total_bins", "MAX_BINS"]

MAX_BINS = 25
NOT_ATTEMPTED = "#bbbbbb"
ALL_WRONG = "#cc3311"


def total_bins(max_score: float) -> int:
    """One bin per point up to MAX_BINS points (integer totals fall one to a bin), else MAX_BINS.

    >>> total_bins(5), total_bins(40), total_bins(0)
    (5, 25, 1)
    """
    return max(1, min(MAX_BINS, math.ceil(max_score)))


def attempted_shares(result: BatchResult) -> dict[str, float]:
    """Per column, the share of the counted submissions that answered that part (any verdict but missing)."""
    rows = result.scored
    answered: dict[str, int] = dict.fromkeys(result.columns, 0)
    for r in rows:
        for prob in (r.get("report") or {}).get("problems", []):
            pid = prob["id"].split("/", 1)[-1]
            for part in prob["parts"]:
                col = f"{pid}:{part['name']}"
                if col in answered and part["verdict"] != Verdict.MISSING:
                    answered[col] += 1
    return {c: (k / len(rows) if rows else 0.0) for c, k in answered.items()}


def report_figure(result: BatchResult) -> Any:
    """The matplotlib figure of report.png (a test reads its axes)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a grading server
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    totals = [r["score"] for r in result.scored]
    table = result.part_table()
    tried = attempted_shares(result)
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 2]})
    a.hist(totals, bins=total_bins(result.max_score), range=(0, result.max_score or 1), color="#4477aa",
           edgecolor="white")
    a.yaxis.set_major_locator(MaxNLocator(integer=True))  # students come whole
    a.set(title=f"{result.assignment}: totals (n = {len(totals)})", xlabel=f"score / {result.max_score:g}",
          ylabel="students")
    nobody = [i for i, (col, *_) in enumerate(table) if tried.get(col, 0) == 0]
    wrong = [i for i, (col, _, mean, _) in enumerate(table) if tried.get(col, 0) > 0 and mean == 0]
    b.bar(range(len(table)), [mean for _, _, mean, _ in table], color="#66ccee")
    if nobody:
        b.bar(nobody, [1] * len(nobody), color=NOT_ATTEMPTED, alpha=0.5, hatch="//", edgecolor="#888888")
    if wrong:
        b.plot(wrong, [0.01] * len(wrong), linestyle="none", marker="v", color=ALL_WRONG, markersize=7)
    b.set_xticks(range(len(table)), [col for col, *_ in table], rotation=90, fontsize=6)
    b.set_ylim(0, 1)
    b.set(title="mean score per part, as a fraction of its points", ylabel="fraction of the part's points")
    b.legend(handles=[Patch(color="#66ccee", label="mean of the class"),
                      Patch(facecolor=NOT_ATTEMPTED, alpha=0.5, hatch="//", edgecolor="#888888",
                            label="nobody attempted"),
                      plt.Line2D([], [], linestyle="none", marker="v", color=ALL_WRONG, label="attempted, all wrong")],
             fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def write_report_png(result: BatchResult, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = report_figure(result)
    fig.savefig(path, dpi=110)
    plt.close(fig)
