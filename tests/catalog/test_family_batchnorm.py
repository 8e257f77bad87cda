"""batchnorm.forward: catalog answers, nn.BatchNorm1d cross-check, mistakes, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from tests.helpers import load_spec, solve_spec

FAMILY = get_family("batchnorm.forward")
Z_HAT = [[-1, 1, 1, -1]] * 3
Z_TILDE = [[-1, 1, 1, -1], [-11, -9, -9, -11], [9, 11, 11, 9]]


@pytest.mark.parametrize("qid", ["coms573-hw5/q2a", "coms573-hw5/q2b"])
def test_catalog_answers(qid):
    _, sol = solve_spec(qid)
    a = sol.answers
    np.testing.assert_array_equal(a["mu"], [13, 5, 0])
    np.testing.assert_array_equal(a["var"], [1, 25, 25])
    np.testing.assert_array_equal(a["z_hat"], Z_HAT)
    np.testing.assert_array_equal(a["z_tilde"], Z_TILDE)
    assert [a[k].ndim for k in ("mu", "var", "z_hat", "z_tilde")] == [1, 1, 2, 2]


def test_graded_parts_follow_the_seed_questions():
    assert [p["name"] for p in load_spec("coms573-hw5/q2a")["parts"]] == ["mu", "var", "z_hat"]
    assert [p["name"] for p in load_spec("coms573-hw5/q2b")["parts"]] == ["z_tilde"]
    assert sum(p["points"] for p in load_spec("coms573-hw5/q2a")["parts"]) == pytest.approx(5)


def test_steps_show_the_same_numbers():
    _, sol = solve_spec("coms573-hw5/q2a")
    values = {k: v for s in sol.steps for k, v in s.values.items()}
    for part in ("mu", "var", "z_hat", "z_tilde"):
        np.testing.assert_array_equal(values[part], sol.answers[part])
    assert "[1, 25, 25]" in sol.steps[1].text


# --- torch cross-check ---------------------------------------------------------------------


@st.composite
def instances(draw):
    units, m = draw(st.integers(1, 4)), draw(st.integers(2, 6))
    ints = st.integers(-20, 20).map(float)
    return {"Z": draw(arrays(np.float64, (units, m), elements=ints)),
            "gamma": draw(arrays(np.float64, (units,), elements=st.integers(-4, 4).map(lambda v: v / 2))),
            "beta": draw(arrays(np.float64, (units,), elements=ints)),
            "eps": draw(st.sampled_from([1e-5, 1e-3, 0.1, 1.0]))}


def torch_batchnorm(raw):
    """nn.BatchNorm1d in training mode; its input is examples × features, so Z is transposed."""
    Z = torch.as_tensor(raw["Z"], dtype=torch.float64)
    bn = torch.nn.BatchNorm1d(Z.shape[0], eps=raw["eps"], momentum=1.0, dtype=torch.float64).train()
    with torch.no_grad():
        bn.weight.copy_(torch.as_tensor(raw["gamma"]))
        bn.bias.copy_(torch.as_tensor(raw["beta"]))
        out = bn(Z.T).T
    # momentum 1 leaves exactly this batch's statistics in the running buffers (the variance unbiased, n - 1)
    return out.numpy(), bn.running_mean.numpy(), bn.running_var.numpy()


@settings(max_examples=40, deadline=None)
@given(instances())
def test_matches_torch_batchnorm1d(raw):
    params = FAMILY.validate(raw)
    sol = FAMILY.solve(params)
    out, mean, unbiased = torch_batchnorm(raw)
    np.testing.assert_allclose(sol.answers["z_tilde"], out, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sol.answers["mu"], mean, rtol=1e-12, atol=1e-12)
    m = raw["Z"].shape[1]
    np.testing.assert_allclose(sol.answers["var"], unbiased * (m - 1) / m, rtol=1e-9, atol=1e-12)
    mistaken = {mk.id: mk for mk in FAMILY.mistakes(params)}
    if "sample_variance" in mistaken:  # the n - 1 mistake is exactly torch's running (unbiased) variance
        np.testing.assert_allclose(mistaken["sample_variance"].answers["var"], unbiased, rtol=1e-9)


def test_catalog_instance_matches_torch_with_small_eps():
    raw = {k: np.asarray(v, dtype=float) for k, v in load_spec("coms573-hw5/q2b")["params"].items()}
    raw["eps"] = 1e-8
    out, _, _ = torch_batchnorm(raw)
    np.testing.assert_allclose(out, Z_TILDE, atol=1e-6)
    np.testing.assert_allclose(FAMILY.solve(FAMILY.validate(raw)).answers["z_tilde"], out, rtol=1e-12)


# --- mistakes ------------------------------------------------------------------------------


def test_mistakes_differ_from_the_answer():
    params, sol = solve_spec("coms573-hw5/q2a")
    found = {m.id: m for m in FAMILY.mistakes(params)}
    assert set(found) == {"sample_variance", "divided_by_variance", "statistics_over_units"}
    np.testing.assert_allclose(found["sample_variance"].answers["var"], [4 / 3, 100 / 3, 100 / 3])
    np.testing.assert_allclose(found["sample_variance"].answers["z_hat"][0], np.array([-1, 1, 1, -1]) * np.sqrt(3) / 2)
    assert set(found["sample_variance"].answers) == {"var", "z_hat", "z_tilde"}  # μ is unaffected
    np.testing.assert_allclose(found["divided_by_variance"].answers["z_hat"][1], [-0.2, 0.2, 0.2, -0.2])
    assert found["statistics_over_units"].answers["mu"].shape == (4,)
    for m in found.values():
        for part, value in m.answers.items():
            right = sol.answers[part]
            assert np.shape(value) != np.shape(right) or not np.allclose(value, right), (m.id, part)


def test_sample_variance_partial_credit_in_the_specs():
    for qid in ("coms573-hw5/q2a", "coms573-hw5/q2b"):
        for part in load_spec(qid)["parts"]:
            if part["name"] != "mu":
                assert part["partial"]["sample_variance"] == 0.5, (qid, part["name"])


def test_mistake_that_would_divide_by_zero_is_dropped():
    # columns [1, 1] and [2, 2] are constant: statistics over the units divide by 0
    params = FAMILY.validate({"Z": [[1, 2], [1, 2]]})
    assert "statistics_over_units" not in {m.id for m in FAMILY.mistakes(params)}


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"gamma": [1, 1]}, "gamma", "has shape (2,), but needs (3,) matching Z (3, 4)"),
        ({"beta": [0, 1, 2, 3]}, "beta", "matching Z (3, 4)"),
        ({"Z": [[1], [2], [3]]}, "Z", "at least 2 examples"),
        ({"Z": [1, 2, 3]}, "Z", "dimension"),
        ({"Z": [[1, 1, 1, 1], [0, 10, 10, 0], [-5, 5, 5, -5]]}, "eps", "unit 1"),
        ({"eps": -1}, "eps", "at least 0"),
    ],
)
def test_validate_rejects_bad_params(change, field, message):
    raw = dict(load_spec("coms573-hw5/q2a")["params"], **change)
    with pytest.raises(ParamError) as info:
        FAMILY.validate(raw)
    assert info.value.field == field
    assert message in str(info.value)


def test_defaults_are_identity_scale_and_shift():
    params = FAMILY.validate({"Z": [[12, 14, 14, 12], [0, 10, 10, 0]]})
    np.testing.assert_array_equal(params["gamma"], [1, 1])
    np.testing.assert_array_equal(params["beta"], [0, 0])
    assert params["eps"] == 0


def test_grader_gives_partial_credit_for_the_sample_variance():
    from gradekit.catalog.catalog import Catalog, load_problem
    from gradekit.grading.problem import grade_problem
    from gradekit.core.records import Assignment
    from tests.helpers import PROBLEMS

    problem = load_problem(PROBLEMS / "coms573-hw5" / "q2a.toml", "coms573-hw5")
    result, _ = grade_problem(Catalog([Assignment("coms573-hw5", "t", "t", (problem,))]), problem,
                              {"mu": [13, 5, 0], "var": ["1.333", "33.33", "33.33"], "z_hat": [["-0.866", "0.866", "0.866", "-0.866"]] * 3})
    verdicts = {p.name: (p.verdict, p.diagnosis, p.score / p.max_score) for p in result.parts}
    assert verdicts["mu"] == ("correct", None, 1.0)
    assert verdicts["var"] == ("partial", "sample_variance", pytest.approx(0.5))
    assert verdicts["z_hat"] == ("partial", "sample_variance", pytest.approx(0.5))
