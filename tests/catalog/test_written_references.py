"""Written problems of another course, said two ways and graded alike (issue 34).

CMU 11-785 HW1P1's linear layer backward on a batch, mean cross-entropy on a batch and batch norm's backward
(rutvikjoshi63/11785-hw1-p1: mytorch/nn/linear.py at bfbb333c, loss.py at e040bfbd, batchnorm.py at 7069302b)
are in the built-in catalog through families (problems/cmu11785-hw1-written) and in an instructor's folder
through a solution.py each (tests/courses/cmu11785-hw1-written-py). Answers as students write them (text,
LaTeX matrices, lists) get the same grade from both; credit as TAs give it (carried forward, too few digits,
per entry, scope, a transposed matrix) is priced by the specs and named in the feedback.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gradekit.grading.problem import grade_problem
from gradekit.catalog.catalog import load_catalog

COURSE = Path(__file__).parents[1] / "courses" / "cmu11785-hw1-written-py"
CAT = load_catalog(extra=[COURSE])
FAMILY, SOLUTION = "cmu11785-hw1-written", "cmu11785-hw1-written-py"


def grade(assignment: str, pid: str, answers: dict) -> dict:
    result, _ = grade_problem(CAT, CAT.resolve(f"{assignment}/{pid}"), answers)
    return {p.name: (p.verdict.value, p.score, p.diagnosis) for p in result.parts}


def both(pid: str, answers: dict) -> dict:
    """The grade of ``answers`` under the family's spec, asserted equal to the solution.py spec's."""
    by_family, by_solution = grade(FAMILY, pid, answers), grade(SOLUTION, pid, answers)
    assert by_family == by_solution
    return by_family


def written(values, digits: int = 4) -> str:
    """A matrix as a student types it: rows of numbers to ``digits`` significant digits."""
    rows = np.atleast_2d(np.asarray(values, dtype=float))
    return "[" + ", ".join("[" + ", ".join(f"{v:.{digits}g}" for v in row) + "]" for row in rows) + "]"


# -- the linear layer: A (N, C0), W (C1, C0) ---------------------------------------------------------------

LINEAR_RIGHT = {"Z": "[[1.5, 0], [6.5, -2]]", "dLdA": "[[0.3, -0.1, 0.4], [0.1, 0.3, 0.8]]",
                "dLdW": r"\begin{bmatrix} 0.2 & 0 & 1.2 \\ -0.1 & -0.5 & 0.9 \end{bmatrix}", "dLdb": "0.6, 0.2"}


def test_the_linear_layer_graded_alike_both_ways():
    assert both("linear_backward", LINEAR_RIGHT) == {
        "Z": ("correct", 1.0, None), "dLdA": ("correct", 2.0, None), "dLdW": ("correct", 2.0, None),
        "dLdb": ("correct", 1.0, None)}


@pytest.mark.parametrize("part, answer, expected", [
    # dLdW as (C0, C1): the transpose, priced at half of 2 points
    ("dLdW", "[[0.2, -0.1], [0, -0.5], [1.2, 0.9]]", ("partial", 1.0, "transposed")),
    # averaged over the batch of 2 where the course sums: N times off, the scope the spec prices at half
    ("dLdW", "[[0.1, 0, 0.6], [-0.05, -0.25, 0.45]]", ("partial", 1.0, "scope")),
    ("dLdb", "[0.3, 0.1]", ("partial", 0.5, "scope")),
    # one slip in 6 entries: credit per entry, 0.5 × 5/6 of 2 points
    ("dLdA", "[[0.3, -0.1, 0.4], [0.1, 0.3, -0.8]]", ("partial", round(2 * 0.5 * 5 / 6, 6), "per_entry")),
])
def test_credit_as_a_ta_gives_it(part, answer, expected):
    assert both("linear_backward", {**LINEAR_RIGHT, part: answer})[part] == expected


# -- mean cross-entropy: softmax -> loss -> gradient --------------------------------------------------------

CE_RIGHT = {"softmax": "[[0.2312, 0.6285, 0.1402], [0.1142, 0.04201, 0.8438]]", "loss": "0.3171",
            "dLdZ": "[[0.1156, -0.1857, 0.07012], [0.05710, 0.02101, -0.07810]]"}


def test_cross_entropy_graded_alike_both_ways():
    assert both("ce_batch", CE_RIGHT) == {"softmax": ("correct", 1.0, None), "loss": ("correct", 1.0, None),
                                          "dLdZ": ("correct", 2.0, None)}


def test_a_wrong_softmax_carries_forward_through_the_loss_and_the_gradient():
    # the student's own softmax (rows sum to 1, but not the key's); the loss and the gradient right for it
    S = np.array([[0.25, 0.60, 0.15], [0.10, 0.05, 0.85]])
    Y = np.array([[0, 1, 0], [0, 0, 1]])
    answers = {"softmax": written(S), "loss": f"{-(Y * np.log(S)).sum() / 2:.4f}", "dLdZ": written((S - Y) / 2)}
    assert answers["loss"] == "0.3367"
    got = both("ce_batch", answers)
    assert got == {"softmax": ("wrong", 0.0, None), "loss": ("partial", 1.0, "carried_forward"),
                   "dLdZ": ("partial", 2.0, "carried_forward")}
    result, _ = grade_problem(CAT, CAT.resolve(f"{FAMILY}/ce_batch"), answers)
    assert "right for your own answer to softmax (carried forward)" in result.parts[1].feedback
    # a loss wrong for the student's own softmax too gets nothing
    assert both("ce_batch", {**answers, "loss": "0.4"})["loss"] == ("wrong", 0.0, None)


@pytest.mark.parametrize("loss, expected", [
    ("0.6342", ("partial", 0.5, "scope")),  # the sum over the batch of 2 where the mean is asked
    ("0.317", ("partial", 0.5, "too_few_digits")),  # right, to 3 digits where 4 are asked
    ("0.32", ("partial", 0.5, "too_few_digits")),
])
def test_the_loss_for_another_scope_or_to_too_few_digits(loss, expected):
    assert both("ce_batch", {**CE_RIGHT, "loss": loss})["loss"] == expected


def test_too_few_digits_unpriced_stays_as_today():
    # softmax prices nothing: right to 2 digits is wrong, named, as before the key existed
    assert both("ce_batch", {**CE_RIGHT, "softmax": "[[0.23, 0.63, 0.14], [0.11, 0.042, 0.84]]"})["softmax"] == \
        ("wrong", 0.0, "too_few_digits")


# -- batch norm's backward -----------------------------------------------------------------------------------

Z = np.array([[1.0, 2], [3, -1], [0, 4]])
GAMMA, DBZ = np.array([1.5, 0.5]), np.array([[0.1, -0.2], [0.3, 0.1], [-0.5, 0.4]])


def _bn_from(z_hat):
    """dLdBW and dLdZ from a given NZ, by the course's formula."""
    d = DBZ * GAMMA
    n, sd = len(Z), Z.std(axis=0)
    return (DBZ * z_hat).sum(axis=0), (n * d - d.sum(axis=0) - z_hat * (d * z_hat).sum(axis=0)) / (n * sd)


