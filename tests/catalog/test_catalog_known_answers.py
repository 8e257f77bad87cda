"""The catalog's known answers (CATALOG.md, ✓, and the seeds' solutions), typed in by hand.

The round-trip tests grade solve()'s output against itself, so a wrong reference must fail here,
independently of gradekit's own numbers. Every problem of the catalog has a pinned answer in one of
six tables: KNOWN and FORMULAS here (values and formulas typed from CATALOG.md and seeds/), WRITTEN
(answers as a student writes them, graded: each must earn full marks), MANUAL (the facts the seed's
solution states, for parts a person grades), test_catalog_computed_answers.COMPUTED (recomputed
with torch or NumPy from the params) and test_catalog_module_answers.MODULE_PINS (module problems).
test_every_problem_of_the_catalog_has_a_pinned_answer keeps it so for problems added later."""

from __future__ import annotations

import numpy as np
import pytest

from gradekit import grade_answers
from gradekit.catalog.catalog import load_catalog
from gradekit.check.expr import declare
from gradekit.check.expr.compare import check_formula

CAT = load_catalog()

KNOWN = {  # problem: {part: the published or hand-derived value}
    "ece661-hw1/q1": {"1.1": False, "1.2": False, "1.3": True, "1.4": True, "1.5": False},
    "ece661-hw1/q2.1": {"s": [-1, 1, 3, 5], "y": [-1, 1, 1, 1], "function": "OR"},
    # verified parts accept any design with the property; the reference's own must be CATALOG.md's example,
    # and its s table the one worked out by hand over the rows (−1,−1), (−1,+1), (+1,−1), (+1,+1)
    "ece661-hw1/q2.2": {"w": [1, -1, -1], "s": [3, 1, 1, -1]},  # NAND: 1 − x1 − x2
    "ece661-hw1/q2.3": {"w": [0, 1, 1, 1], "s": [-3, -1, -1, 1, -1, 1, 1, 3]},  # majority, rows in binary order
    "ece661-hw1/q2.4": {"hidden": [[1, 1], [1, -1], [-1, 1], [1, 1]], "w2": [1, -1, -1], "s": [-1, 1, 1, -1]},
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
                         "fc1.input_shape": [1, 288], "fc1.output_shape": [1, 32], "fc1.weight_shape": [32, 288],
                         "fc1.params": 9216, "fc1.macs": 9216,
                         "fc2.input_shape": [1, 32], "fc2.output_shape": [1, 10], "fc2.weight_shape": [10, 32],
                         "fc2.params": 320, "fc2.macs": 320},
    "ece661-hw1/lab2b-lenet": {"conv1.input_shape": [1, 3, 32, 32], "conv1.output_shape": [1, 6, 28, 28],
                               "conv1.weight_shape": [6, 3, 5, 5], "conv1.params": 450, "conv1.macs": 352800,
                               "conv2.input_shape": [1, 6, 14, 14], "conv2.output_shape": [1, 16, 10, 10],
                               "conv2.weight_shape": [16, 6, 5, 5], "conv2.params": 2400, "conv2.macs": 240000,
                               "fc1.input_shape": [1, 400], "fc1.output_shape": [1, 120], "fc1.weight_shape": [120, 400],
                               "fc1.params": 48000, "fc1.macs": 48000,
                               "fc2.input_shape": [1, 120], "fc2.output_shape": [1, 84], "fc2.weight_shape": [84, 120],
                               "fc2.params": 10080, "fc2.macs": 10080,
                               "fc3.input_shape": [1, 84], "fc3.output_shape": [1, 10], "fc3.weight_shape": [10, 84],
                               "fc3.params": 840, "fc3.macs": 840},
    "coms573-hw5/q1": {"params": 3 * 3 * 128 * 256 + 3 * 3 * 256 * 512, "macs": 1509949440, "memory_change": 0},
    "coms573-hw5/q2a": {"mu": [13, 5, 0], "var": [1, 25, 25], "z_hat": [[-1, 1, 1, -1]] * 3},
    "coms573-hw5/q2b": {"z_tilde": [[-1, 1, 1, -1], [-11, -9, -9, -11], [9, 11, 11, 9]]},
    "coms573-hw5/q3c": {"is_convolution": True, "padding": 2,
                        "kernel1": [["w_3^{11}", "w_2^{11}", "w_1^{11}"], ["w_3^{12}", "w_2^{12}", "w_1^{12}"]],
                        "kernel2": [["w_3^{21}", "w_2^{21}", "w_1^{21}"], ["w_3^{22}", "w_2^{22}", "w_1^{22}"]]},
    "cs37300-hw4/q1": {"1": True, "2": False, "3": False},
    "cs37300-hw4/q3.1b": {"shape": [5, 6]},
    "cs37300-hw4/q3.2a": {"answer": ["B", "D"]},
    "cs37300-hw4/q3.2c": {"params_with_bias": 28, "params": 27},
    "cs37300-hw4/q3.2e": {"conv1.params_with_bias": 148, "conv2.params_with_bias": 111, "params_with_bias": 259},
    "ece449-a2/p3": {"params_with_bias": 62006},
    "ece449-a2/p5": {"q": [0.8808, 0.1192], "dE/dz": [0.8808 - 0.3, 0.1192 - 0.7],  # dE/dz = q − p
                     "W_new": [[0.98838, -0.01162], [0.01162, -0.98838]], "B_new": [-0.01162, 0.01162]},
}
FORMULAS = {  # problem: (part, the published formula)
    "ece661-hw1/q3.1": ("dL/dW1", "((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ"),
    "ece449-a2/p4": ("dE/dz_x", "q_x - p_x"),
}
WRITTEN = {  # problem: {part: the answer derived by hand, written as a student would}: each earns full marks
    "ece661-hw1/q3.1": {"dL/dW1": "((W2^T (x3 - t)) * x2 * (1 - x2)) x1^T", "dL/dW2": "(x3 - t) x2^T",
                        "dL/db1": "(W2^T (x3 - t)) ∘ x2 ∘ (1 − x2)", "dL/db2": "x3 - t"},
    "cs37300-hw4/q2.1": {"relu'(z>0)": "1", "relu'(z<0)": "0", "relu'(0)": "1", "leaky'(z>0)": "1",
                         "leaky'(z<0)": "alpha", "leaky'(0)": "1", "elu'(z>0)": "1", "elu'(z<0)": "alpha e^z",
                         "elu'(0)": "1"},
    "cs37300-hw4/q2.2": {"relu: dh/dw_j (wᵀx>0)": "x_j", "relu: dh/dw_j (wᵀx<0)": "0",
                         "leaky: dh/dw_j (wᵀx>0)": "x_j", "leaky: dh/dw_j (wᵀx<0)": "alpha x_j",
                         "elu: dh/dw_j (wᵀx>0)": "x_j", "elu: dh/dw_j (wᵀx<0)": "alpha exp(wᵀx) x_j"},
    "cs37300-hw4/q2.3": {"condition": "w^T x_i + b <= 0"},
    "ece449-a2/p1-index": {"dloss/ds_de": "g_ij / 4", "dloss/dc_de": "(g_ij / 4) s_de (1 - s_de)",
                           "dloss/dK_ab": "sum(dC ∘ X_ab)"},
    "ece449-a2/p4": {"dE/dz_x": "q_x - p_x"},
}
MANUAL = {  # problem: {manual part: what the seed's solution states, in words the reference text must use}
    "coms573-hw5/q2c": {"answer": ["mini-batch", "γ", "β", "running"]},  # seed 002: running/population mean at test
    "coms573-hw5/q2d": {"answer": ["does not", "running"]},  # seed 002: test batch size does not affect results
}


