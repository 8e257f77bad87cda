"""torch nn.Module problems (module.torch): LeNet, SimpleNN, PyTorchCNN, Residual/get_resnet graded by introspection.

Each graded file costs a child that imports torch (~1.5 s): every submission
here is graded once (module-scoped fixtures) and shared by several assertions.
"""

from __future__ import annotations

import json

import pytest

from gradekit.catalog.catalog import load_catalog
from tests.helpers import grade_file
from gradekit.code.session import ModuleSession
from gradekit.code.starter import starter
from gradekit.code.torch_compare import compare_layers

CAT = load_catalog()

LENET = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, {c1}, {k})
        self.conv2 = nn.Conv2d({c1}, 16, 5)
        self.fc1 = nn.Linear({flat}, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, n_classes)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))   # pool before ReLU: they commute, both orders pass
        x = {pool2}
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
'''
POOL = "F.relu(F.max_pool2d(self.conv2(x), 2))"
VARIANTS = {
    "correct": dict(c1=6, k=5, flat=400, pool2=POOL),
    "kernel3": dict(c1=6, k=3, flat=400, pool2=POOL),  # 30 → 15 → 11 → 5: fc1 still sees 16×5×5
    "nopool": dict(c1=6, k=5, flat=1600, pool2="F.relu(self.conv2(x))"),
    "channels": dict(c1=8, k=5, flat=400, pool2=POOL),
}

# Filled in as the course's task4_template.py is: convolutions with nn.Conv2d's default bias, a plain 1×1
# shortcut, the template's resnet_block helper and its fixed 1-channel first block kept; {body} is b2-b5.
RESNET = '''
import torch
from torch import nn
from torch.nn import functional as F


class Residual(nn.Module):
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        shortcut = self.conv3(X) if self.conv3 is not None else X   # the shortcut first: any order passes
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        Y += shortcut
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def get_resnet():
    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
                       nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    {body}
'''
RESNET_BODY = '''b2 = nn.Sequential(*resnet_block(64, 64, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(64, 128, 2))
    b4 = nn.Sequential(*resnet_block(128, 256, 2))
    b5 = nn.Sequential(*resnet_block(256, 512, 2))
    return nn.Sequential(b1, b2, b3, b4, b5, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, 10))'''
# The CIFAR ResNet-18 of the old spec (bias-free convolutions, a BatchNorm on the shortcut): the shortcut's
# BatchNorm and the missing biases are what the course's file does not have.
RESNET_BN_SHORTCUT = RESNET.replace(
    "nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None",
    "nn.Sequential(nn.Conv2d(input_channels, num_channels, 1, stride=strides), nn.BatchNorm2d(num_channels)) "
    "if use_1x1conv else None")


def _grade(tmp_path_factory, name: str, source: str, problem: str):
    return grade_file(tmp_path_factory.mktemp("sub"), name, source, problem=problem)


@pytest.fixture(scope="module")
def lenet(tmp_path_factory):
    return {k: _grade(tmp_path_factory, "solution.py", LENET.format(**v), "coms573-hw5/q4")
            for k, v in VARIANTS.items()}


def test_spec_file_names_and_reference_parameter_counts():
    from reference.families._torch_models import describe_reference

    assert CAT.resolve("coms573-hw5/q4").validated_params.file == "solution.py"
    assert CAT.resolve("ece661-hw1/lab2a").validated_params.file == "SimpleNN.ipynb"
    assert CAT.resolve("cs37300-hw4/pytorch_cnn").validated_params.file == "pytorch_cnn.py"
    assert describe_reference("LeNet5", (10,), (2, 3, 32, 32))["params"] == 62006
    assert describe_reference("ResNet18", (), (2, 3, 32, 32))["params"] == 11_173_962
    assert describe_reference("SimpleNN", (), (5, 3, 32, 32))["output"] == [5, 10]


def test_correct_lenet_scores_full_marks(lenet):
    """Part (a)'s 25 points; parts (b) and (c) (batch norm, dropout: 0 points until priced) are named as missing."""
    report, parts = lenet["correct"]
    assert report.full_marks and parts["LeNet"].score == 25
    assert parts["LeNet"].feedback == "passed structure"
    assert "missing batchnorm (features 6), batchnorm (features 16)" in parts["LeNet.batchnorm"].feedback
    assert "missing dropout (p 0.5)" in parts["LeNet.dropout"].feedback


def test_kernel_3_loses_layers_and_shapes_and_names_the_layer(lenet):
    _, parts = lenet["kernel3"]
    p = parts["LeNet"]
    assert p.score == pytest.approx(25 / 3)  # only the output shape (2×10) is right: the spec prices it alone
    assert "layers: layer 1 (conv in conv1): kernel is 3×3, expected 5×5" in p.feedback
    assert "shapes: on an input of shape 2×3×32×32, layer 1 (conv in conv1) outputs 2×6×30×30, expected 2×6×28×28" \
        in p.feedback


def test_missing_pooling_is_named_with_the_layer_before_it(lenet):
    p = lenet["nopool"][1]["LeNet"]
    assert "layers: missing max pool (kernel 2×2, stride 2×2, padding 0×0) after layer 5 (relu activation in forward)" in p.feedback
    assert "layer 6 (linear in fc1): in features is 1600, expected 400" not in p.feedback  # counted, not listed
    assert "(and 1 more difference)" in p.feedback
    assert "output" not in p.feedback.replace("outputs", "")  # the output shape is still 2×10
    assert p.score == pytest.approx(25 / 3)


def test_wrong_channel_count_names_expected_and_got(lenet):
    p = lenet["channels"][1]["LeNet"]
    assert "layer 1 (conv in conv1): out channels is 8, expected 6" in p.feedback


# COM S 573's LeNet as the handout's final part 4(c) has it (the students' copies: one class, the constructor
# LeNet(n_classes=None), BatchNorm2d after the convolutions, BatchNorm1d after FC 120 and FC 84, dropout before the
# output); written here in their style
LENET_4C = '''
import torch
import torch.nn as nn