def test_batch_norm_graded_alike_both_ways_and_carried_forward():
    z_hat = (Z - Z.mean(axis=0)) / Z.std(axis=0)
    dgamma, dZ = _bn_from(z_hat)
    right = {"z_hat": written(z_hat), "dLdgamma": written(dgamma), "dLdbeta": "[-0.1, 0.3]", "dLdZ": written(dZ)}
    assert set(v[0] for v in both("bn_backward", right).values()) == {"correct"}
    slipped = z_hat.copy()
    slipped[1, 0] = 1.5  # one arithmetic slip in NZ
    dgamma, dZ = _bn_from(slipped)
    got = both("bn_backward", {**right, "z_hat": written(slipped), "dLdgamma": written(dgamma), "dLdZ": written(dZ)})
    assert got["z_hat"] == ("wrong", 0.0, None)
    assert got["dLdgamma"] == ("partial", 1.0, "carried_forward") and got["dLdZ"] == ("partial", 2.0, "carried_forward")


def test_batch_norms_named_mistakes_both_ways():
    sd = Z.std(axis=0)
    got = both("bn_backward", {"dLdZ": written(DBZ * GAMMA / sd)})  # μ and σ² taken as constants
    assert got["dLdZ"] == ("partial", 0.5, "statistics_treated_as_constants")


# -- the conventions are parameters: the same layer written (in, out) with examples as columns ------------

def test_the_linear_layers_layouts_are_parameters():
    from gradekit.core.families import registry

    fam = registry()["linear.backward"]
    raw = CAT.resolve(f"{FAMILY}/linear_backward").params
    rows = fam.solve(fam.check(raw)).answers
    cols = fam.solve(fam.check({"A": np.array(raw["A"]).T.tolist(), "W": np.array(raw["W"]).T.tolist(),
                                "b": raw["b"], "dLdZ": np.array(raw["dLdZ"]).T.tolist(),
                                "examples": "columns", "weight": "in_out"})).answers
    for key in ("Z", "dLdA", "dLdW"):
        np.testing.assert_allclose(cols[key], rows[key].T)
    np.testing.assert_allclose(cols["dLdb"], rows["dLdb"])
    steps = fam.solve(fam.check({**raw, "weight": "out_in"})).steps
    assert "W is (C_out, C_in)" in steps[0].text and "examples are rows" in steps[0].text


