"""ECE 661 HW1 Lab 2(a) graded as its TAs grade it: the mistakes real SimpleNN.ipynb notebooks make.

Each notebook is written here as the handout lays it out (block 1 the imports, block 2 the lab's CONV
and FC classes, block 3 the student's SimpleNN and the notebook's forward test, block 4 Lab 2(b)'s
training loop, which cannot run on the grader and costs nothing); the code is ours. Each notebook costs
a child that imports torch, so each is graded once per module and shared.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat import v4

from gradekit.code.spec import Slip
from gradekit.code.torch_compare import compare_shapes
from gradekit.grading.grade import grade
from gradekit.code import structure
from gradekit.reference.families._torch_models import describe_reference

BLOCK1 = '''import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.utils import _pair
'''

# The lab's code block 2 as the current handout writes it: CONV is nn.Conv2d without bias by default.
BLOCK2 = '''class CONV(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1,
                 padding=0, dilation=1, groups=1, bias=False, padding_mode='zeros'):
        self.input = None
        self.output = None
        super(CONV, self).__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride),
                                   _pair(padding), _pair(dilation), groups, bias, padding_mode)

    def forward(self, input):
        self.input = input
        self.output = super().forward(input)
        return self.output


class FC(nn.Linear):
    def __init__(self, in_features, out_features, bias=True):
        self.input = None
        self.output = None
        super(FC, self).__init__(in_features, out_features, bias)

    def forward(self, input):
        self.input = input
        self.output = F.linear(input, self.weight, self.bias)
        return self.output
'''

# Block 3 filled in; {conv}, {fc}, the channels and the last line vary with the mistake.
BLOCK3 = '''"""
Lab 2(a)
Build the SimpleNN model by following Table 1
"""

class SimpleNN(nn.Module):
    def __init__(self):
        super(SimpleNN, self).__init__()
        self.conv1 = {conv}(3, {c1}, {k1}, stride=1, padding=2)
        self.conv2 = {conv}({c1}, {c2}, {k2}, stride=1, padding=2)
        self.conv3 = {conv}({c2}, {c3}, {k3}, stride=1, padding=2)
        self.fc1 = {fc}({flat}, {h})
        self.fc2 = {fc}({h}, 10)

    def forward(self, x):
        out = F.relu(self.conv1(x))
        out = F.max_pool2d(out, kernel_size={p1}, stride=2)
        out = F.relu(self.conv2(out))
        out = F.max_pool2d(out, kernel_size={p2}, stride=2)
        out = F.relu(self.conv3(out))
        out = F.max_pool2d(out, kernel_size={p3}, stride=2)
        out = torch.flatten(out, 1)
        out = F.relu(self.fc1(out))
        {last}
        return out

device = 'cuda' if torch.cuda.is_available() else 'cpu'
net = SimpleNN().to(device)
data = torch.randn(5, 3, 32, 32).to(device)
out = net(data)
assert(out.detach().cpu().numpy().shape == (5, 10))
print("Forward pass successful")
'''
TABLE1 = dict(conv="CONV", fc="FC", c1=16, c2=16, c3=32, k1=5, k2=3, k3=7, p1=4, p2=3, p3=2, flat=32 * 3 * 3, h=32,
              last="out = F.relu(self.fc2(out))")
# The Fall 2021/22 handout's Table 1 (116,778 parameters), graded against the current one
TABLE1_F21 = dict(TABLE1, c1=32, c2=32, c3=64, k2=5, k3=5, p1=3, p2=3, p3=3, flat=64 * 3 * 3, h=64)

# Lab 2(b): the training loop, whose data loaders come from cells the grader does not have
BLOCK4 = '''criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
for epoch in range(2):
    for i, (inputs, targets) in enumerate(trainloader):
        optimizer.zero_grad()
        loss = criterion(net(inputs), targets)
        loss.backward()
        optimizer.step()
'''

NOTEBOOKS = {
    "table1": (BLOCK2, TABLE1),
    "no_final_relu": (BLOCK2, dict(TABLE1, last="out = self.fc2(out)")),
    "nn_conv2d": (BLOCK2, dict(TABLE1, conv="nn.Conv2d", fc="nn.Linear")),
    "nn_conv2d_no_final_relu": (BLOCK2, dict(TABLE1, conv="nn.Conv2d", last="out = self.fc2(out)")),
}


def _notebook(folder, block2: str, block3: dict):
    path = folder / "SimpleNN.ipynb"
    cells = [BLOCK1, block2, BLOCK3.format(**block3), BLOCK4]
    path.write_text(nbformat.writes(v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells])))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """name -> (SimpleNN part, the report's notes), each notebook graded on first use."""
    done = {}

    def get(name):
        if name not in done:
            report = grade(_notebook(tmp_path_factory.mktemp(name), *NOTEBOOKS[name]))
            done[name] = (next(p for p in report.problems if p.id == "lab2a").parts[0], report.notes)
        return done[name]
    return get


def test_the_handouts_table_1_scores_full_marks(graded):
    part, notes = graded("table1")
    assert part.score == 10, part.feedback
    assert any(n.startswith("cell 4 (criterion = nn.CrossEntropyLoss()) failed: NameError") for n in notes), notes


# 1. One missing layer costs one check, not two

def _reference_layers():
    return describe_reference("SimpleNN", (), (5, 3, 32, 32))["layers"]


def test_compare_shapes_skips_a_missing_layer_and_judges_the_matched_ones():
    exp = _reference_layers()
    assert [layer["op"] for layer in exp[-2:]] == ["linear", "activation"]
    assert compare_shapes(exp, exp[:-1], [5, 3, 32, 32]) is None  # no ReLU after FC2: every shape is right
    extra = [*exp[:3], dict(exp[2], op="dropout", p=0.5), *exp[3:]]
    assert compare_shapes(exp, extra, [5, 3, 32, 32]) is None  # an inserted op is the layers check's
    # a matched layer whose shape differs still fails, past a missing layer as before it
    fc1 = next(i for i, layer in enumerate(exp) if layer["op"] == "linear")
    wrong = [*exp[:-1]]
    wrong[fc1] = dict(wrong[fc1], shape=[5, 64])
    assert compare_shapes(exp, wrong, [5, 3, 32, 32]) == (
        f"on an input of shape 5×3×32×32, layer {fc1 + 1} (linear in fc1) outputs 5×64, expected 5×32")
    # a missing op that changes the shape (a pool) is still a shape difference, named where the data leaves it
    pool = next(i for i, layer in enumerate(exp) if layer["op"] == "pool")
    unpooled = [*exp[:pool], *(dict(layer, shape=None) for layer in exp[pool + 1:])]
    assert compare_shapes(exp, unpooled, [5, 3, 32, 32]) == (
        "on an input of shape 5×3×32×32, layer 2 (relu activation in forward) outputs 5×16×32×32 where the "
        "expected layers give 5×16×15×15: the layers differ there (see layers)")
    # nothing at all is no pass
    assert compare_shapes(exp, [], [5, 3, 32, 32]) == (
        "on an input of shape 5×3×32×32, the input is 5×3×32×32 where the expected layers give 5×10: "
        "the layers differ there (see layers)")


def test_no_relu_after_fc2_fails_layers_alone(graded):
    part, _ = graded("no_final_relu")
    assert "layers: missing relu activation after layer 12 (linear in fc2)" in part.feedback, part.feedback
    assert "shapes:" not in part.feedback, part.feedback


# 2. Named mistakes with the TA's partial credit

def test_no_relu_after_fc2_alone_gets_the_tas_9_of_10(graded):
    part, _ = graded("no_final_relu")
    assert part.score == pytest.approx(9.0), part.feedback
    assert part.verdict == "partial"


def test_nn_conv2d_in_place_of_the_labs_conv_gets_the_tas_8_of_10_and_names_the_cause(graded):
    part, _ = graded("nn_conv2d")
    assert part.score == pytest.approx(8.0), part.feedback
    assert ("layers: conv1–3 have biases where the solution's convolutions have none (nn.Conv2d's default "
            "bias=True in place of a bias-free convolution) [conv_bias: 0.6 of its credit]") in part.feedback
    assert ("parameters: has 38,234 trainable parameters, expected 38,170: the 64 more are conv1–3's biases"
            in part.feedback), part.feedback
    assert part.diagnosis is None or "conv_bias" in str(part.diagnosis)
    assert "shapes:" not in part.feedback and "output:" not in part.feedback


def test_biases_and_another_difference_are_no_named_mistake(graded):
    part, _ = graded("nn_conv2d_no_final_relu")
    assert part.score == pytest.approx(5.0), part.feedback  # layers and parameters lost, as any other difference
    assert "have biases" not in part.feedback, part.feedback


def test_the_mistakes_are_named_only_where_the_spec_prices_them():
    e = describe_reference("SimpleNN", (), (5, 3, 32, 32))
    case = {"args": [], "input": [5, 3, 32, 32]}
    no_relu = dict(e, layers=e["layers"][:-1])
    priced = structure.judge_layers(e, no_relu, case, False, {"partial": {"final_relu_missing": 0.6}})
    assert isinstance(priced, Slip) and priced.mistake == "final_relu_missing" and priced.credit == 0.6
    unpriced = structure.judge_layers(e, no_relu, case, False, {})
    assert not isinstance(unpriced, Slip) and unpriced == "missing relu activation after layer 12 (linear in fc2)"
    biased = dict(e, params=e["params"] + 64, layers=[dict(layer, bias=True) if layer["op"] == "conv" else layer
                                                      for layer in e["layers"]])
    assert not isinstance(structure.judge_parameters(e, biased, case, False, {}), Slip)
    priced = structure.judge_parameters(e, biased, case, False, {"partial": {"conv_bias": 0.6}})
    assert isinstance(priced, Slip) and priced.credit == 0.6
    # biases that do not account for the excess are no such mistake
    assert not isinstance(structure.judge_parameters(e, dict(biased, params=e["params"] + 65), case, False,
                                                   {"partial": {"conv_bias": 0.6}}), Slip)


# 3. The handout's own older code costs nothing

# Code block 2 of an older handout (PyTorch 1.5-1.7): CONV.forward calls _conv_forward without the bias,
# which PyTorch requires from 1.8
BLOCK2_OLD = BLOCK2.replace("        self.output = super().forward(input)\n",
                            "        self.output = self._conv_forward(input, self.weight)\n")
OLD_CONV_NOTE = ("CONV.forward calls _conv_forward(input, weight) as PyTorch 1.5–1.7 did: run with its bias "
                 "(from PyTorch 1.8 the bias is required)")
NOTEBOOKS.update({"old_handout": (BLOCK2_OLD, TABLE1), "old_handout_f21": (BLOCK2_OLD, TABLE1_F21)})


def test_the_older_handouts_conv_runs_with_its_bias_and_says_so(graded):
    assert BLOCK2_OLD != BLOCK2
    part, notes = graded("old_handout")
    assert part.score == 10, part.feedback
    assert OLD_CONV_NOTE in notes, notes
    assert OLD_CONV_NOTE not in graded("table1")[1]  # the current handout's CONV needs nothing


def test_the_fall_2021_table_1_on_the_older_handout_is_graded_as_its_architecture(graded):
    """Another year's network: its output shape is right, but a TA gives nothing for that alone (#35)."""
    part, notes = graded("old_handout_f21")
    assert "TypeError" not in part.feedback and "_conv_forward" not in part.feedback, part.feedback
    assert "parameters: has 116,778 trainable parameters, expected 38,170" in part.feedback
    assert "another network than the asked one earns nothing for its output shape alone" in part.feedback
    assert part.score == 0, part.feedback
    assert OLD_CONV_NOTE in notes


# 4. Structure graded apart from running (#35): a forward that raises keeps the points of the layers defined

def test_a_forward_that_raises_in_a_later_layer_keeps_its_defined_layers_and_parameters(tmp_path):
    cells = [BLOCK1, BLOCK2, BLOCK3.format(**TABLE1).replace("out = torch.flatten(out, 1)", "out = out"), BLOCK4]
    path = tmp_path / "SimpleNN.ipynb"
    path.write_text(nbformat.writes(v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells])))
    part = next(p for p in grade(path).problems if p.id == "lab2a").parts[0]
    assert part.score == pytest.approx(5.0), part.feedback  # layers and parameters: 2 × 2.5
    assert "shapes: the forward pass raised RuntimeError: mat1 and mat2 shapes cannot be multiplied" in part.feedback
    assert "in fc1" in part.feedback and "layers:" not in part.feedback and "parameters:" not in part.feedback


def test_compare_shapes_in_any_order_never_names_one_shape_as_its_own_expectation():
    exp = _reference_layers()
    fc1 = next(i for i, layer in enumerate(exp) if layer["op"] == "linear")
    twice = [*exp[:fc1 + 1], exp[fc1], *exp[fc1 + 1:]]  # the first linear layer run twice
    said = compare_shapes(exp, twice, [5, 3, 32, 32], any_order=True)
    shape = "×".join(map(str, exp[fc1]["shape"]))
    assert said == (f"on an input of shape 5×3×32×32, layer {fc1 + 2} (linear in fc1) outputs {shape}: one such "
                    f"layer more than the expected model has")
    wrong = [*exp]
    wrong[fc1] = dict(wrong[fc1], shape=[5, 64])
    assert compare_shapes(exp, wrong, [5, 3, 32, 32], any_order=True) == (
        f"on an input of shape 5×3×32×32, layer {fc1 + 1} (linear in fc1) outputs 5×64, expected {shape}")
