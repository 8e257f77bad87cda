"""The packages an assignment's students may import (``[students] packages``), as pip installs them where grading
runs: in this checkout's venv (``make students``) and in an autograder bundle's setup.sh.

torch and torchvision come as a pair built for each other. A torchvision that is not is found but cannot be
imported ("operator torchvision::nms does not exist": PyPI's torchvision for a CPU torch links the CUDA build's
libraries), so the pair is chosen, never each half on its own:

- on a grading machine of this project (``make students``): the pair that imports on this architecture, measured
  (``LOCAL_PAIRS``: on x86_64 a CUDA build, 5.5 GB; on aarch64 PyPI's builds are CPU builds);
- in a bundle's setup.sh: the grader's own torch version and its torchvision, both from PyTorch's CPU wheel index
  (``gradekit.course.autograder.TORCH_INDEX``), the one place a Gradescope image can get a CPU pair.

>>> cpu_pair("2.13.0+cpu")
('torch==2.13.0', 'torchvision==0.28.0')
>>> requirement("sklearn"), requirement("matplotlib")
('scikit-learn', 'matplotlib')
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Iterable, Sequence

from gradekit.core.studentenv import DISTRIBUTIONS

if TYPE_CHECKING:
    from gradekit.catalog.catalog import Catalog

__all__ = ["LOCAL_PAIRS", "cpu_pair", "local_requirements", "requirement", "declared_packages", "TORCH_PAIR"]

# (torch, torchvision) that import together here, by `uname -m` (measured 2026-12-01: torch 2.13.0's PyPI
# torchvision 0.28.0 fails to import on x86_64; 2.14.1 + 0.29.1 imports, a CUDA build that maps 3.2 GB to import,
# for which the sandbox counts a student's memory on top of the libraries: gradekit.sandbox.limits.Limits.preload)
LOCAL_PAIRS = {"x86_64": ("torch==2.14.1", "torchvision==0.29.1"), "aarch64": ("torch==2.9.1", "torchvision==0.24.1")}
TORCH_PAIR = ("torch", "torchvision")
_DISTRIBUTIONS = DISTRIBUTIONS  # import names whose distribution is named otherwise (gradekit.core.studentenv)


def requirement(package: str) -> str:
    """The pip name of an importable package's distribution."""
    return _DISTRIBUTIONS.get(package, package)


def cpu_pair(torch_version: str) -> tuple[str, str]:
    """torch at ``torch_version`` and the torchvision released with it (0.(minor + 15).patch since torch 2.0)."""
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", torch_version)
    if m is None or m.group(1) != "2":
        raise ValueError(f"torch {torch_version!r}: no torchvision known for it (torch 2.x only)")
    minor, patch = int(m.group(2)), int(m.group(3))
    return f"torch=={m.group(0)}", f"torchvision==0.{minor + 15}.{patch}"


def declared_packages(catalog: Catalog, assignments: Iterable[str] | None = None) -> list[str]:
    """Every package the assignments' students may import (all the catalog's by default), in declared order."""
    names = list(assignments) if assignments is not None else list(catalog.assignments)
    out: list[str] = []
    for name in names:
        for p in catalog.assignment(name).environment:
            if p not in out:
                out.append(p)
    return out


def local_requirements(packages: Sequence[str], machine: str) -> list[str]:
    """What ``make students`` installs for ``packages`` on ``machine`` (``uname -m``): torch/torchvision as the
    pair that imports there, the rest by name."""
    out = [requirement(p) for p in packages if p not in TORCH_PAIR]
    if any(p in TORCH_PAIR for p in packages):
        if machine not in LOCAL_PAIRS:
            raise ValueError(f"no torch/torchvision pair known to import on {machine}: "
                             f"known on {', '.join(LOCAL_PAIRS)}")
        out = [*LOCAL_PAIRS[machine], *out]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gradekit.course.students MACHINE``: the requirements ``make students`` installs, one a line."""
    import os

    from gradekit.catalog.catalog import load_catalog

    args = list(sys.argv[1:] if argv is None else argv)
    machine = args[0] if args else os.uname().machine
    for line in local_requirements(declared_packages(load_catalog()), machine):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