def test_an_earlier_answer_of_another_shape_carries_nothing_and_breaks_nothing():
    answers = {"softmax": "[0.5, 0.5]", "loss": "0.6931", "dLdZ": CE_RIGHT["dLdZ"]}
    got = both("ce_batch", answers)
    assert got["softmax"][0] == "wrong" and got["loss"] == ("wrong", 0.0, None)
    assert got["dLdZ"] == ("correct", 2.0, None)


# -- a naive multi-channel convolution (CS231n assignment 2's conv_forward_naive), answered as written -------

@pytest.mark.parametrize("answers, expected", [
    ({"shape": "2 x 2 x 2", "output.1": r"\begin{bmatrix} 2 & 4 \\ 4 & 5 \end{bmatrix}", "output.2": "[[1, 2], [2, 3]]"},
     {"shape": ("correct", 1.0, None), "output.1": ("correct", 1.5, None), "output.2": ("correct", 1.5, None)}),
    # the bias of filter 2 is 0: leaving the biases out costs only output.1, where it is 1
    ({"output.1": "[[1, 3], [3, 4]]", "output.2": "[[1, 2], [2, 3]]"},
     {"output.1": ("wrong", 0.0, "bias_omitted"), "output.2": ("correct", 1.5, None)}),
    # one entry of four wrong: half the price per right entry
    ({"output.2": "[[1, 2], [2, 4]]"}, {"output.2": ("partial", round(1.5 * 0.5 * 3 / 4, 6), "per_entry")}),
])
def test_a_multi_channel_convolution_by_hand(answers, expected):
    got = grade("cs231n-a2-written", "conv_naive", answers)
    assert {k: got[k] for k in expected} == expected


def test_forward_loss_and_gradients_carry_forward_through_a_linear_layer(tmp_path):
    """Z = A Wᵀ + b → softmax → mean loss → dL/dZ → dL/dW: one slip in Z, every later part right for it."""
    import textwrap

    from gradekit.catalog.catalog import read_catalog

    folder = tmp_path / "hw6"
    folder.mkdir()
    (folder / "assignment.toml").write_text('name = "hw6"\ntitle = "six"\n')
    later = "".join(f'\n[[parts]]\nname = "{n}"\nkind = "{k}"\ndigits = 4\npartial = {{ carried_forward = 0.8 }}\n'
                    for n, k in (("softmax", "matrix"), ("loss", "number"), ("dLdZ", "matrix"), ("dLdW", "matrix")))
    (folder / "q1.toml").write_text(textwrap.dedent('''\
        id = "q1"
        title = "a linear layer into softmax cross-entropy"
        family = "softmax_ce.batch"
        statement = "Z = A Wᵀ + b, then the mean cross-entropy for labels 1 and 2."
        [params]
        A = [[1, 2, 0], [0, -1, 3]]
        W = [[1, 0, 2], [-1, 1, 0], [0.5, 0.5, 0.5]]
        b = [0.5, -1, 0]
        labels = [1, 2]

        [[parts]]
        name = "Z"
        kind = "matrix"
        ''') + later)
    assert validate_errors(tmp_path) == []
    catalog = read_catalog(tmp_path)
    problem = catalog.resolve("hw6/q1")
    A, Y = np.array([[1.0, 2, 0], [0, -1, 3]]), np.array([[0, 1, 0], [0, 0, 1]])
    Z = np.array([[1.5, 0, 1.5], [6.5, -2, 2]])  # the key's Z has 1 where this has 2 (one slip)
    S = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    dZ = (S - Y) / 2
    answers = {"Z": written(Z), "softmax": written(S), "loss": f"{-(Y * np.log(S)).sum() / 2:.4f}",
               "dLdZ": written(dZ), "dLdW": written(dZ.T @ A)}
    result, _ = grade_problem(catalog, problem, answers)
    assert [(p.name, p.verdict.value, p.score, p.diagnosis) for p in result.parts] == [
        ("Z", "wrong", 0.0, None), ("softmax", "partial", 0.8, "carried_forward"),
        ("loss", "partial", 0.8, "carried_forward"), ("dLdZ", "partial", 0.8, "carried_forward"),
        ("dLdW", "partial", 0.8, "carried_forward")]


def validate_errors(folder):
    from gradekit.catalog.validate import validate

    return validate([folder])[1]
