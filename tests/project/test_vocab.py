"""The vocabularies are str-valued enums: every word the code makes is a member, and a member reads as its word.

What a report prints is pinned byte for byte in tests/project/test_vocab_golden.py; here, that each vocabulary is
complete (the code makes no word outside it: read from the source and exercised), that a plug-in may still
write a verdict as its string, and that the dicts a report becomes hold plain strings.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import gradekit
from gradekit.core import families
from gradekit.core.records import Outcome, PartResult
from gradekit.core.vocab import Verdict
from gradekit.grading.answers import grade_answers
from gradekit.plugin import Family, Solution

ROOT = Path(gradekit.__file__).parent
REFERENCE = ROOT.parent / "reference"


def sources(*folders: Path):
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if "child" not in path.parts:  # the sandbox children import nothing of gradekit: they write strings
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def _named(node: ast.AST, name: str) -> bool:
    """``x.name`` or ``x["name"]``."""
    return (isinstance(node, ast.Attribute) and node.attr == name) or \
        (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == name)


def literal_words(tree: ast.AST, field: str, makers: dict[str, int]) -> list[tuple[int, str]]:
    """(line, word) of each string literal the code compares ``field`` with or passes a maker in its place."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(_named(n, field) for n in (node.left, *node.comparators)):
            for n in (node.left, *node.comparators):
                for c in ([n] if isinstance(n, ast.Constant) else getattr(n, "elts", [])):
                    if isinstance(c, ast.Constant) and isinstance(c.value, str):
                        found.append((node.lineno, c.value))
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in makers:
                args = [a for a in node.args[makers[name]:makers[name] + 1]] + \
                       [k.value for k in node.keywords if k.arg == field]
                found += [(node.lineno, a.value) for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return found


VERDICT_MAKERS = {"Outcome": 1, "FormulaResult": 0, "PartResult": 3}


def test_no_built_in_code_writes_a_verdict_as_a_string():
    loose = {f"{path.relative_to(ROOT.parent)}:{line}": word for path, tree in sources(ROOT, REFERENCE)
             for line, word in literal_words(tree, "verdict", VERDICT_MAKERS)}
    assert loose == {}


def test_the_reader_finds_a_verdict_written_as_a_string():
    tree = ast.parse('Outcome(0.0, "wrong", "x")\nif r.verdict in ("correct", Verdict.MANUAL): pass\n'
                     'if part["verdict"] != "manual": pass\nPartResult("a", 0, 1, verdict="error")\n'
                     'FormulaResult("invalid", "m")\n')
    assert sorted(literal_words(tree, "verdict", VERDICT_MAKERS)) == \
        [(1, "wrong"), (2, "correct"), (3, "manual"), (4, "error"), (5, "invalid")]


def test_a_verdict_given_as_its_string_is_the_member_and_a_word_that_is_none_is_refused():
    assert Outcome(0.0, "wrong", "no").verdict is Verdict.WRONG
    assert PartResult("L", 0.0, 1.0, "missing").verdict is Verdict.MISSING
    assert [v.value for v in Verdict] == ["correct", "partial", "wrong", "missing", "invalid", "manual", "error"]
    with pytest.raises(ValueError, match="wrnog"):
        Outcome(0.0, "wrnog", "a typo is caught where it is made")


def test_a_reports_dict_holds_the_plain_word():
    row = PartResult("L", 1.0, 1.0, Verdict.CORRECT).to_dict()
    assert type(row["verdict"]) is str and json.dumps(row["verdict"]) == '"correct"'
    assert f"{Verdict.PARTIAL}|{Verdict.PARTIAL!s}" == "partial|partial" and "%s" % Verdict.ERROR == "error"
    assert json.dumps({Verdict.MANUAL: Verdict.WRONG}) == '{"manual": "wrong"}'


SPEC = '''id = "q1"
title = "Any two equal numbers"
family = "plugin.strings"
statement = "Give two equal numbers."

[[parts]]
name = "pair"
kind = "verified"
points = 2
'''


def _plugin_catalog(tmp_path, monkeypatch, verify):
    """A catalog of one assignment whose one problem is graded by a plug-in family with this ``verify``."""
    from gradekit.catalog.catalog import load_catalog

    family = Family("plugin.strings", lambda params: Solution({"pair": [1, 1]}), verify=verify)
    monkeypatch.setitem(families.registry()._found, family.name, family)
    folder = tmp_path / "plugin-hw"
    folder.mkdir()
    (folder / "assignment.toml").write_text('name = "plugin-hw"\ntitle = "A plug-in\'s homework"\n')
    (folder / "q1.toml").write_text(SPEC)
    return load_catalog(folder, extra=[])


def test_a_plug_in_family_that_writes_its_verdicts_as_strings_still_grades(tmp_path, monkeypatch):
    """A plug-in written before the enum returns ``Outcome(0.0, "wrong", ...)``: it grades as it did."""
    def verify(params, part, answers):
        a, b = answers[part]
        return Outcome(1.0, "correct", "equal") if a == b else Outcome(0.0, "wrong", f"{a} is not {b}", "unequal")

    catalog = _plugin_catalog(tmp_path, monkeypatch, verify)
    for pair, verdict, score in (([2, 3], Verdict.WRONG, 0), ([4, 4], Verdict.CORRECT, 2)):
        report = grade_answers({"q1": {"pair": pair}}, assignment="plugin-hw", catalog=catalog)
        (part,) = report.problems[0].parts
        assert (part.verdict, part.score) == (verdict, score)
        assert part.to_dict()["verdict"] == verdict.value
    assert part.feedback == "equal" and report.to_dict()["problems"][0]["parts"][0]["verdict"] == "correct"


def test_a_plug_in_verdict_that_is_no_verdict_is_a_grader_error_not_points_lost(tmp_path, monkeypatch):
    def verify(params, part, answers):
        return Outcome(0.0, "wrnog", "a typo in the plug-in")

    report = grade_answers({"q1": {"pair": [1, 1]}}, assignment="plugin-hw",
                           catalog=_plugin_catalog(tmp_path, monkeypatch, verify))
    (part,) = report.problems[0].parts
    assert (part.verdict, part.score) == (Verdict.ERROR, 0) and "grader error, not counted against you" in part.feedback
    assert "'wrnog' is not a valid Verdict" in part.feedback and report.grader_errors == ["q1: pair"]


# -- call kinds -------------------------------------------------------------------------------------------------
from gradekit.code import session as session_module  # noqa: E402
from gradekit.code.callkind import CallKind  # noqa: E402
from gradekit.code.session import CHILD_KINDS, CallResult  # noqa: E402

HARNESS = ROOT / "sandbox" / "child" / "harness.py"


def sent_kinds(path: Path) -> set[str]:
    """Every ``"kind": "..."`` a child program writes into a reply."""
    return {v.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Dict)
            for k, v in zip(node.keys, node.values)
            if isinstance(k, ast.Constant) and k.value == "kind" and isinstance(v, ast.Constant)}


