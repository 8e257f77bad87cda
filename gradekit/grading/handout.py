"""A handout's checker (``check.py`` beside ``handout.json``): what students run before they hand in.

Every part's form is checked: an answer reads as its kind, a vector or matrix has the shape asked, a choice is one
of the choices, a module file parses, imports and defines the callables its problem grades. A part the instructor
marks public is graded in full, with gradekit's checker and the answer the manifest holds. A hidden part is never
compared with anything: the handout holds no answer for it, so the checker cannot say whether it is right.

>>> main(Path("handout"), ["answers.py", "linear.py"])      # doctest: +SKIP
0
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from gradekit.check.context import CheckContext
from gradekit.check.kinds import checker_for
from gradekit.core.errors import GradekitError, did_you_mean
from gradekit.core.records import Part
from gradekit.core.vocab import PartKind, Verdict
from gradekit.intake.submission import load_answers, read_bounded
from gradekit.intake.values import AnswerFormatError, parse_numeric

__all__ = ["check_files", "main", "HandoutRow", "HandoutCheck"]

MANIFEST = "handout.json"  # gradekit.course.handout.MANIFEST: written there, read here (course is above grading)
FORMAT = 1
MAX_MANIFEST_BYTES = 16 * 2**20


@dataclass(frozen=True)
class HandoutRow:
    """One part as the checker sees it: ``status`` is "graded" (public, with a score), "form ok", "not answered"
    or "bad form"; ``points`` the part's, ``score`` only for a graded part."""

    problem: str
    part: str
    status: str
    points: float
    score: float | None = None
    message: str = ""