def _has_text(value) -> bool:
    return isinstance(value, (bool, str)) or (isinstance(value, list) and any(map(_has_text, value)))


def _as_lists(value):
    return [_as_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("qid", list(KNOWN))
def test_the_reference_gives_the_known_answers(qid):
    answers = CAT.solve(CAT.resolve(qid)).answers
    for part, known in KNOWN[qid].items():
        got = answers[part]
        if _has_text(known):
            assert _as_lists(got) == known, (part, got)
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


@pytest.mark.parametrize("qid", list(WRITTEN))
def test_the_answers_derived_by_hand_earn_full_marks(qid):
    report = grade_answers({qid: WRITTEN[qid]})
    assignment, pid = qid.split("/")
    problem = next(p for p in report.problems if p.assignment == assignment and p.id == pid)
    got = {x.name: (x.verdict, x.score, x.max_score) for x in problem.parts if x.name in WRITTEN[qid]}
    assert got == {x.name: ("correct", x.max_score, x.max_score) for x in problem.parts if x.name in WRITTEN[qid]}
    assert set(got) == set(WRITTEN[qid])


@pytest.mark.parametrize("qid", list(MANUAL))
def test_the_manual_keys_state_the_seeds_solution(qid):
    answers = CAT.solve(CAT.resolve(qid)).answers
    for part, words in MANUAL[qid].items():
        assert all(w.lower() in answers[part].lower() for w in words), (part, words)


def _pinned_tables():
    from tests.catalog.test_catalog_computed_answers import COMPUTED
    from tests.catalog.test_catalog_module_answers import MODULE_PINS

    return {"KNOWN": KNOWN, "FORMULAS": {q: {part: f} for q, (part, f) in FORMULAS.items()}, "WRITTEN": WRITTEN,
            "MANUAL": MANUAL, "COMPUTED": COMPUTED, "MODULE_PINS": MODULE_PINS}


def test_every_problem_of_the_catalog_has_a_pinned_answer():
    # a new problem covered only by a round trip of solve() into check fails here until its answer is pinned
    tables = _pinned_tables()
    pinned = set().union(*tables.values())
    catalog = {p.qualified_id for p in CAT.problems()}
    assert catalog - pinned == set(), f"no pinned answer (add one to {', '.join(tables)})"
    assert pinned - catalog == set(), "pinned answers for problems the catalog does not have"


def test_every_answered_part_has_a_pinned_value():
    # parts a person grades (manual) and students' code (function) are pinned per problem, every other part by name
    tables = _pinned_tables()
    from tests.catalog.test_catalog_computed_answers import COMPUTED

    computed = {q: COMPUTED[q](CAT.resolve(q).params, CAT.resolve(q).validated_params) for q in COMPUTED}
    by_name = [KNOWN, tables["FORMULAS"], WRITTEN, MANUAL, computed]
    missing = [f"{p.qualified_id}:{part.name}" for p in CAT.problems() for part in p.parts
               if part.kind not in ("manual", "function")
               and not any(part.name in t.get(p.qualified_id, {}) for t in by_name)]
    assert missing == [], missing
