"""conv2d.output, conv.output_shape, conv.solve_kernel: catalog answers, torch cross-checks, mistakes, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from tests.helpers import solve_spec

torch.set_num_threads(1)
FAST = settings(max_examples=40, deadline=None)

CONV2D = get_family("conv2d.output")
SHAPE = get_family("conv.output_shape")
KERNEL = get_family("conv.solve_kernel")


# ------------------------------------------------------------------ catalog


def test_q4_1_output_matches_the_published_matrix():
    _, sol = solve_spec("ece661-hw1/q4.1")
    expected = np.array([
        [0, 1, -.5, 1, 0, -1, .5, -1, 0],
        [1, 0, 1, 0, 0, 0, -1, 0, -1],
        [-.5, 1, 1, .5, 0, -.5, -1, -1, .5],
        [1, 0, 1, 0, 0, 0, -1, 0, -1],
        [0, 1, -.5, 1, 0, -1, .5, -1, 0],
    ])
    assert sol.answers["output"].shape == (5, 9)
    np.testing.assert_allclose(sol.answers["output"], expected, atol=1e-12)
    # the worked steps end on the same matrix they were computed from
    np.testing.assert_allclose(sol.steps[-1].values["output"], expected, atol=1e-12)
    assert sol.steps[0].title == "Flip the kernel"


def test_q4_1_mistakes_only_name_what_differs():
    params, sol = solve_spec("ece661-hw1/q4.1")
    found = {m.id: m for m in CONV2D.mistakes(params)}
    # The kernel is symmetric under a 180° turn, so cross-correlation gives the right answer: not a mistake here.
    assert np.array_equal(params["kernel"], params["kernel"][::-1, ::-1])
    assert set(found) == {"wrong_padding"}
    assert found["wrong_padding"].answers["output"].shape == (3, 7)


def test_q3_1b_output_shape():
    params, sol = solve_spec("cs37300-hw4/q3.1b")
    assert sol.answers["shape"] == (5, 6)
    got = [(m.id, m.answers["shape"]) for m in SHAPE.mistakes(params)]
    assert got == [("wrong_padding", (4, 5)), ("wrong_padding", (3, 4))]  # plus_one_forgotten duplicates (4, 5)


def test_q3_2a_kernel_choices():
    params, sol = solve_spec("cs37300-hw4/q3.2a")
    assert sol.answers["answer"] == ["B", "D"]
    found = {m.id: m.answers["answer"] for m in KERNEL.mistakes(params)}
    assert found == {"wrong_padding": [], "plus_one_forgotten": ["A"]}


# ------------------------------------------------------- torch cross-checks


@st.composite
def conv_instances(draw):
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    pad = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    kh = draw(st.integers(1, min(4, h + 2 * pad[0])))
    kw = draw(st.integers(1, min(4, w + 2 * pad[1])))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    values = st.integers(-3, 3)
    x = draw(st.lists(st.lists(values, min_size=w, max_size=w), min_size=h, max_size=h))
    k = draw(st.lists(st.lists(values, min_size=kw, max_size=kw), min_size=kh, max_size=kh))
    mode = draw(st.sampled_from(["convolution", "cross_correlation"]))
    return {"input": x, "kernel": k, "padding": list(pad), "stride": list(stride), "mode": mode}


@FAST
@given(conv_instances())
def test_conv2d_output_agrees_with_torch(raw):
    params = CONV2D.validate(raw)
    y = CONV2D.solve(params).answers["output"]
    x = torch.tensor(raw["input"], dtype=torch.float64)[None, None]
    k = torch.tensor(raw["kernel"], dtype=torch.float64)[None, None]
    if raw["mode"] == "convolution":  # F.conv2d cross-correlates: flip to convolve
        k = torch.flip(k, dims=(2, 3))
    want = F.conv2d(x, k, stride=tuple(raw["stride"]), padding=tuple(raw["padding"]))[0, 0].numpy()
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, atol=1e-9)
    for m in CONV2D.mistakes(params):  # a listed mistake is never the right answer
        got = m.answers["output"]
        assert got.shape != y.shape or not np.allclose(got, y)


@FAST
@given(conv_instances())
def test_output_shape_agrees_with_torch(raw):
    kernel = np.asarray(raw["kernel"]).shape
    spec = {"input": list(np.asarray(raw["input"]).shape), "kernel": list(kernel),
            "padding": raw["padding"], "stride": raw["stride"]}
    params = SHAPE.validate(spec)
    x = torch.zeros(1, 1, *spec["input"])
    want = F.conv2d(x, torch.zeros(1, 1, *kernel), stride=tuple(raw["stride"]), padding=tuple(raw["padding"])).shape
    assert SHAPE.solve(params).answers["shape"] == tuple(want[2:])
    assert all(m.answers["shape"] != tuple(want[2:]) for m in SHAPE.mistakes(params))


def test_output_shape_in_one_dimension_agrees_with_torch():
    params = SHAPE.validate({"input": [11], "kernel": 4, "padding": 1, "stride": 3})
    want = F.conv1d(torch.zeros(1, 1, 11), torch.zeros(1, 1, 4), stride=3, padding=1).shape[2:]
    assert SHAPE.solve(params).answers["shape"] == tuple(want) == (4,)


@FAST
@given(
    n=st.integers(1, 12), out=st.integers(1, 12), p=st.integers(0, 3), s=st.integers(1, 3),
    kernels=st.lists(st.integers(1, 16), min_size=1, max_size=5),
)
def test_solve_kernel_agrees_with_torch(n, out, p, s, kernels):
    choices = [{"label": chr(65 + i), "kernel": k, "padding": p, "stride": s} for i, k in enumerate(kernels)]
    params = KERNEL.validate({"input": n, "output": out, "choices": choices})
    want = sorted(
        c["label"] for c in choices
        if c["kernel"] <= n + 2 * p
        and F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, c["kernel"]), stride=s, padding=p).shape[-1] == out
    )
    assert KERNEL.solve(params).answers["answer"] == want


# ------------------------------------------------------------------ mistakes


def test_cross_correlation_mistake_with_an_asymmetric_kernel():
    raw = {"input": [[1, 2, 0], [0, 1, 3], [2, 0, 1]], "kernel": [[1, 0], [0, -1]], "padding": 0, "stride": 1}
    params = CONV2D.validate(raw)
    right = CONV2D.solve(params).answers["output"]
    found = {m.id: m.answers["output"] for m in CONV2D.mistakes(params)}
    assert set(found) == {"cross_correlation"}
    # convolution: flip [[1, 0], [0, -1]] to [[-1, 0], [0, 1]]
    np.testing.assert_allclose(right, [[-1 + 1, -2 + 3], [0 + 0, -1 + 1]])
    np.testing.assert_allclose(found["cross_correlation"], [[1 - 1, 2 - 3], [0 - 0, 1 - 1]])


def test_kernel_flipped_and_stride_mistakes():
    raw = {"input": np.arange(25).reshape(5, 5).tolist(), "kernel": [[1, 2], [0, 0]], "padding": 1, "stride": 2,
           "mode": "cross_correlation"}
    params = CONV2D.validate(raw)
    right = CONV2D.solve(params).answers["output"]
    found = {m.id: m.answers["output"] for m in CONV2D.mistakes(params)}
    assert set(found) == {"kernel_flipped", "wrong_padding", "stride_ignored"}
    assert found["wrong_padding"].shape == (2, 2) and found["stride_ignored"].shape == (6, 6)
    assert right.shape == (3, 3) and not np.allclose(found["kernel_flipped"], right)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("family, raw, field", [
    (CONV2D, {"input": [[1, 2], [3, 4]], "kernel": [[1, 1, 1]] * 3}, "kernel"),
    (CONV2D, {"input": [[1, 2], [3, 4]], "kernel": [[1]], "mode": "conv"}, "mode"),
    (CONV2D, {"input": [[1, 2], [3, 4]], "kernel": [[1]], "padding": -1}, "padding"),
    (CONV2D, {"input": [[1, 2], [3, 4]], "kernel": [[1]], "stride": 0}, "stride"),
    (CONV2D, {"input": [1, 2, 3], "kernel": [[1]]}, "input"),
    (SHAPE, {"input": [10, 12], "kernel": [6, 6, 6]}, "kernel"),
    (SHAPE, {"input": [3, 3], "kernel": 8, "padding": 2}, "kernel"),
    (SHAPE, {"input": "10x12", "kernel": 3}, "input"),
    (KERNEL, {"input": 32, "output": 32, "choices": [{"label": "A", "kernel": 3}, {"label": "A", "kernel": 5}]},
     "choices[1].label"),
    (KERNEL, {"input": 32, "output": 32, "choices": [{"label": "A"}]}, "choices[0].kernel"),
    (KERNEL, {"input": 32, "output": 32, "choices": [{"label": "A", "kernel": 3, "pad": 1}]}, "choices[0]"),
    (KERNEL, {"input": 0, "output": 32, "choices": [{"label": "A", "kernel": 3}]}, "input"),
])
def test_validate_names_the_bad_field(family, raw, field):
    with pytest.raises(ParamError) as err:
        family.validate(raw)
    assert err.value.field == field
    assert str(err.value).startswith(f"params.{field} ")


def test_kernel_error_message_says_what_fits():
    with pytest.raises(ParamError, match=r"must fit in the padded input of shape \(2, 2\)"):
        CONV2D.validate({"input": [[1, 2], [3, 4]], "kernel": [[1, 1, 1]] * 3})
