"""Read an answers file (.json, .toml or .py) into plain data, keeping number text.

Every float stays the text the student wrote ("1.00", "-0.0116", "1e-3"), so a
checker can judge the digits given. A ``.py`` file whose ``ANSWERS`` is a
literal is read with ``ast`` and never runs; one that computes runs in a
sandboxed child (``gradekit.sandbox.process``) that returns JSON.

>>> sub = load_answers("answers.toml")          # doctest: +SKIP
>>> sub.assignment, sub.answers["q3.2"]["L"]     # doctest: +SKIP
('ece661-hw1', '116.0')

Accepted layouts (JSON; TOML and a .py ``ANSWERS`` alike)::

    {"assignment": "ece661-hw1", "student": "ada", "q3.2": {"L": 116, "dL/dW1": [[0, 0, 0], [34, 34, -34]]}}
    {"id": "ece661-hw1/q3.2", "answers": {"L": 116}, "steps": [...]}     # gradekit solve --json
    [{"id": "...", "answers": {...}}, ...]

Problem keys are kept as written (bare "q3.2" or qualified "ece661-hw1/q3.2").
"""

from __future__ import annotations

import ast
import codecs
import functools
import importlib.util
import json
import re
import signal
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from gradekit.core.errors import NoAnswersError, SubmissionError
from gradekit.core.files import read_file
from gradekit.core.reader.numbers import FloatText

if TYPE_CHECKING:  # the sandbox is imported only when a .py must run: a .json or .toml never loads it
    from gradekit.sandbox.process import Limits

__all__ = ["RawSubmission", "Unreadable", "load_answers", "MAX_FILE_BYTES", "SUFFIXES", "read_bounded",
           "read_py_source"]

MAX_FILE_BYTES = 16 * 2**20
MAX_DEPTH = 32  # nesting of plain data: a rank-4 tensor in a part needs 6
MAX_TABLES = 20_000  # JSON objects in one answers file (a table per problem and per part)
MAX_TOML_BYTES = 2 * 2**20
MAX_LITERAL_PY_BYTES = 2**20  # larger .py files are parsed in the sandbox, where a blow-up costs only them
# Values a literal .py may build, counting a name's value again each time it is used: names inside
# names multiply (a=[1]*10 written out, b=[a,a,...], c=[b,b,...]: 721 bytes make 10^10 values)
MAX_LITERAL_VALUES = 2_000_000
MAX_LISTS = 1_000_000  # JSON arrays in one answers file or child result: a matrix is one per row
MAX_INT_DIGITS = 4300  # Python's own limit for int(text); a longer integer is kept as its text
_META = ("assignment", "student")


@dataclass
class RawSubmission:
    """A submission's answers as plain data: problem key as written -> {part: raw value}.

    Raw values are None, bool, int, str (floats as their text), lists and dicts.
    """

    path: Path
    answers: dict[str, dict[str, Any]]
    assignment: str | None = None
    student: str | None = None
    key: bool = False  # laid out as `gradekit solve --json` prints a key (a solved problem, a list, a whole key)
    notes: list[str] = field(default_factory=list)  # what was read and left aside: a note key ("_source")


@dataclass(frozen=True)
class Unreadable:
    """One answer a computing .py could not hand back (an object that is not data, a list of 10⁸ values):
    it costs only its part, which is graded invalid with this reason."""

    reason: str


def load_answers(path: str | Path, *, limits: Limits | None = None, data: bytes | None = None) -> RawSubmission:
    """Read an answers file; raise ``SubmissionError`` with one line naming it and why.

    ``data``: the file's bytes when the caller read them already (``read_bounded``, from its submission folder).
    """
    path = Path(path)
    data = read_bounded(path) if data is None else data  # refuses an unknown suffix too
    if path.suffix.lower() not in _READERS:
        _fail(path, "is a notebook: its answers and code are read by gradekit.intake.notebook (gradekit check "
                    "grades it)")
    return _READERS[path.suffix.lower()](path, data, limits)


