"""backprop.mlp2's conventions: weights (out, in) or (in, out), a batch with examples as columns or rows, the
batch's loss summed or averaged; each against torch autograd, stated in `gradekit family` and in the steps."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from hypothesis import assume, given, settings, strategies as st

from gradekit.cli.commands import main
from gradekit.core.errors import ParamError
from gradekit.core.families import get_family

torch.set_num_threads(1)
FAMILY = get_family("backprop.mlp2")
PARTS = ("L", "dL/dW1", "dL/dW2", "dL/db1", "dL/db2")


@st.composite
def instances(draw):
    d, h, o, n = (draw(st.integers(1, 3)) for _ in range(4))
    small = st.integers(-4, 4).map(lambda v: v / 2)

    def mat(rows, cols):
        return [[draw(small) for _ in range(cols)] for _ in range(rows)]

    return {"activation": draw(st.sampled_from(["relu", "sigmoid"])), "X": mat(n, d), "T": mat(n, o),
            "W1": mat(h, d), "b1": [draw(small) + 0.125 for _ in range(h)],  # W1 x is a multiple of 1/4: z ≠ 0
            "W2": mat(o, h), "b2": [draw(small) for _ in range(o)],
            "weight": draw(st.sampled_from(["out_in", "in_out"])), "examples": draw(st.sampled_from(["rows", "columns"])),
            "reduction": draw(st.sampled_from(["sum", "mean"]))}


def _spec(case: dict) -> dict:
    """``case`` (examples as rows, weights (out, in)) written in the layouts it names."""
    spec = dict(case)
    if case["examples"] == "columns":
        spec["X"], spec["T"] = np.transpose(case["X"]).tolist(), np.transpose(case["T"]).tolist()
    if case["weight"] == "in_out":
        spec["W1"], spec["W2"] = np.transpose(case["W1"]).tolist(), np.transpose(case["W2"]).tolist()
    return spec


def _autograd(case: dict) -> dict:
    t = {k: torch.tensor(case[k], dtype=torch.float64, requires_grad=k in ("W1", "b1", "W2", "b2"))
         for k in ("X", "T", "W1", "b1", "W2", "b2")}
    f = torch.relu if case["activation"] == "relu" else torch.sigmoid
    out = torch.nn.functional.linear(f(torch.nn.functional.linear(t["X"], t["W1"], t["b1"])), t["W2"], t["b2"])
    per_example = 0.5 * ((t["T"] - out) ** 2).sum(dim=1)
    loss = per_example.mean() if case["reduction"] == "mean" else per_example.sum()
    loss.backward()
    grads = {"dL/dW1": t["W1"].grad.numpy(), "dL/dW2": t["W2"].grad.numpy()}
    if case["weight"] == "in_out":  # the gradient of the weight as the spec writes it
        grads = {k: v.T for k, v in grads.items()}
    return {"L": loss.item(), **grads, "dL/db1": t["b1"].grad.numpy(), "dL/db2": t["b2"].grad.numpy()}


@settings(max_examples=60, deadline=None)
@given(instances())
def test_every_layout_matches_torch_autograd(case):
    params = FAMILY.check(_spec(case))
    assume(np.all(np.abs(np.asarray(case["X"]) @ np.asarray(case["W1"]).T + case["b1"]) > 1e-6))
    answers = FAMILY.solve(params).answers
    want = _autograd(case)
    for part in PARTS:
        np.testing.assert_allclose(answers[part], want[part], rtol=1e-10, atol=1e-12, err_msg=part)
    for m in FAMILY.mistakes(params):  # a named mistake is never the right answer
        assert all(np.shape(v) != np.shape(answers[k]) or not np.allclose(v, answers[k]) for k, v in m.answers.items())
    assert {m.id for m in FAMILY.mistakes(params)} <= set(FAMILY.mistake_ids)


Q32 = {"activation": "relu", "x1": [1, 1, -1], "t": [1, 2], "W1": [[0, -1, 1], [2, 2, -1]], "b1": [1, 2],
       "W2": [[0, 2], [1, 1]], "b2": [1, 1]}


def test_one_example_with_weights_in_out_is_the_transpose_and_says_so():
    out_in = FAMILY.solve(FAMILY.check(Q32))
    spec = {**Q32, "W1": np.transpose(Q32["W1"]).tolist(), "W2": np.transpose(Q32["W2"]).tolist(), "weight": "in_out"}
    in_out = FAMILY.solve(FAMILY.check(spec))
    assert in_out.answers["L"] == out_in.answers["L"] == 116
    np.testing.assert_array_equal(in_out.answers["dL/dW1"], out_in.answers["dL/dW1"].T)
    np.testing.assert_array_equal(in_out.answers["dL/dW2"], out_in.answers["dL/dW2"].T)
    texts = [s.text for s in in_out.steps]
    assert texts[0].startswith("W1 is input × hidden and W2 hidden × output (in, out)")
    assert any(t.startswith("z = W1ᵀ x1 + b1 = [-1, 7]") for t in texts)
    assert any(t.startswith("dL/dW1 = x1 (dL/dz)ᵀ") for t in texts)
    # the default is the worked solution as before: no conventions step, the course's formulas
    assert out_in.steps[0].text == "z = W1 x1 + b1 = [-1, 7]"
    found = {m.id: m.message for m in FAMILY.mistakes(FAMILY.check(spec))}
    assert found["W2_not_transposed"] == "the error is carried back through W2ᵀ instead of W2"


def test_a_batch_of_one_is_the_single_example():
    batch = {**{k: v for k, v in Q32.items() if k not in ("x1", "t")}, "X": [Q32["x1"]], "T": [Q32["t"]],
             "examples": "rows"}
    one, many = FAMILY.solve(FAMILY.check(Q32)).answers, FAMILY.solve(FAMILY.check(batch)).answers
    for part in PARTS:
        np.testing.assert_array_equal(many[part], one[part])


def test_a_batch_states_its_layout_and_reduction_and_names_the_other_reduction():
    spec = {**{k: v for k, v in Q32.items() if k not in ("x1", "t")}, "X": [[1, 1, -1], [0, 2, 1.5]],
            "T": [[1, 2], [0, 1]], "examples": "rows", "reduction": "mean"}
    params = FAMILY.check(spec)
    solution = FAMILY.solve(params)
    assert solution.steps[0].text.endswith("a batch of N = 2 examples, an example per row; L is the mean over the "
                                           "examples of ½‖t − x3‖², the bias gradients summed over the batch")
    assert any(s.text.startswith("Z = X W1ᵀ + 1 b1ᵀ") for s in solution.steps)
    found = {m.id: m for m in FAMILY.mistakes(params)}
    assert found["scope"].answers["L"] == pytest.approx(2 * solution.answers["L"])
    assert "the sum over the N = 2 examples; the problem takes the mean" in found["scope"].message


@pytest.mark.parametrize("change, field, says", [
    ({"X": [[1, 1, -1]]}, "x1", "give one example (x1 and t) or a batch (X and T), not both"),
    ({"weight": "in_out"}, "W1", "params.W1 has shape (2, 3), but needs (3, any) matching x1 (3,)"),
    ({"x1": None}, "x1", "give x1 and t for one example, or X and T for a batch"),
])
def test_validate_says_which_layout_it_reads(change, field, says):
    spec = {k: v for k, v in {**Q32, **change}.items() if v is not None}
    with pytest.raises(ParamError) as e:
        FAMILY.check(spec)
    assert e.value.field == field and says in str(e.value)


def test_a_batchs_targets_must_match_its_layout():
    spec = {**{k: v for k, v in Q32.items() if k not in ("x1", "t")}, "X": [[1, 1, -1], [0, 2, 1]],
            "T": [[1, 2], [0, 1], [1, 1]], "examples": "rows"}
    with pytest.raises(ParamError, match=r"params.T has shape \(3, 2\), but needs \(2, 2\)"):
        FAMILY.check(spec)


def test_family_states_each_convention():
    doc = json.loads(CliRunner().invoke(main, ["family", "backprop.mlp2", "--json"]).output)
    lines = doc["conventions"]
    assert any(c.startswith("weight = 'out_in' (or 'in_out'): the weights' layout") for c in lines)
    assert any(c.startswith("examples = 'columns' (or 'rows'): for a batch X, T") for c in lines)
    assert any(c.startswith("reduction = 'sum' (or 'mean')") for c in lines)


def test_the_softmax_sgd_step_takes_its_weight_in_out_too():
    sgd = get_family("softmax_ce.sgd_step")
    W = [[1.0, 0, 2], [0, -1, 0.5]]  # K = 2 outputs, d = 3 inputs
    raw = {"B": [0.1, -0.2], "X": [1, 2, -1], "P": [0.3, 0.7], "alpha": 0.5}
    out_in = sgd.solve(sgd.check({**raw, "W": W})).answers
    in_out = sgd.solve(sgd.check({**raw, "W": np.transpose(W).tolist(), "weight": "in_out"}))
    w = torch.tensor(np.transpose(W), dtype=torch.float64, requires_grad=True)  # d×K: z = Wᵀ x + b as x W
    z = torch.tensor(raw["X"], dtype=torch.float64) @ w + torch.tensor(raw["B"], dtype=torch.float64)
    loss = -(torch.tensor(raw["P"], dtype=torch.float64) * torch.log_softmax(z, dim=0)).sum()
    loss.backward()
    np.testing.assert_allclose(in_out.answers["W_new"], (w - 0.5 * w.grad).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(in_out.answers["W_new"], out_in["W_new"].T, rtol=1e-12)
    assert in_out.answers["E"] == pytest.approx(loss.item())
    assert in_out.steps[0].text.startswith("W is written input × output (in, out)")
    assert any(s.text.startswith("dE/dW = X (q − p)ᵀ") for s in in_out.steps)


def test_counting_writes_weight_shapes_as_keras_when_asked():
    layers = [{"type": "conv", "out": 8, "kernel": [3, 5]}, {"type": "flatten"}, {"type": "linear", "out": 10}]
    counting = get_family("counting.layers")
    torch_layout = counting.solve(counting.check({"input": [3, 12, 12], "layers": layers})).answers
    params = counting.check({"input": [3, 12, 12], "layers": layers, "weight": "in_out"})
    keras = counting.solve(params)
    conv, fc = torch.nn.Conv2d(3, 8, (3, 5)), torch.nn.Linear(8 * 10 * 8, 10)
    assert torch_layout["conv1.weight_shape"] == tuple(conv.weight.shape)
    assert keras.answers["conv1.weight_shape"] == tuple(conv.weight.permute(2, 3, 1, 0).shape) == (3, 5, 3, 8)
    assert keras.answers["fc1.weight_shape"] == tuple(fc.weight.T.shape) == (640, 10)
    assert {k: v for k, v in keras.answers.items() if not k.endswith("weight_shape")} == \
        {k: v for k, v in torch_layout.items() if not k.endswith("weight_shape")}
    assert keras.steps[-1].title == "Weight layout" and "(k_h, k_w, C_in, C_out)" in keras.steps[-1].text
    named = {m.id: m.answers for m in counting.mistakes(params)}
    assert named["weight_layout"] == {"conv1.weight_shape": (8, 3, 3, 5), "fc1.weight_shape": (10, 640)}
