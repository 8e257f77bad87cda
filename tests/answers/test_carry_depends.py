"""A carried-forward feedback line names only the earlier answers the part was recomputed from.

A family (``Family.depends``) or a solution.py (``DEPENDS = {...}``) says which earlier parts each part is
computed from; the recomputation uses the student's own answers to those (through the parts between, where the
student's answer to one between was not given) and the feedback names only them. A part nothing declares
depends on every earlier part, as before.
"""

from __future__ import annotations

import textwrap

import numpy as np

from gradekit.grading.problem import grade_problem
from gradekit.catalog.catalog import read_catalog
from gradekit.catalog.validate import validate
from tests.catalog.test_solution_file import course, layers_course
from tests.catalog.test_written_references import CAT, Z, _bn_from, written


def _feedback(catalog, ident, answers):
    result, _ = grade_problem(catalog, catalog.resolve(ident), answers)
    return {p.name: (p.verdict.value, p.diagnosis, p.feedback) for p in result.parts}


def test_batch_norms_input_gradient_names_only_the_students_z_hat_both_ways():
    z_hat = (Z - Z.mean(axis=0)) / Z.std(axis=0)
    slipped = z_hat.copy()
    slipped[1, 0] = 1.5  # one slip in NZ: ∂L/∂γ and ∂L/∂Z right for it; ∂L/∂γ is then not "right" either
    dgamma, dZ = _bn_from(slipped)
    answers = {"z_hat": written(slipped), "dLdgamma": written(dgamma), "dLdbeta": "[-0.1, 0.3]",
               "dLdZ": written(dZ)}
    for assignment in ("cmu11785-hw1-written", "cmu11785-hw1-written-py"):
        got = _feedback(CAT, f"{assignment}/bn_backward", answers)
        assert got["dLdgamma"][:2] == ("partial", "carried_forward")
        verdict, diagnosis, feedback = got["dLdZ"]
        assert (verdict, diagnosis) == ("partial", "carried_forward")
        assert "right for your own answer to z_hat (carried forward)" in feedback, feedback
        assert "dLdgamma" not in feedback


def _chain(tmp_path):
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
    assert validate([tmp_path])[1] == []
    return read_catalog(tmp_path)


def test_a_chain_names_the_nearest_earlier_answer_each_part_was_computed_from(tmp_path):
    catalog = _chain(tmp_path)
    A, Y = np.array([[1.0, 2, 0], [0, -1, 3]]), np.array([[0, 1, 0], [0, 0, 1]])
    Z = np.array([[1.5, 0, 1.5], [6.5, -2, 2]])  # one slip in Z
    S = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    dZ = (S - Y) / 2
    got = _feedback(catalog, "hw6/q1", {"Z": written(Z), "softmax": written(S),
                                        "loss": f"{-(Y * np.log(S)).sum() / 2:.4f}", "dLdZ": written(dZ),
                                        "dLdW": written(dZ.T @ A)})
    assert [v[:2] for v in got.values()] == [("wrong", None)] + [("partial", "carried_forward")] * 4
    assert "your own answer to Z (carried" in got["softmax"][2]
    assert "your own answer to softmax (carried" in got["loss"][2]
    assert "your own answer to softmax (carried" in got["dLdZ"][2]
    assert "your own answer to dLdZ (carried" in got["dLdW"][2]


def test_a_part_between_left_unanswered_is_passed_through(tmp_path):
    catalog = _chain(tmp_path)
    Y = np.array([[0, 1, 0], [0, 0, 1]])
    Z = np.array([[1.5, 0, 1.5], [6.5, -2, 2]])
    S = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    got = _feedback(catalog, "hw6/q1", {"Z": written(Z), "loss": f"{-(Y * np.log(S)).sum() / 2:.4f}"})
    assert got["loss"][:2] == ("partial", "carried_forward")
    assert "your own answer to Z (carried" in got["loss"][2]


DEPENDS_SOLUTION = '''
    DEPENDS = {"n": ["y"]}

    def solve(params, given={}):
        y = given.get("y", 2 * params["x"])
        m = given.get("m", params["x"] + 1)
        return {"y": y, "m": m, "n": int(round(float(y))) + 1}
    '''


def test_a_solution_file_declares_what_each_part_depends_on(tmp_path):
    root = course(tmp_path, DEPENDS_SOLUTION)
    spec = root / "hw9" / "q1.toml"
    spec.write_text(spec.read_text().replace('[[parts]]\nname = "n"', '[[parts]]\nname = "m"\nkind = "integer"\n\n'
                                                                        '[[parts]]\nname = "n"'))
    catalog = read_catalog(root)
    got = _feedback(catalog, "hw9/q1", {"y": "5", "m": "9", "n": "6"})
    assert got["n"][:2] == ("partial", "carried_forward")
    assert "your own answer to y (carried" in got["n"][2] and "m" not in got["n"][2].split("answer")[1]


def test_a_solution_files_depends_must_be_a_literal_table_of_part_names(tmp_path):
    catalog = read_catalog(course(tmp_path, 'DEPENDS = {"n": "y"}\ndef solve(p):\n    return {"y": 1, "n": 2}\n'))
    assert "solution.py line 1: DEPENDS must be a literal table of part names" in str(catalog.broken["hw9"])


def test_a_layers_shapes_name_the_layer_before_it_not_every_earlier_slip(tmp_path):
    layers_course(tmp_path, "".join(f'\n[[parts]]\nname = "{name}"\nkind = "shape"\npartial = {{ carried_forward = 0.5 }}\n'
                                    for name in ("conv2.output_shape", "fc1.weight_shape")))
    assert validate([tmp_path])[1] == []
    catalog = read_catalog(tmp_path)
    got = _feedback(catalog, "hw7/q1", {"conv1.output_shape": "(1, 8, 15, 15)", "conv2.output_shape": "1x16x13x13",
                                        "fc1.weight_shape": "[10, 2704]"})
    assert [v[:2] for v in got.values()] == [("wrong", "stride_ignored")] + [("partial", "carried_forward")] * 2
    assert "your own answer to conv1.output_shape (carried" in got["conv2.output_shape"][2]
    assert "your own answer to conv2.output_shape (carried" in got["fc1.weight_shape"][2]
