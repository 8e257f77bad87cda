"""Jupyter notebooks as submissions: answers and code, read with nbformat; outputs are never read.

A notebook (format 4, validated against nbformat's schema) gives:

- **answers** from cells tagged ``answer:PROBLEM/PART`` (``answer:q3.2/dL/dW1``; a
  qualified problem uses a colon: ``answer:ece661-hw1/q3.2:dL/dW1``), code or
  Markdown (a student types LaTeX there), whose text is the answer in the answer
  language; and from an ``ANSWERS = {...}`` binding in its code, read as an
  answers ``.py`` would be (a literal without running it, else in the sandbox);
- **code** for module problems: the code cells run one by one in one namespace, in
  order, as Jupyter runs them (``gradekit/sandbox/child/cells.py``): a cell that fails
  is a note naming it (number and first line) and costs only the graded names that
  need it. Answer cells (tagged ``answer:``) are never code. A line magic or shell
  escape (``%matplotlib inline``, ``!pip install ...``) is left out line by line, the
  rest of its cell kept; a cell magic's cell (``%%time``) is left out, with a note.
  The cells run only in the sandbox, like a ``.py``.

The notebook's metadata ``gradekit.assignment`` (written by ``gradekit template
--format ipynb``) names the assignment. Stored outputs are ignored: a student can
type anything into them. Reading is bounded: the file's size (as for any answers
file), at most ``MAX_CELLS`` cells of at most ``MAX_CELL_CHARS`` characters, at most
``MAX_CODE_CHARS`` of code in all; and the parse itself (JSON, then nbformat's
schema, which costs gigabytes on megabytes of outputs) runs in a forked child under
``READ_BUDGET`` (``gradekit.core.bounded``) that drops the outputs before validating
and hands back only the cells' sources and tags.

>>> nb = read_notebook(Path("hw.ipynb"), Path("hw.ipynb").read_bytes())   # doctest: +SKIP
>>> nb.tagged_answers()                                                    # doctest: +SKIP
{'q3.2': {'L': '116'}}
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradekit.code.spec import MAX_PARSED_SOURCE_BYTES, MAX_SOURCE_BYTES, binds_answers
from gradekit.core.bounded import Budget, Ending, run_bounded
from gradekit.core.errors import SubmissionError
from gradekit.core.records import points
from gradekit.core.vocab import PartKind
from gradekit.intake.submission import read_py_source

if TYPE_CHECKING:
    from gradekit.sandbox.limits import Limits
    from gradekit.core.catalogs import ProblemSource

__all__ = ["Notebook", "read_notebook", "ANSWER_TAG", "MAX_CELLS", "MAX_CELL_CHARS", "MAX_CODE_CHARS", "answers_of",
           "template_notebook"]

ANSWER_TAG = "answer:"
MAX_CELLS = 2000
MAX_CELL_CHARS = 1_000_000
MAX_CODE_CHARS = MAX_SOURCE_BYTES  # as a module file: the code cells are one module
# An honest notebook of a few MiB reads in well under a second and a few hundred MiB.
READ_BUDGET = Budget(cpu_seconds=20, memory_bytes=2**30)


@dataclass
class Cell:
    number: int  # from 1, as Jupyter users count
    kind: str  # code | markdown | raw
    source: str
    tags: tuple[str, ...]

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.source.splitlines() if line.strip()), "")[:60]


@dataclass
class Notebook:
    path: Path
    cells: list[Cell]
    assignment: str | None = None
    notes: list[str] = field(default_factory=list)

    def tagged_answers(self) -> dict[str, dict[str, str]]:
        """``{problem: {part: text}}`` from the tagged cells; an empty cell is no answer."""
        out: dict[str, dict[str, str]] = {}
        seen: dict[tuple[str, str], int] = {}
        for cell in self.cells:
            for tag in cell.tags:
                if not tag.startswith(ANSWER_TAG):
                    continue
                problem, part = _split_tag(tag[len(ANSWER_TAG):], self.path, cell)
                text = cell.source.strip()
                if not text:
                    continue
                if (problem, part) in seen:
                    raise SubmissionError(f"{self.path}: cells {seen[problem, part]} and {cell.number} both answer "
                                          f"{problem}/{part}; keep one")
                seen[problem, part] = cell.number
                out.setdefault(problem, {})[part] = text
        return out

    def code_cells(self) -> list[tuple[Cell, str]]:
        """(cell, its Python) for each code cell that is code: answer cells and cell magics' cells left out,
        line magics and shell escapes blanked line by line (a note says which)."""
        out, by_text = [], self.too_big_to_parse()
        for cell in self.cells:
            if cell.kind != "code" or not cell.source.strip() or any(t.startswith(ANSWER_TAG) for t in cell.tags):
                continue
            if cell.first_line.startswith("%%"):
                self._note(f"cell {cell.number} left out: a cell magic ({cell.first_line[:40]}) runs it, not Python")
                continue
            python, dropped = python_of(cell.source, parse=not by_text)
            if dropped:
                lines = ", ".join(f"{n} ({text[:30]})" for n, text in dropped[:3]) + (" ..." if len(dropped) > 3 else "")
                self._note(f"cell {cell.number}: IPython line{'s' * (len(dropped) > 1)} {lines} left out, "
                           f"the rest of the cell run")
            out.append((cell, python))
        return out

    def code(self) -> str:
        """The code cells joined into one text, each after a ``# cell N`` line (to read ``ANSWERS`` from)."""
        return "\n".join(f"# cell {cell.number}\n{python.rstrip()}\n" for cell, python in self.code_cells())

    def module(self, per_cell_cpu: float, total_cpu: float) -> str:
        """The code cells as a module that runs them one by one (``gradekit/sandbox/child/cells.py``)."""
        from gradekit.sandbox.child import source as child_source

        cells = [(cell.number, cell.first_line, python, False) for cell, python in self.code_cells()]
        return (f"_gk_cells = {cells!r}\n_gk_cell_cpu = ({float(per_cell_cpu)!r}, {float(total_cpu)!r})\n\n"
                + child_source("cells"))

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def defined_in(self) -> dict[str, Cell]:
        """Top-level function and class names -> the (last) code cell that defines them."""
        where: dict[str, Cell] = {}
        by_text = self.too_big_to_parse()
        for cell, python in self.code_cells():
            for name in bound_names(python, functions_only=True, parse=not by_text):
                where[name] = cell
        return where

    def bound_by(self) -> dict[int, frozenset[str]]:
        """Cell number -> the names it binds at top level (defs, classes, assignments, imports)."""
        by_text = self.too_big_to_parse()
        return {cell.number: frozenset(bound_names(python, parse=not by_text)) for cell, python in self.code_cells()}

    def too_big_to_parse(self) -> bool:
        """Whether the code cells are too much text for ``ast`` in the grader: then names are found by a line
        scan, and the module itself is parsed only by the sandboxed child."""
        return sum(len(cell.source) for cell in self.cells if cell.kind == "code") > MAX_PARSED_SOURCE_BYTES


