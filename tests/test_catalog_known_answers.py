"""The catalog's known answers (CATALOG.md, ✓), typed in by hand: the round-trip tests grade solve()'s output,
so a wrong reference must fail here, independently of gradekit's own numbers."""

from __future__ import annotations

import numpy as np
import pytest

from gradekit.spec.catalog import load_catalog
from gradekit.check.expr import declare
from gradekit.check.expr.compare import check_formula

CAT = load_catalog()

KNOWN = {  # problem: {part: the published or hand-derived value}
    "ece661-hw1/q1": {"1.1": False, "1.2": False, "1.3": True, "1.4": True, "1.5": False},
    "ece661-hw1/q2.1": {"s": [-1, 1, 3, 5], "y": [-1, 1, 1, 1], "function": "OR"},
    "ece661-hw1/q3.2": {"L": 116, "dL/dW1": [[0, 0, 0], [34, 34, -34]], "dL/dW2": [[0, 98], [0, 42]],
                        "dL/db1": [0, 34], "dL/db2": [14, 6]},
    "ece661-hw1/q4.1": {"output": [[0, 1, -.5, 1, 0, -1, .5, -1, 0], [1, 0, 1, 0, 0, 0, -1, 0, -1],
                                   [-.5, 1, 1, .5, 0, -.5, -1, -1, .5], [1, 0, 1, 0, 0, 0, -1, 0, -1],
                                   [0, 1, -.5, 1, 0, -1, .5, -1, 0]]},
    "ece661-hw1/lab2b": {"conv1.input_shape": [1, 3, 32, 32], "conv1.output_shape": [1, 16, 32, 32],
                         "conv1.weight_shape": [16, 3, 5, 5], "conv1.params": 1200, "conv1.macs": 1228800,
                         "conv2.input_shape": [1, 16, 15, 15], "conv2.output_shape": [1, 16, 17, 17],
                         "conv2.weight_shape": [16, 16, 3, 3], "conv2.params": 2304, "conv2.macs": 665856,
                         "conv3.input_shape": [1, 16, 8, 8], "conv3.output_shape": [1, 32, 6, 6],
                         "conv3.weight_shape": [32, 16, 7, 7], "conv3.params": 25088, "conv3.macs": 903168,
                         "fc1.params": 9216, "fc1.macs": 9216, "fc2.params": 320, "fc2.macs": 320},
    "ece661-hw1/lab2b-lenet": {"conv1.weight_shape": [6, 3, 5, 5], "conv1.params": 450, "conv1.macs": 352800,
                               "conv2.weight_shape": [16, 6, 5, 5], "conv2.params": 2400, "conv2.macs": 240000,
                               "fc1.params": 48000, "fc2.params": 10080, "fc3.params": 840},
    "coms573-hw5/q1": {"params": 3 * 3 * 128 * 256 + 3 * 3 * 256 * 512, "macs": 1509949440, "memory_change": 0},
    "coms573-hw5/q2a": {"mu": [13, 5, 0], "var": [1, 25, 25], "z_hat": [[-1, 1, 1, -1]] * 3},
    "coms573-hw5/q2b": {"z_tilde": [[-1, 1, 1, -1], [-11, -9, -9, -11], [9, 11, 11, 9]]},
    "cs37300-hw4/q1": {"1": True, "2": False, "3": False},
    "cs37300-hw4/q3.1b": {"shape": [5, 6]},
    "cs37300-hw4/q3.2a": {"answer": ["B", "D"]},
    "cs37300-hw4/q3.2c": {"params_with_bias": 28, "params": 27},
    "cs37300-hw4/q3.2e": {"conv1.params_with_bias": 148, "conv2.params_with_bias": 111, "params_with_bias": 259},
    "ece449-a2/p3": {"params_with_bias": 62006},
    "ece449-a2/p5": {"q": [0.8808, 0.1192], "W_new": [[0.98838, -0.01162], [0.01162, -0.98838]],
                     "B_new": [-0.01162, 0.01162]},
}
FORMULAS = {  # problem: (part, the published formula)
    "ece661-hw1/q3.1": ("dL/dW1", "((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ"),
    "ece449-a2/p4": ("dE/dz_x", "q_x - p_x"),
}


@pytest.mark.parametrize("qid", list(KNOWN))
def test_the_reference_gives_the_known_answers(qid):
    answers = CAT.solve(CAT.resolve(qid)).answers
    for part, known in KNOWN[qid].items():
        got = answers[part]
        if isinstance(known, (bool, str)) or (isinstance(known, list) and isinstance(known[0], str)):
            assert got == known or list(got) == known, (part, got)
        else:  # published to 4 or 5 digits where not exact
            np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(known, dtype=float),
                                       rtol=0, atol=5e-5, err_msg=part)


@pytest.mark.parametrize("qid", list(FORMULAS))
def test_the_reference_formulas_are_the_published_ones(qid):
    from gradekit.check.symbolic import declarations

    problem = CAT.resolve(qid)
    part, known = FORMULAS[qid]
    symbols, define = declarations(dict(problem.part(part).options), problem.validated_params)
    table = declare(symbols or {}, define or {})
    assert check_formula(known, CAT.solve(problem).answers[part], table).verdict == "correct"


def test_the_code_problems_counts():
    # coms573-hw5/q4 LeNet for 10 classes: 62,006 parameters; ece449-a2/task4 ResNet-18: 11,173,962 (CATALOG.md)
    import torch

    from gradekit.reference import models

    assert sum(p.numel() for p in models.LeNet5().parameters()) == 62006
    assert sum(p.numel() for p in models.get_resnet(num_classes=10).parameters()) == 11173962
    assert isinstance(models.LeNet5()(torch.zeros(2, 3, 32, 32)), torch.Tensor)
