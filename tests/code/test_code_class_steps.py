"""What a stateful class's code problem needs of the [code] mechanism (cs37300-hw4's NumpyANN uses them all):
steps that build an instance without its constructor and read its attributes, the step a method took as
arithmetic, labels drawn one-hot, a method still as the starter wrote it read as not implemented (a method the
starter pre-fills graded as it stands), and two arguments in the other order named."""

from __future__ import annotations

import pytest

from gradekit.code.scenario import draw_cases, parse_dims, parse_input, parse_step, referenced
from gradekit.code.swapped import swapped_step
from gradekit.code.unchanged import bodies_to_write, starter_unchanged

STARTER = b'''import numpy as np


class Net:
    def relu(self, z):
        relu = None
        return relu

    def loss(self, p, y):
        return -np.sum(y * np.log(p)) / p.shape[0]
'''
SOLUTION = STARTER.replace(b"relu = None", b"relu = np.maximum(z, 0)")


def test_a_step_reads_attributes_module_names_and_arithmetic():
    step = parse_step("dW = (W - net.W) / 0.1")
    assert step["targets"] == ["dW"]
    assert step["value"] == {"op": "/", "args": [{"op": "-", "args": [{"ref": "W"}, {"ref": "net", "attrs": ["W"]}]},
                                                 {"const": 0.1}]}
    assert referenced([step]) == ["W", "net"]
    assert parse_step("net = Net.__new__(Net)")["call"] == {"path": ["Net", "__new__"], "args": [{"ref": "Net"}],
                                                             "kwargs": {}}
    assert parse_step("net.W = W.copy()")["call"]["path"] == ["W", "copy"]
    assert parse_step("g = -net.W")["value"] == {"op": "neg", "args": [{"ref": "net", "attrs": ["W"]}]}
    with pytest.raises(ValueError, match=r"arithmetic \(\+ - \* /\)"):
        parse_step("g = W ** 2")


def test_one_hot_labels_are_drawn_one_class_per_row_and_kept_by_the_edge_cases():
    inputs = (parse_input("X", "float64[N, 3]"), parse_input("Y", "float64[N, C] one-hot"))
    cases = draw_cases(inputs, parse_dims({"N": [2, 6], "C": [2, 4]}), seed=7, batch="N")
    assert [c.label for c in cases][:4] == ["a batch of one", "zeros", "negatives", "large magnitudes"]
    for case in cases:
        Y = case.arrays[1]
        assert Y.shape == (case.dims["N"], case.dims["C"]) and set(Y.sum(axis=1)) == {1.0} and set(Y.flat) <= {0, 1}
    assert not cases[1].arrays[0].any() and cases[2].arrays[0].max() < 0  # the features take the edge, labels not
    with pytest.raises(ValueError, match="one-hot"):
        parse_input("Y", "bool[N, C] one-hot")


def test_a_method_as_the_starter_wrote_it_is_not_implemented_and_a_pre_filled_one_is_graded():
    setup = {"starter_bodies": bodies_to_write(STARTER, SOLUTION)}
    assert [name for name, _ in setup["starter_bodies"]] == ["Net", "Net.relu"]  # Net.loss is pre-filled
    assert starter_unchanged(STARTER, setup, "Net.loss")  # the whole class as the starter wrote it
    student = SOLUTION.replace(b"np.maximum(z, 0)", b"z * (z > 0)")
    assert not starter_unchanged(student, setup, "Net.relu") and not starter_unchanged(student, setup, "Net.loss")
    half_done = STARTER.replace(b"return -np.sum", b"return -1.0 * np.sum")
    assert starter_unchanged(half_done, setup, "Net.relu") and not starter_unchanged(half_done, setup, "Net.loss")


def test_only_two_inputs_declared_alike_are_swapped():
    alike = {"P": ("float64", ("N", "C")), "Y": ("float64", ("N", "C")), "X": ("float64", ("N", "D"))}
    assert swapped_step(parse_step("L = net.loss(P, Y)"), alike)["call"]["args"] == [{"ref": "Y"}, {"ref": "P"}]
    assert swapped_step(parse_step("L = net.loss(P, X)"), alike) is None  # other shapes: no such slip
    assert swapped_step(parse_step("L = net.loss(P, Y, 2)"), alike) is None
    assert swapped_step(parse_step("L = net.loss(P, P)"), alike) is None