def test_the_harness_sends_exactly_the_child_kinds_and_each_is_a_member():
    assert sent_kinds(HARNESS) == {k.value for k in CHILD_KINDS}
    assert all(isinstance(k, CallKind) for k in CHILD_KINDS)


def test_every_call_kind_the_parent_makes_is_a_member_and_none_is_written_as_a_string():
    made = set()
    for path, tree in sources(ROOT / "code", ROOT / "grading", REFERENCE):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "CallResult":
                kind = node.args[2] if len(node.args) > 2 else \
                    next((k.value for k in node.keywords if k.arg == "kind"), None)  # CallKind(kind): what a child sent
                if kind is not None and not (isinstance(kind, ast.Call) and ast.unparse(kind.func) == "CallKind"):
                    assert isinstance(kind, ast.Attribute) and ast.unparse(kind.value) == "CallKind", \
                        f"{path.name}:{node.lineno}: {ast.unparse(kind)}"
                    made.add(CallKind[kind.attr])
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "kind" \
                    and ast.unparse(node.left.value) in ("r", "reply", "again", "result"):
                assert not any(isinstance(c, ast.Constant) for c in node.comparators), f"{path.name}:{node.lineno}"
    # the parent names these itself; the rest come from the child (CHILD_KINDS), DATA both ways
    assert made == {CallKind.IMPORT, CallKind.TIMEOUT, CallKind.CRASH, CallKind.GARBLED, CallKind.DATA}
    assert set(CallKind) == made | CHILD_KINDS | {CallKind.OK}
    assert CallResult(True, 1.0).kind is CallKind.OK and CallResult(False, None, "timeout").kind is CallKind.TIMEOUT


def _reply(kind: object) -> tuple[dict, bytes]:
    return {"ok": False, "kind": kind, "error": "x", "output": "", "bytes": 0, "nonce": "n", "seq": 1}, b""


@pytest.mark.parametrize("kind", sorted(CHILD_KINDS))
def test_a_kind_the_child_sends_becomes_the_member(kind):
    r = session_module._decode(_reply(kind.value), 0.0, "n", 1)
    assert r.kind is kind and type(r.kind) is CallKind and not r.ok


@pytest.mark.parametrize("kind", ["timeout", "import", "garbled", "crash", "", "surprise", 3, None])
def test_a_kind_the_child_may_not_send_is_a_garbled_reply_as_before(kind):
    """Only the parent names a time-out, a crash or a failed import: a child that claims one wrote to the channel."""
    with pytest.raises(session_module._Garbled, match="a failure of kind"):
        session_module._decode(_reply(kind), 0.0, "n", 1)


# -- part kinds -------------------------------------------------------------------------------------------------
from gradekit.check.kinds import KINDS  # noqa: E402
from gradekit.core.records import Part  # noqa: E402
from gradekit.core.vocab import PartKind  # noqa: E402


def test_the_kinds_table_has_one_kind_per_member_and_each_key_is_the_member():
    assert list(KINDS) == list(PartKind)
    assert all(type(k) is PartKind and KINDS[k].name is k for k in KINDS)
    assert KINDS["number"] is KINDS[PartKind.NUMBER]  # a spec's string finds its kind