class LeNet(nn.Module):
    def __init__(self, n_classes=None):
        super(LeNet, self).__init__()
        self.conv1 = nn.Conv2d(in_channels=3, out_channels=6, kernel_size=5)
        self.bn1 = nn.BatchNorm2d(6)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(kernel_size=2)
        self.conv2 = nn.Conv2d(in_channels=6, out_channels=16, kernel_size=5)
        self.bn2 = nn.BatchNorm2d(16)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(kernel_size=2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.bn3 = nn.BatchNorm1d(120)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(120, 84)
        self.bn4 = nn.BatchNorm1d(84)
        self.relu4 = nn.ReLU()
        self.dropout = nn.Dropout()
        self.fc3 = nn.Linear(84, n_classes)

    def forward(self, x):
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        x = x.view(-1, 16 * 5 * 5)
        x = self.relu3(self.bn3(self.fc1(x)))
        x = self.dropout(self.relu4(self.bn4(self.fc2(x))))
        return self.fc3(x)
'''


def test_the_handouts_final_class_with_batch_norm_and_dropout_passes_every_part(tmp_path_factory):
    report, parts = _grade(tmp_path_factory, "solution.py", LENET_4C, "coms573-hw5/q4")
    assert report.full_marks and report.score == 25, {n: p.feedback for n, p in parts.items()}
    assert all(p.verdict == "correct" for p in parts.values()), {n: p.feedback for n, p in parts.items()}
    assert CAT.resolve("coms573-hw5/q4").validated_params.callable("LeNet").signature == "LeNet(n_classes=None)"


def test_a_forward_that_raises_keeps_the_layers_the_class_defines(tmp_path_factory):
    """#35: a LeNet whose forward fails (here its flatten is one size off) keeps the points of the layers it
    defines; the feedback names the layer that raised."""
    broken = LENET_4C.replace("x.view(-1, 16 * 5 * 5)", "x.view(x.size(0), -1)[:, :399]")
    _, parts = _grade(tmp_path_factory, "solution.py", broken, "coms573-hw5/q4")
    p = parts["LeNet"]
    assert p.score == pytest.approx(25 / 3), p.feedback  # the layers defined; not the shapes or the output
    assert "shapes: the forward pass raised RuntimeError" in p.feedback and "in fc1" in p.feedback
    assert "layers:" not in p.feedback


def test_the_courses_starter_scores_zero(tmp_path_factory):
    """q4's starter is the handout's (its forward returns x unchanged, its __init__ defines nothing): a class
    whose body is still the starter's is not implemented, as a function's is; a class with one layer defined
    is graded (its forward, still returning x, runs none of the layers the spec asks for)."""
    target = CAT.resolve("coms573-hw5/q4")
    assert starter(target).startswith("# COM S 573 (Iowa State), homework 5, question 4")
    report, parts = _grade(tmp_path_factory, "solution.py", starter(target), "coms573-hw5/q4")
    assert report.score == 0
    assert (parts["LeNet"].verdict, parts["LeNet"].feedback) == ("missing", "not implemented")
    one_layer = starter(target).replace("        ### YOUR CODE HERE\n", "        ### YOUR CODE HERE\n"
                                        "        self.conv1 = nn.Conv2d(3, 6, 5)\n", 1)
    assert one_layer != starter(target)
    report, parts = _grade(tmp_path_factory, "solution.py", one_layer, "coms573-hw5/q4")
    assert report.score == 0 and "missing conv (in channels 3, out channels 6, kernel 5×5" in \
        parts["LeNet"].feedback, parts["LeNet"].feedback


def test_starter_scores_zero_not_implemented(tmp_path_factory):
    for problem in ("ece449-a2/task4",):
        target = CAT.resolve(problem)
        report, parts = _grade(tmp_path_factory, target.validated_params.file, starter(target), problem)
        assert report.score == 0
        assert all((p.verdict, p.feedback) == ("missing", "not implemented") for p in parts.values()), parts


def test_resnet_correct_and_50_gb_allocation_fails_only_its_part(tmp_path_factory):
    report, parts = _grade(tmp_path_factory, "task4_3180100111.py", RESNET.format(body=RESNET_BODY), "ece449-a2/task4")
    assert report.full_marks, {n: p.feedback for n, p in parts.items()}
    hog = RESNET.format(body="return torch.ones(50 * 2**30, dtype=torch.uint8)")
    report, parts = _grade(tmp_path_factory, "task4.py", hog, "ece449-a2/task4")
    assert parts["Residual"].score == 5  # graded on, in the same child
    assert parts["get_resnet"].score == 0
    assert "`net = get_resnet()` raised MemoryError: torch.ones asked for 50.0 GiB, over the limit of 2 GiB per " \
        "tensor" in parts["get_resnet"].feedback


def test_a_batchnorm_on_the_shortcut_is_not_the_courses_block(tmp_path_factory):
    _, parts = _grade(tmp_path_factory, "task4.py", RESNET_BN_SHORTCUT.format(body=RESNET_BODY), "ece449-a2/task4")
    assert parts["Residual"].score < 5 and "Residual(3, 6, True, 2)" in parts["Residual"].feedback


def test_50_gb_torch_empty_outside_the_probe_fails_cleanly_in_the_child():
    # Outside the probe's size check: the child's memory limit is what stops it.
    src = (b"import torch\n\ndef big():\n    return torch.empty(50 * 2**30, dtype=torch.uint8).sum()\n\n"
           b"def small():\n    return torch.ones(3).numpy()\n")
    with ModuleSession(src, "m.py") as s:
        r = s.call("big", timeout=20)
        assert not r.ok and r.kind in ("error", "memory") and "allocate" in r.message
        ok = s.call("small", timeout=20)
        assert ok.ok and ok.value.tolist() == [1.0, 1.0, 1.0]


def test_simplenn_seed_style_code_passes(tmp_path_factory):
    target = CAT.resolve("ece661-hw1/lab2a")
    body = '''

class SimpleNN(nn.Module):
    def __init__(self):
        super(SimpleNN, self).__init__()
        self.conv1 = CONV(in_channels=3, out_channels=16, kernel_size=5, stride=1, padding=2)
        self.conv2 = CONV(in_channels=16, out_channels=16, kernel_size=3, stride=1, padding=2)
        self.conv3 = CONV(in_channels=16, out_channels=32, kernel_size=7, stride=1, padding=2)
        self.fc1 = FC(in_features=32 * 3 * 3, out_features=32)
        self.fc2 = FC(in_features=32, out_features=10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), kernel_size=4, stride=2)
        x = F.max_pool2d(F.relu(self.conv2(x)), kernel_size=3, stride=2)
        mp = nn.MaxPool2d(2, 2)  # built inside forward, as students do
        x = mp(F.relu(self.conv3(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.relu(self.fc2(x))
'''
    report, parts = _grade(tmp_path_factory, "SimpleNN.py", target.validated_params.preamble + body, "ece661-hw1/lab2a")
    assert report.full_marks, parts["SimpleNN"].feedback


def test_compare_layers_order_and_dropout_p():
    drop = [{"op": "dropout", "p": 0.3, "module": "model.4"}, {"op": "batchnorm", "num_features": 32, "module": "m"}]
    assert compare_layers(drop, [dict(drop[0], p=0.5), drop[1]]) == "layer 1 (dropout in model.4): p is 0.5, expected 0.3"
    assert compare_layers(drop, drop[::-1], any_order=True) is None
    assert compare_layers(drop, drop[::-1]) is not None
    assert json.dumps(drop)  # plain data all the way


def test_a_50_gb_tensor_in_a_code_problems_model_is_refused_and_named_by_its_step(tmp_path_factory):
    solution = CAT.resolve("coms573-hw5/q4").validated_params.extra["solution_source"]
    hog = solution.replace("        self.conv1 = nn.Conv2d(3, 6, kernel_size=5)",
                           "        self.hog = torch.ones(50 * 2**30, dtype=torch.uint8)\n"
                           "        self.conv1 = nn.Conv2d(3, 6, kernel_size=5)")
    _, parts = _grade(tmp_path_factory, "solution.py", hog, "coms573-hw5/q4")
    assert parts["LeNet"].score == 0
    assert ("the model could not be built: `net = LeNet(10)` raised MemoryError: torch.ones asked for 50.0 GiB, "
            "over the limit of 2 GiB per tensor") in parts["LeNet"].feedback