_MAGIC = re.compile(r"^\s*(?:[%!]|[\w.,\s\[\]]+=\s*[%!])")  # %magic, !shell, x = !shell, x = %magic


def python_of(source: str, parse: bool = True) -> tuple[str, list[tuple[int, str]]]:
    """A cell's text as Python: IPython's line magics and shell escapes become ``pass`` (same indentation,
    same line numbers). A cell that parses as Python is left as it is (a ``%`` inside a string stays);
    without ``parse`` (too much text for ``ast`` here) every magic-looking line is blanked."""
    if parse:
        try:
            ast.parse(source)
            return source, []
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    lines, dropped = source.split("\n"), []
    for i, line in enumerate(lines):
        if _MAGIC.match(line) and not line.lstrip().startswith("!="):
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}pass"
            dropped.append((i + 1, line.strip()))
    return "\n".join(lines), dropped


def bound_names(python: str, functions_only: bool = False, parse: bool = True) -> list[str]:
    """The names a cell binds at top level; by ast, or by a line scan when it does not parse (or ``parse``
    is off: too much text for ``ast`` in the grader)."""
    try:
        if not parse:
            raise ValueError("not parsed")
        tree = ast.parse(python)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        found = re.finditer(r"^(?:def|class)\s+(\w+)|^(\w+)\s*=", python, re.M)
        return [m.group(1) or m.group(2) for m in found if m.group(1) or not functions_only]
    names = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(stmt.name)
        elif functions_only:
            continue
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"]
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return names


def _split_tag(key: str, path: Path, cell: Cell) -> tuple[str, str]:
    """``q3.2/dL/dW1`` -> (q3.2, dL/dW1); ``ece661-hw1/q3.2:dL/dW1`` -> (ece661-hw1/q3.2, dL/dW1)."""
    problem, sep, part = key.partition(":") if ":" in key else key.partition("/")
    if not (problem and sep and part):
        raise SubmissionError(f"{path}: cell {cell.number} has the tag {ANSWER_TAG}{key!r}; write "
                              f"{ANSWER_TAG}PROBLEM/PART, e.g. {ANSWER_TAG}q3.2/L")
    return problem.strip(), part.strip()


def read_notebook(path: Path, data: bytes) -> Notebook:
    """The notebook in ``data``, validated and bounded; ``SubmissionError`` (one line) when it is not one."""
    import nbformat  # noqa: F401  here, before the fork: each read's child inherits it loaded

    done = run_bounded(_read_cells, (data,), READ_BUDGET)
    if done.ending is Ending.TIME:
        raise SubmissionError(f"{path}: reading it as a notebook took more than {READ_BUDGET.cpu_seconds:g} s of "
                              f"CPU time")
    if done.ending is Ending.MEMORY:
        raise SubmissionError(f"{path}: reading it as a notebook needed more than "
                              f"{READ_BUDGET.memory_bytes // 2**20} MiB of memory")
    if not done.done:
        raise SubmissionError(f"{path}: is not a valid notebook ({done.detail[:160]})")
    if "error" in done.value:
        raise SubmissionError(f"{path}: {done.value['error']}")
    cells = [Cell(number, kind, source, tuple(tags)) for number, kind, source, tags in done.value["cells"]]
    return Notebook(path, cells, done.value["assignment"])