def read_bounded(path: Path, *, root: Path | None = None) -> bytes:
    """The bytes of a submission file, refused (one line) when missing, a link (to the reference, a classmate's
    file), not a regular file of one name, of an unknown suffix, or too large. ``root``: the submission's folder
    that holds it, no link followed below it (``gradekit.core.files``)."""
    if path.suffix.lower() not in SUFFIXES and not path.is_dir():
        _fail(path, f"unknown suffix {path.suffix!r}; answers files end in .json, .toml, .py or .ipynb")
    return read_file(path, MAX_FILE_BYTES, root=root)


def _fail(path: Path, reason: str) -> NoReturn:
    reason = re.sub(r"\s*[\r\n]+\s*", " ", reason.strip())
    if len(reason) > 500:
        reason = reason[:497] + "..."
    raise SubmissionError(f"{path}: {reason}")


def _text(path: Path, data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        _fail(path, f"is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})")


# -- JSON and TOML -----------------------------------------------------------------


def _read_json(path: Path, data: bytes, limits: Limits | None) -> RawSubmission:
    _count_containers(path, data, "has")
    return _layout(path, _json_value(path, _text(path, data), "invalid JSON"), root="")


def _count_containers(path: Path, data: bytes, verb: str) -> None:
    """Bound the work before parsing: an honest file has a table per problem and per part, a few hundred
    at most, and a list per matrix row; a junk file of millions of either stops here."""
    tables = data.count(b"{")
    if tables > MAX_TABLES:
        _fail(path, f"{verb} {tables} JSON objects; an answers file has at most {MAX_TABLES} "
                    f"(one per problem and per part)")
    lists = data.count(b"[")
    if lists > MAX_LISTS:
        _fail(path, f"{verb} {lists} JSON arrays; an answers file has at most {MAX_LISTS}")


def _json_value(path: Path, text: str, what: str) -> Any:
    try:
        try:
            return json.loads(text, parse_float=FloatText, parse_constant=_json_constant,
                              object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError:
            raise
        except ValueError:
            # an integer of more than 4300 digits (or a duplicate key, raised again): integers that long are
            # kept as their text, so only their part is refused ("integer with 5000 digits"); parsed again
            # only then, so an honest file never pays for the hook
            return json.loads(text, parse_float=FloatText, parse_constant=_json_constant,
                              object_pairs_hook=_no_duplicates, parse_int=_bounded_int)
    except json.JSONDecodeError as e:
        _fail(path, f"{what} at line {e.lineno}, column {e.colno}: {e.msg}")
    except ValueError as e:  # a duplicate key
        _fail(path, f"{what}: {e}")
    except RecursionError:
        _fail(path, f"{what}: nested too deeply")


def _bounded_int(text: str) -> int | str:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else text


def _json_constant(name: str) -> str:
    return {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[name]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)  # in C; the loop below runs only when a key repeats
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {json.dumps(key)}")
            seen.add(key)
    return out


def _read_toml(path: Path, data: bytes, limits: Limits | None) -> RawSubmission:
    if len(data) > MAX_TOML_BYTES:  # tomllib is pure Python: bound its work (JSON holds large matrices)
        _fail(path, f"has {len(data)} bytes; TOML answers files are at most {MAX_TOML_BYTES // 2**20} MiB "
                    f"(use .json for large arrays)")
    text = _text(path, data)
    try:
        try:
            value = tomllib.loads(text, parse_float=str)  # the message ends "(at line L, column C)"
        except tomllib.TOMLDecodeError:
            raise
        except ValueError:
            # an integer of more than 4300 digits (int() refuses it): read as its text, so only its part is
            # refused; parsed again only then
            quoted = _LONG_TOML_INT.sub(r'\1"\2"', text)
            if quoted == text:
                raise
            value = tomllib.loads(quoted, parse_float=str)
    except tomllib.TOMLDecodeError as e:
        _fail(path, f"invalid TOML: {e}")
    except ValueError as e:
        _fail(path, f"invalid TOML: {str(e)[:200]}")
    except RecursionError:
        _fail(path, "invalid TOML: nested too deeply")
    return _layout(path, value, root="")


# a bare decimal integer of more than MAX_INT_DIGITS digits, as a value or an array item
_LONG_TOML_INT = re.compile(r"([=\[,]\s*)([+-]?\d[\d_]{%d,})(?=\s*(?:[\],#\r\n]|$))" % MAX_INT_DIGITS)


# -- layouts and plain data ----------------------------------------------------------


def _layout(path: Path, value: Any, root: str, assignment: Any = None,
            student: Any = None) -> RawSubmission:
    """Normalise the accepted layouts to {problem: {part: value}} and check plain data.

    A key that starts with ``_`` (``"_source": "typed from my PDF"``), at the top or among a problem's parts, is
    the student's note: left aside, and said."""
    answers: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    solved = isinstance(value, list) or _is_solved(value) or _is_solved_key(value)
    if isinstance(value, list):
        for i, item in enumerate(value):
            if not _is_solved(item):
                _fail(path, f"{root}[{i}] should be an object like {{\"id\": \"q3.2\", "
                            f"\"answers\": {{...}}}} (the output of gradekit solve --json)")
            if item["id"] in answers:
                _fail(path, f"{root}[{i}] repeats the id {json.dumps(item['id'])}")
            answers[item["id"]] = _parts(path, item["answers"], (root, i, "answers"), notes)
    elif _is_solved(value):
        answers[value["id"]] = _parts(path, value["answers"], (root, "answers"), notes)
    elif _is_solved_key(value):  # `gradekit solve -a ASSIGNMENT --json`: the whole key, as it is printed
        keyed = _layout(path, value["problems"], f"{root}.problems" if root else "problems")
        answers, notes = keyed.answers, keyed.notes
        assignment = value.get("assignment") if assignment is None else assignment
        student = value.get("student") if student is None else student
    elif isinstance(value, dict):
        for key, parts in value.items():
            if not isinstance(key, str):
                _fail(path, f"{root or 'the top level'} has the key {key!r}; problem ids are strings")
            if key in _META:
                continue
            if key.startswith(_NOTE):
                notes.append(_note(key))
                continue
            answers[key] = _parts(path, parts, (root, key), notes)
        assignment = value.get("assignment") if assignment is None else assignment
        student = value.get("student") if student is None else student
    else:
        _fail(path, f"{root or 'the top level'} is {_describe(value)}, but it should map "
                    'problem ids to {part: answer}, e.g. {"q3.2": {"L": 116}}')
    for name, meta in (("assignment", assignment), ("student", student)):
        if meta is not None and not isinstance(meta, str):
            _fail(path, f"{name} is {_describe(meta)}, but it should be a string")
    return RawSubmission(path, answers, assignment, student, key=solved, notes=notes)


_NOTE = "_"


def _note(key: str) -> str:
    return f"left aside the note {json.dumps(key[:40], ensure_ascii=False)} (a key that starts with '_' is not graded)"


def _is_solved(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str) and "answers" in value


def _is_solved_key(value: Any) -> bool:
    """A whole assignment's key as ``solve -a A --json`` prints it: {"assignment", "student", "problems": [...]}."""
    return (isinstance(value, dict) and isinstance(value.get("problems"), list)
            and set(value) <= {"assignment", "student", "problems", "notes"})


def _parts(path: Path, parts: Any, trail: tuple, notes: list[str]) -> dict[str, Any]:
    if not isinstance(parts, dict):
        _fail(path, f"{_where(trail)} is {_describe(parts)}, but it should map part names to "
                    'answers, e.g. {"L": 116}')
    for key, value in parts.items():
        if not isinstance(key, str):
            _fail(path, f"{_where(trail)} has the key {key!r}; part names are strings")
        _check_plain(path, value, (*trail, key), 0)
    aside = [key for key in parts if key.startswith(_NOTE)]
    if not aside:
        return parts
    notes.extend(_note(key) for key in aside)
    return {k: v for k, v in parts.items() if k not in aside}


_SCALARS = (type(None), bool, int, str, Unreadable)


def _check_plain(path: Path, value: Any, trail: tuple, depth: int) -> None:
    """Plain data only, at most MAX_DEPTH deep. ``trail`` is formatted only for a message: large
    matrices and junk files cost one type check per value, not a string per value."""
    if depth > MAX_DEPTH:
        _fail(path, f"{_where(trail)} is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, _SCALARS):
        return
    if isinstance(value, list):
        if all(isinstance(item, _SCALARS) for item in value):
            return
        for i, item in enumerate(value):
            _check_plain(path, item, (*trail, i), depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                _fail(path, f"{_where(trail)} has the key {key!r}; keys are strings")
            _check_plain(path, item, (*trail, key), depth + 1)
    else:
        _fail(path, f"{_where(trail)} is {_describe(value)}, which is not an answer; "
                    "use numbers, strings, booleans, lists or tables")


def _where(trail: tuple) -> str:
    """('ANSWERS', 'q3.2', 'W', 0) -> ANSWERS["q3.2"]["W"][0]: a value's place, as the student wrote it."""
    root, *keys = trail
    return root + "".join(f"[{k}]" if isinstance(k, int) else f"[{json.dumps(k, ensure_ascii=False)}]"
                          for k in keys)


def _describe(value: Any) -> str:
    kind = type(value)
    if kind.__module__ == "datetime":
        return f"a date/time ({value})"
    names = {dict: "a table", list: "a list", str: "a string", int: "a number",
             bool: "a boolean", type(None): "null"}
    return names.get(kind, f"a {kind.__name__}")


# -- .py: literal files are read, computing files run in the sandbox -------------------


def read_py_source(path: Path, data: bytes, limits: Limits | None) -> RawSubmission:
    """The answers of Python source ``data`` (a file's, or a notebook's code cells), as for an answers .py."""
    if len(data) > MAX_LITERAL_PY_BYTES:  # ast of megabytes costs seconds and gigabytes: not in the grader
        return _run_py(path, data, limits)
    try:
        text = importlib.util.decode_source(data)  # honours a coding cookie and a BOM
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as e:
        _fail(path, f"SyntaxError at line {e.lineno}: {e.msg}" if e.lineno else f"SyntaxError: {e.msg}")
    except (UnicodeDecodeError, ValueError) as e:  # bad bytes, NUL bytes
        _fail(path, f"cannot be parsed as Python ({e})")
    except (RecursionError, MemoryError):
        _fail(path, "cannot be parsed as Python: nested too deeply")
    try:
        names = _Literals(text).module(tree)
    except _Computes:
        return _run_py(path, data, limits)
    except _TooMany:
        _fail(path, f"builds more than {MAX_LITERAL_VALUES:,} values (each use of a name counts its values "
                    f"again); an answers file holds at most that many")
    if "ANSWERS" not in names:
        raise NoAnswersError(f"{path}: {_NO_ANSWERS}")
    return _layout(path, names["ANSWERS"], "ANSWERS", names.get("ASSIGNMENT"),
                   names.get("STUDENT"))


_NO_ANSWERS = 'no ANSWERS; define ANSWERS = {"q3.2": {"L": 116, ...}, ...} at module level'


class _Computes(Exception):
    """The file does more than bind literals, so only running it gives its ANSWERS."""


class _TooMany(Exception):
    """The literals would build more than MAX_LITERAL_VALUES values."""


class _Literals:
    """Evaluate a module made of literal assignments without running it.

    Allowed: a docstring, ``import numpy [as np]``, ``NAME = literal``, where a
    literal is a constant, -/+ a number, a list/tuple/dict of literals,
    ``np.array(literal)``, or a name bound earlier to a literal. Floats become
    their source text; anything else raises ``_Computes``.

    A name's value is shared where it is used, not copied, and counted again each
    time: past ``MAX_LITERAL_VALUES`` values in all, ``_TooMany`` stops the reading
    before the sharing turns into work (every later walk expands it).
    """

    def __init__(self, text: str):
        # ast offsets are UTF-8 byte columns; a float token never spans lines.
        self._lines = text.encode("utf-8").split(b"\n")
        self._numpy: set[str] = set()
        self._names: dict[str, Any] = {}
        self._sizes: dict[str, int] = {}  # values each name's value holds, its nested names expanded
        self._built = 0

    def module(self, tree: ast.Module) -> dict[str, Any]:
        for stmt in tree.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                    and isinstance(stmt.value.value, str):
                continue  # a docstring
            if isinstance(stmt, ast.Import) and all(a.name == "numpy" for a in stmt.names):
                self._numpy.update(a.asname or "numpy" for a in stmt.names)
                continue
            if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                targets, node = [t.id for t in stmt.targets if isinstance(t, ast.Name)], stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                    and stmt.value is not None:
                targets, node = [stmt.target.id], stmt.value
            else:
                raise _Computes
            before = self._built
            value = self.value(node)
            for name in targets:
                self._names[name] = value
                self._sizes[name] = self._built - before
                self._numpy.discard(name)
        return self._names

    def _count(self, values: int) -> None:
        self._built += values
        if self._built > MAX_LITERAL_VALUES:
            raise _TooMany

    def value(self, node: ast.expr) -> Any:
        self._count(1)
        if isinstance(node, ast.Constant):
            v = node.value
            if v is None or isinstance(v, (bool, int, str)):
                return v
            if isinstance(v, float):
                return self._float_text(node)
            raise _Computes  # complex, bytes, ...: the child names the bad part
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self._signed(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(e) for e in node.elts]
        if isinstance(node, ast.Dict):
            out = {}
            for k, v in zip(node.keys, node.values):
                if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                    raise _Computes  # **spread, a computed or non-string key
                out[k.value] = self.value(v)
            return out
        if isinstance(node, ast.Call) and self._is_np_array(node.func) \
                and len(node.args) == 1 and not node.keywords \
                and not isinstance(node.args[0], ast.Starred):
            return self.value(node.args[0])
        if isinstance(node, ast.Name) and node.id in self._names:
            self._count(self._sizes[node.id])
            return self._names[node.id]  # shared: nothing downstream changes an answer in place
        raise _Computes

    def _is_np_array(self, func: ast.expr) -> bool:
        return (isinstance(func, ast.Attribute) and func.attr == "array"
                and isinstance(func.value, ast.Name) and func.value.id in self._numpy)

    def _signed(self, node: ast.expr) -> int | str:
        negative = False
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            negative ^= isinstance(node.op, ast.USub)
            node = node.operand
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool) \
                or not isinstance(node.value, (int, float)):
            raise _Computes  # -True, -x, -(1 + 2)
        if isinstance(node.value, int):
            return -node.value if negative else node.value
        return ("-" if negative else "") + self._float_text(node)

    def _float_text(self, node: ast.Constant) -> str:
        if node.lineno != node.end_lineno:
            raise _Computes
        line = self._lines[node.lineno - 1]
        return line[node.col_offset:node.end_col_offset].decode("ascii").replace("_", "")


# an answers file's wall-clock backstop, in multiples of its CPU-time limit (at least): a loop starved of CPU on a
# busy machine must reach its RLIMIT_CPU first (the load average lags a surge), so only a file that waits is cut here
_WALL_BACKSTOP = 4.0
_WALL_PER_LOAD = 3.0  # ... or this many times the 1-minute load per CPU, if more


def _run_py(path: Path, data: bytes, limits: Limits | None) -> RawSubmission:
    import math
    from dataclasses import replace

    from gradekit.code.environment import preload_packages
    from gradekit.sandbox.cputime import load_factor
    from gradekit.sandbox.process import Limits, run_child

    limits = limits or Limits()
    # The time limit is CPU time (RLIMIT_CPU), so a file's grade does not depend on the machine's load; the wall
    # clock is a backstop only, for a file that waits without computing, stretched by the load as it is now.
    budget = min(float(limits.cpu_seconds), float(limits.wall_seconds))
    backstop = limits.wall_seconds * max(_WALL_BACKSTOP, _WALL_PER_LOAD * load_factor())
    # the heavy libraries it imports come in before its code, its memory budget on top of them (Limits.preload)
    run_limits = replace(limits, cpu_seconds=max(1, math.ceil(budget)), wall_seconds=backstop,
                         preload=tuple(dict.fromkeys((*limits.preload, *preload_packages(data)))))
    script = _bootstrap().replace("__OUTPUT_CAP__", str(limits.output_bytes))
    r = run_child(script, {"answers.py": data}, run_limits)
    if r.timed_out:
        _fail(path, f"did not finish within {budget:g} s: it waited {backstop:.0f} s of wall-clock time without "
                    f"using its {budget:g} s of CPU time (asleep or blocked)")
    if r.killed_by_signal == signal.SIGXCPU:
        _fail(path, f"did not finish within {budget:g} s of CPU time")
    if r.killed_by_signal == signal.SIGXFSZ:
        _fail(path, f"wrote more than {limits.file_bytes // 2**20} MiB to a file or its output")
    memory = f"ran out of memory (the limit is {limits.memory_bytes / 2**30:g} GiB)"
    if r.returncode != 0:
        if re.search(r"MemoryError|Cannot allocate memory|bad_alloc|out of memory", r.stderr):
            _fail(path, memory)
        last = [line for line in r.stderr.splitlines() if line.strip()]
        how = (f"signal {signal.Signals(r.killed_by_signal).name}" if r.killed_by_signal
               else f"exit code {r.returncode}")
        _fail(path, f"crashed ({how})" + (f": {last[-1].strip()}" if last else ""))
    if r.result_error:
        _fail(path, f"returned unusable data: {r.result_error}")
    if r.result is None:
        _fail(path, "stopped (exit code 0) before returning ANSWERS; do not call os._exit")
    _count_containers(path, r.result, "returned")  # as for an answers file: a million tables stop here
    try:
        payload = json.loads(r.result.decode("utf-8"), parse_float=FloatText,
                             parse_constant=_json_constant)
    except (ValueError, RecursionError):
        _fail(path, "returned data that is not JSON")
    if not isinstance(payload, dict) or not isinstance(payload.get("ok"), bool):
        _fail(path, "returned data in an unknown shape")
    if not payload["ok"]:
        if payload.get("kind") == "missing":
            raise NoAnswersError(f"{path}: {_NO_ANSWERS}")
        line = payload.get("line")
        where = f"line {line}: " if isinstance(line, int) and not isinstance(line, bool) else ""
        _fail(path, where + memory if payload.get("kind") == "memory" else str(payload.get("error")))
    answers = payload.get("answers")
    token = payload.get("unreadable")
    if isinstance(token, str) and isinstance(answers, (dict, list)):
        answers = _mark_unreadable(answers, token)
    return _layout(path, answers, "ANSWERS", payload.get("assignment"), payload.get("student"))


def _mark_unreadable(answers: dict | list, token: str) -> dict | list:
    """The child's {token: reason} in place of a part it could not return, as ``Unreadable(reason)``;
    only in a problem's table of parts, where the child puts them."""
    def parts(table: Any) -> Any:
        if not isinstance(table, dict):
            return table
        return {k: Unreadable(str(v[token])) if isinstance(v, dict) and len(v) == 1 and token in v else v
                for k, v in table.items()}

    if isinstance(answers, list):
        return [dict(item, answers=parts(item["answers"])) if isinstance(item, dict) and "answers" in item else item
                for item in answers]
    if "answers" in answers and isinstance(answers.get("id"), str):
        return dict(answers, answers=parts(answers["answers"]))
    return {k: parts(v) for k, v in answers.items()}


@functools.lru_cache(maxsize=1)
def _bootstrap() -> str:
    """The child's whole program, from sandbox/child/answers.py (read only when a file must run)."""
    from gradekit.sandbox.child import source as child_source

    text = child_source("answers")
    return text.replace("__NO_ANSWERS__", _NO_ANSWERS.replace('"', '\\"'))


_READERS = {".json": _read_json, ".toml": _read_toml, ".py": read_py_source}
# what a submission may be: a notebook holds answers and code, and is read by gradekit.intake.notebook
SUFFIXES = (*_READERS, ".ipynb")