def test_a_part_kind_given_as_its_string_is_the_member_and_a_word_that_is_none_is_refused():
    assert Part("x", "manual").kind is PartKind.MANUAL
    with pytest.raises(ValueError, match="numbr"):
        Part("x", "numbr")


def test_no_built_in_code_compares_a_part_kind_with_a_string():
    loose = []
    for path, tree in sources(ROOT, REFERENCE):
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "kind" \
                    and ast.unparse(node.left.value) in ("p", "part", "q", "ctx.part"):
                for c in node.comparators:
                    words = [c] if isinstance(c, ast.Constant) else getattr(c, "elts", [])
                    loose += [f"{path.name}:{node.lineno}" for w in words if isinstance(w, ast.Constant)]
    assert loose == []


def test_a_misspelt_kind_is_refused_in_the_words_it_was(tmp_path):
    """The message lists the kinds and suggests one as plain words (as before the enum, not as members' reprs)."""
    folder = tmp_path / "kind-hw"
    folder.mkdir()
    (folder / "assignment.toml").write_text('name = "kind-hw"\ntitle = "t"\n')
    (folder / "q1.toml").write_text('id = "q1"\ntitle = "t"\nfamily = "adaline.design"\nstatement = "s"\n[params]\n'
                                    'function = "NAND"\ninputs = 2\nallowed = [-1, 0, 1]\n[[parts]]\nname = "w"\n'
                                    'kind = "numbr"\n')
    from gradekit.catalog.catalog import load_catalog

    message = str(load_catalog(folder, extra=[]).broken["kind-hw"])
    # written from the CLI before the enum (commit 77154ce)
    assert message.endswith("kind-hw/q1.toml: parts[0].kind is 'numbr', but only number, vector, matrix, integer, "
                            "shape, choice, bool, verified, manual, expr, matrix_expr, symbolic_matrix, inequality, "
                            "function are valid; did you mean 'number'?")


# -- the fork server's three states (sandbox.process._server, once a list of none, [None] or [server]) ----------
def test_the_fork_server_slot_goes_off_wanted_running_and_off_again(monkeypatch):
    from gradekit.sandbox import fork_server, process

    closed = []

    class FakeServer:
        def close(self):
            closed.append(self)

    monkeypatch.setattr(process, "_server", process._ForkServerSlot())
    monkeypatch.setattr(fork_server, "ForkServer", FakeServer)
    slot = process._server
    assert (slot.state, slot.server) == (process.Serving.OFF, None)
    process.use_fork_server(True)
    process.use_fork_server(True)  # asking twice is asking once
    assert (slot.state, slot.server) == (process.Serving.WANTED, None)
    process.use_fork_server(False)  # wanted, never started: nothing to close
    assert (slot.state, closed) == (process.Serving.OFF, [])
    process.use_fork_server(True)
    first = slot.started("jail")
    assert type(first) is FakeServer and slot.started("jail") is first and slot.state is process.Serving.RUNNING
    process.use_fork_server(True)  # running stays running: the same server
    assert slot.server is first
    process.use_fork_server(False)
    assert (slot.state, slot.server, closed) == (process.Serving.OFF, None, [first])


# -- Problem.validated_params: a Mapping, or a module problem's ModuleSpec -----------------------------------------
def test_every_problems_validated_params_is_a_mapping_or_module_params():
    from collections.abc import Mapping

    from gradekit.code.spec import ModuleSpec
    from gradekit.core.records import ModuleParams
    from gradekit.catalog.catalog import load_catalog

    catalog = load_catalog(extra=[])
    kinds = {}
    for problem in catalog.problems():
        vp = problem.validated_params
        assert isinstance(vp, Mapping) != isinstance(vp, ModuleParams), problem.qualified_id
        kinds[type(vp).__name__ if isinstance(vp, ModuleSpec) else "Mapping"] = True
    assert set(kinds) == {"Mapping", "ModuleSpec"}  # both forms are in the catalog
    assert not isinstance({"file": "x.py"}, ModuleParams)


def test_the_catalog_is_the_problem_source_the_lower_layers_name():
    """code/ and intake/ may not import catalog/, even for a type: they name the catalog by core.catalogs.ProblemSource."""
    import inspect

    from gradekit.core.catalogs import ProblemSource
    from gradekit.catalog.catalog import Catalog, load_catalog

    assert isinstance(load_catalog(extra=[]), ProblemSource)
    for name in ("assignment", "problems", "resolve", "solve"):  # the same signatures, not only the same names
        assert inspect.signature(getattr(Catalog, name)) == inspect.signature(getattr(ProblemSource, name)), name


@pytest.mark.parametrize("module", ["gradekit.core.vocab", "gradekit.code.callkind", "gradekit.core.catalogs",
                                    "gradekit.grading.problem", "gradekit.grading.answers", "gradekit.check.expr",
                                    "gradekit.check.expr.compare", "gradekit.check.expr.relation",
                                    "gradekit.check.expr.symmatrix"])
def test_the_docstring_examples_that_show_the_enums_run(module):
    """Their examples print members (``<Verdict.CORRECT: 'correct'>``): they must say what the code does."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