def _read_cells(data: bytes) -> dict[str, Any]:
    """In the bounded child: ``{"cells": [[number, kind, source, tags]], "assignment": ...}`` or ``{"error": why}``."""
    import json
    import warnings

    import nbformat
    from nbformat.validator import normalize

    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        return {"error": f"is not a notebook (not JSON text: {str(e)[:80]})"}
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        return {"error": "is JSON but not a notebook (no cells)"}
    major = raw.get("nbformat")
    if major != 4:
        return {"error": f"notebook format {major!r}; open it in Jupyter and save it again (format 4)"}
    cells = raw.get("cells")
    if isinstance(cells, list) and len(cells) > MAX_CELLS:
        return {"error": f"has {len(cells)} cells; a notebook has at most {MAX_CELLS}"}
    for cell in cells if isinstance(cells, list) else ():
        if isinstance(cell, dict):  # never read, and the schema's walk over megabytes of them costs gigabytes
            if "outputs" in cell:
                cell["outputs"] = []
            cell.pop("attachments", None)
    try:
        with warnings.catch_warnings():  # cells without ids (older Jupyter, Colab) get ids, as nbformat advises
            warnings.simplefilter("ignore")
            _, raw = normalize(raw)
        nb = nbformat.from_dict(raw)
        nbformat.validate(nb)
    except (nbformat.ValidationError, ValueError, TypeError, KeyError, RecursionError) as e:
        message = str(getattr(e, "message", e)).splitlines()[0][:160]
        return {"error": f"is not a valid notebook ({message})"}
    out, code = [], 0
    for i, cell in enumerate(nb.cells, 1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if len(source) > MAX_CELL_CHARS:
            return {"error": f"cell {i} has {len(source)} characters; at most {MAX_CELL_CHARS}"}
        kind = cell.get("cell_type", "")
        code += len(source) if kind == "code" else 0
        if code > MAX_CODE_CHARS:
            return {"error": f"its code cells hold more than {MAX_CODE_CHARS} characters; at most "
                             f"{MAX_CODE_CHARS // 2**20} MiB, as for a module file"}
        tags = cell.get("metadata", {}).get("tags", [])
        out.append([i, kind, source, [str(t) for t in tags if isinstance(t, str)]])
    meta = nb.get("metadata", {}).get("gradekit", {})
    assignment = meta.get("assignment") if isinstance(meta, dict) and isinstance(meta.get("assignment"), str) else None
    return {"cells": out, "assignment": assignment}


def answers_of(nb: Notebook, limits: Limits | None) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The notebook's answers (an ``ANSWERS`` binding in its code, then its tagged cells) and its ASSIGNMENT."""

    answers: dict[str, dict[str, Any]] = {}
    assignment = nb.assignment
    code = nb.code()
    if code and binds_answers(code.encode()):
        raw = read_py_source(nb.path, code.encode(), limits)
        answers.update({k: dict(v) for k, v in raw.answers.items()})
        nb.notes.extend(raw.notes)
        assignment = assignment or raw.assignment
    for problem, parts in nb.tagged_answers().items():
        answers.setdefault(problem, {}).update(parts)
    return answers, assignment


def template_notebook(catalog: ProblemSource, assignment: str) -> str:
    """A student notebook: each problem's statement, an answer cell per part (tagged), and code problems' starters.

    Checked unchanged, it is "not answered" everywhere, with no error.
    """
    import nbformat
    from nbformat import v4

    from gradekit.code.spec import is_module_problem
    from gradekit.code.starter import starter
    from gradekit.core.plain import describe_answer

    meta = catalog.assignment(assignment)
    cells = [v4.new_markdown_cell(f"# {meta.title}\n\nAnswer each part in the cell under it (a number, a matrix "
                                  f"such as `[[1, 2], [3, 4]]`, LaTeX, or a formula); leave a cell empty to skip "
                                  f"it. Then: `gradekit check {assignment}.ipynb`.")]
    for problem in catalog.problems(assignment):
        cells.append(v4.new_markdown_cell(f"## {problem.id}: {problem.title}\n\n{problem.statement.strip()}"))
        if is_module_problem(problem):
            cells.append(v4.new_code_cell(starter(problem)))
            continue
        answers = catalog.solve(problem).answers
        for part in problem.parts:
            form = describe_answer(part.kind, answers.get(part.name), dict(part.options))
            about = f" — {part.description}" if part.description else ""
            cells.append(v4.new_markdown_cell(f"**{problem.id} / {part.name}** ({points(part.points)}): "
                                              f"{form}{about}"))
            kind = v4.new_markdown_cell if part.kind == PartKind.MANUAL else v4.new_code_cell
            cell = kind("")
            cell.metadata["tags"] = [f"{ANSWER_TAG}{problem.id}/{part.name}"]
            cells.append(cell)
    nb = v4.new_notebook(cells=cells, metadata={"gradekit": {"assignment": assignment},
                                                "kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
    nbformat.validate(nb)
    return nbformat.writes(nb)
