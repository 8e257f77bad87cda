"""truefalse and manual: catalog answers, reference texts, validation.

These families hold no math, so there is nothing for torch to cross-check; the
one computed claim (cs37300 statement 2: sigmoid'(0) = 1/4 < tanh'(0) = 1) is
checked against torch.autograd below.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from tests.helpers import load_spec, solve_spec

TRUEFALSE = get_family("truefalse")
MANUAL = get_family("manual")


def test_ece661_q1_answers():
    _, sol = solve_spec("ece661-hw1/q1")
    assert {k: sol.answers[k] for k in ("1.1", "1.2", "1.3", "1.4", "1.5")} == {
        "1.1": False, "1.2": False, "1.3": True, "1.4": True, "1.5": False,
    }
    for k in ("1.1", "1.2", "1.3", "1.4", "1.5"):
        why = sol.answers[f"{k} why"]
        assert why.startswith("True." if sol.answers[k] else "False."), k
        assert "\n" not in why


def test_ece661_q1_references_say_why():
    _, sol = solve_spec("ece661-hw1/q1")
    assert "FEWER parameters" in sol.answers["1.1 why"]
    assert "padding 2" in sol.answers["1.2 why"]  # same size with a larger kernel and more padding


def test_cs37300_q1_answers():
    _, sol = solve_spec("cs37300-hw4/q1")
    assert [sol.answers[k] for k in ("1", "2", "3")] == [True, False, False]
    assert "1/4" in sol.answers["2 why"] and "tanh'(0) = 1" in sol.answers["2 why"]


def test_sigmoid_and_tanh_derivatives_at_zero_by_autograd():
    """Statement 2's key (sigmoid'(0) = 1/4 < tanh'(0) = 1), and gradekit's σ' and tanh', against autograd."""
    from gradekit.check.expr import declare
    from gradekit.check.expr.evaluate import evaluate
    from gradekit.core.reader.parser import parse

    _, sol = solve_spec("cs37300-hw4/q1")
    assert sol.answers["2"] is False and "1/4" in sol.answers["2 why"]
    table = declare(["z"])
    for z in (0.0, -1.5, 2.0):
        x = torch.tensor([z], dtype=torch.float64, requires_grad=True)
        (ds,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
        x = torch.tensor([z], dtype=torch.float64, requires_grad=True)
        (dt,) = torch.autograd.grad(torch.tanh(x).sum(), x)
        env = {"z": np.asarray(z)}
        assert evaluate(parse("σ'(z)", table), env).item() == pytest.approx(ds.item(), rel=1e-12)
        assert evaluate(parse("tanh'(z)", table), env).item() == pytest.approx(dt.item(), rel=1e-12)
    assert evaluate(parse("sigmoid'(z)", table), {"z": np.asarray(0.0)}).item() == 0.25
    z = torch.linspace(-30, 30, 601, dtype=torch.float64)
    s = torch.sigmoid(z)
    assert bool(((s > 0) & (s < 1)).all())  # statement 1: strictly inside (0, 1)


@pytest.mark.parametrize("qid", ["ece661-hw1/q1", "cs37300-hw4/q1"])
def test_statement_texts_appear_in_the_statement_and_parts_match(qid):
    spec = load_spec(qid)
    flat = " ".join(spec["statement"].split())
    params = TRUEFALSE.validate(spec["params"])
    names = [p["name"] for p in spec["parts"]]
    expected = []
    for st in params["statements"]:
        assert st["text"] in flat, st["id"]
        expected += [st["id"], f"{st['id']} why"]
    assert names == expected
    kinds = {p["name"]: p["kind"] for p in spec["parts"]}
    assert all(kinds[n] == ("manual" if n.endswith("why") else "bool") for n in names)


def test_cs37300_points_follow_the_seed():
    points = {p["name"]: p["points"] for p in load_spec("cs37300-hw4/q1")["parts"]}
    assert points["1"] + points["1 why"] == 2 and points["2"] + points["2 why"] == 4
    assert sum(points.values()) == 8


@pytest.mark.parametrize(
    "qid, words",
    [
        ("coms573-hw5/q2c", ["mini-batch", "running", "population", "γ", "variance"]),
        ("coms573-hw5/q2d", ["does not", "running", "batch of one"]),
    ],
)
def test_manual_references(qid, words):
    _, sol = solve_spec(qid)
    assert list(sol.answers) == ["answer"]
    for w in words:
        assert w in sol.answers["answer"], w
    assert sol.steps[0].text.endswith(sol.answers["answer"])


@pytest.mark.parametrize(
    "family, params, field, words",
    [
        (TRUEFALSE, {}, "statements", "missing"),
        (TRUEFALSE, {"statements": []}, "statements", "empty"),
        (TRUEFALSE, {"statements": [{"id": "1", "text": "t", "answer": "yes", "why": "w"}]}, "statements[0]", "true or false"),
        (TRUEFALSE, {"statements": [{"id": "1", "text": "t", "answer": True}]}, "statements[0]", "'why'"),
        (TRUEFALSE, {"statements": [{"id": "1", "text": "t", "answer": True, "why": "w", "pts": 2}]}, "statements[0]", "unknown"),
        (TRUEFALSE, {"statements": [{"id": "1", "text": "t", "answer": True, "why": "w"}] * 2}, "statements[1]", "repeats"),
        (MANUAL, {"prompts": [{"name": "a", "text": "t", "reference": ""}]}, "prompts[0]", "'reference'"),
        (MANUAL, {"prompts": "free text"}, "prompts", "list of tables"),
    ],
)
def test_validate_rejects_bad_params(family, params, field, words):
    with pytest.raises(ParamError) as info:
        family.validate(params)
    assert info.value.field == field
    assert words in str(info.value)