@dataclass
class HandoutCheck:
    rows: list[HandoutRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every part answered in a form that reads, and every public part right."""
        return all(r.status in ("graded", "form ok") and (r.score is None or r.score >= r.points - 1e-9)
                   for r in self.rows)


def check_files(folder: Path, files: Sequence[Path]) -> HandoutCheck:
    """Check the student's ``files`` (an answers file, module files) against the handout in ``folder``."""
    manifest = _manifest(folder)
    result = HandoutCheck()
    answers_files = [f for f in files if f.suffix.lower() in (".json", ".toml")
                     or (f.suffix.lower() == ".py" and not _is_module(f, manifest))]
    modules = {f.name: f for f in files if f not in answers_files}
    answers: dict[str, Any] = {}
    for path in answers_files:
        raw = load_answers(path)
        if manifest.get("student") and raw.student and raw.student != manifest["student"]:
            result.notes.append(f"{path.name} says STUDENT = {raw.student!r}, but this handout is "
                                f"{manifest['student']!r}'s: the numbers may not be yours")
        for key, parts in raw.answers.items():
            answers[key.split("/", 1)[-1]] = parts
    result.notes += _unknown_names(answers, manifest)
    for problem in manifest["problems"]:
        if "file" in problem:
            result.rows += _check_module(problem, modules.get(problem["file"]))
        elif answers_files:
            given = answers.get(problem["id"], {})
            result.rows += [_check_part(problem["id"], part, given.get(part["name"]) if isinstance(given, dict)
                                        else None) for part in problem["parts"]]
    return result


MAX_NAMED = 20  # unknown keys named one by one; a file of junk keys stays cheap


def _unknown_names(answers: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """A note per answer key that names no problem, or no part of its problem, with a did-you-mean: an answer
    under a misspelt name is never graded."""
    parts = {p["id"]: [part["name"] for part in p["parts"]] for p in manifest["problems"] if "file" not in p}
    notes = []
    for key, given in list(answers.items())[:MAX_NAMED]:
        if key not in parts:
            notes.append(f"{str(key)[:40]!r} is no problem of this handout{did_you_mean(str(key)[:80], parts)}")
        elif isinstance(given, dict):
            notes += [f"{key}: {str(name)[:40]!r} is no part of it{did_you_mean(str(name)[:80], parts[key])}"
                      for name in list(given)[:MAX_NAMED] if name not in parts[key]]
    return notes


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        data = json.loads(read_bounded(path).decode("utf-8"))
    except (OSError, ValueError, GradekitError) as e:
        raise GradekitError(f"{path}: not a handout manifest ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise GradekitError(f"{path}: a handout of another gradekit version (format {data.get('format')!r}); "
                            f"this one reads format {FORMAT}")
    return data


def _is_module(path: Path, manifest: dict[str, Any]) -> bool:
    return any(p.get("file") == path.name for p in manifest["problems"])


# -- answers ------------------------------------------------------------------------------------------


def _check_part(problem: str, part: dict[str, Any], raw: Any) -> HandoutRow:
    points = float(part["points"])
    if part["kind"] == PartKind.MANUAL:
        status = "form ok" if raw not in (None, "") else "not answered"
        return HandoutRow(problem, part["name"], status, points, message="graded by hand")
    if raw is None or raw == "":
        return HandoutRow(problem, part["name"], "not answered", points, message=f"expected {part['form']}")
    if part.get("public"):
        spec = Part(part["name"], PartKind(part["kind"]), points, options=part.get("options", {}))
        outcome = checker_for(spec.kind)(part["answer"], raw, CheckContext(part=spec))
        if outcome.verdict == Verdict.INVALID:
            return HandoutRow(problem, part["name"], "bad form", points, message=outcome.feedback)
        return HandoutRow(problem, part["name"], "graded", points, round(outcome.fraction * points, 6),
                          outcome.feedback or outcome.verdict.value)
    why = _form_problem(part, raw)
    if why:
        return HandoutRow(problem, part["name"], "bad form", points, message=why)
    return HandoutRow(problem, part["name"], "form ok", points, message="graded when you hand it in")


def _form_problem(part: dict[str, Any], raw: Any) -> str:
    """Why ``raw`` is not in the part's form ("" when it is); never compared with an answer."""
    kind = part["kind"]
    if kind in (PartKind.NUMBER, PartKind.VECTOR, PartKind.MATRIX, PartKind.INTEGER):
        try:
            got = parse_numeric(raw, name=part["name"], kind=kind)
        except AnswerFormatError as e:
            return str(e)
        shape = part.get("shape")
        if shape is not None and [d for d in got.values.shape if d != 1] != [d for d in shape if d != 1]:
            return (f"shape: expected {'×'.join(map(str, shape))}, got "
                    f"{'×'.join(map(str, got.values.shape)) or 'a single number'}")
        if kind == PartKind.INTEGER and not float(got.values.ravel()[0]).is_integer():
            return "expected an integer"
        return ""
    if kind in (PartKind.CHOICE, PartKind.BOOL):
        options = [True, False] if kind == PartKind.BOOL else part.get("choices") or []
        if not options:
            return ""
        spec = Part(part["name"], PartKind(kind), options={"choices": options} if kind == PartKind.CHOICE else {})
        check = checker_for(kind)
        multiple = kind == PartKind.CHOICE and isinstance(raw, list)
        values = raw if multiple else [raw]
        for value in values:
            if not any(check(o, value, CheckContext(part=spec)).verdict == Verdict.CORRECT for o in options):
                return f"expected {part['form']}, got {str(value)[:60]!r}"
        return ""
    return ""  # formulas, inequalities, symbols: read when graded


# -- module files ---------------------------------------------------------------------------------------


def _check_module(problem: dict[str, Any], path: Path | None) -> list[HandoutRow]:
    name, parts = problem["id"], problem["parts"]

    def rows(status: str, message: str, missing: Sequence[str] = ()) -> list[HandoutRow]:
        return [HandoutRow(name, p["name"], "bad form" if p["name"] in missing else status, float(p["points"]),
                           message=f"{problem['file']} does not define {p['name']}" if p["name"] in missing
                           else message) for p in parts]

    if path is None:
        return rows("not answered", f"give {problem['file']} to check it")
    source = read_bounded(path)
    module = path.name
    if path.suffix.lower() == ".ipynb":  # its code cells, one after another, as a module (as grading runs them)
        from gradekit.intake.notebook import read_notebook

        source, module = read_notebook(path, source).code().encode(), f"{path.stem}.py"
    try:
        ast.parse(source)
    except SyntaxError as e:
        return rows("bad form", f"{path.name} does not parse: line {e.lineno}: {e.msg}")
    error, missing = _import_in_child(module, source, problem["defines"])
    if error:
        return rows("bad form", f"{path.name} does not import: {error}")
    return rows("form ok", "defined; graded when you hand it in", missing)


_IMPORT_PROBE = '''
import importlib.util, json, sys
out = {"error": None, "missing": []}
try:
    spec = importlib.util.spec_from_file_location("student_module", FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["student_module"] = module
    spec.loader.exec_module(module)
    for name in NAMES:
        obj = module
        for attr in name.split("."):
            obj = getattr(obj, attr, None)
        if obj is None or not callable(obj):
            out["missing"].append(name)
except BaseException as e:
    out["error"] = (type(e).__name__ + ": " + str(e))[:300]
with open("result.json", "w") as f:
    json.dump(out, f)
'''


def _import_in_child(file: str, source: bytes, names: Sequence[str]) -> tuple[str | None, list[str]]:
    """Import the module in a sandbox child, as grading does; (why it failed, the names it does not define)."""
    from dataclasses import replace

    from gradekit.code.environment import preload_packages
    from gradekit.sandbox.limits import Limits
    from gradekit.sandbox.process import run_child

    limits = Limits(cpu_seconds=60, wall_seconds=120)
    limits = replace(limits, preload=preload_packages(source))
    script = _IMPORT_PROBE.replace("FILE", repr(file)).replace("NAMES", repr(list(names)))
    try:
        done = run_child(script, {file: source}, limits)
    except GradekitError as e:
        return f"could not be run here ({e})", []
    if done.result is None:
        why = "ran out of time" if done.timed_out else (done.stderr.strip().splitlines() or ["it stopped"])[-1]
        return why[:300], []
    data = json.loads(done.result)
    return data["error"], list(data["missing"])


# -- the script --------------------------------------------------------------------------------------------


def main(folder: Path, argv: Sequence[str]) -> int:
    """check.py: print one line per part and a summary; 0 when all is in form (public parts right), 1 when not,
    2 on bad input."""
    import sys

    if not argv:
        print("usage: python check.py answers.py [your .py files]", file=sys.stderr)
        return 2
    try:
        result = check_files(folder, [Path(a) for a in argv])
    except GradekitError as e:
        print(f"check: error: {e}", file=sys.stderr)
        return 2
    for note in result.notes:
        print(f"note: {note}")
    for r in result.rows:
        score = f"{r.score:g}/{r.points:g}" if r.score is not None else f"-/{r.points:g}"
        print(f"{r.problem}: {r.part}: {r.status} ({score}) {r.message}".rstrip())
    graded = [r for r in result.rows if r.score is not None]
    print(f"public parts: {sum(r.score or 0 for r in graded):g}/{sum(r.points for r in graded):g}; "
          f"{sum(r.status == 'form ok' for r in result.rows)} other parts in form, graded when you hand in")
    return 0 if result.ok else 1
