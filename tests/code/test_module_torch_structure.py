"""module.torch (ece449-a2 task4): structure graded apart from running (#35).

A network of another year's table earns nothing for its output shape alone (unless the callable's
``output_alone`` says the course pays it), and a model whose forward raises in a later layer keeps the
credit of the layers it defines, the feedback naming the layer that raised. Written as students fill in
the course's task4_template.py (ZJU-UIUC ECE 449, Fall 2020).
"""

from __future__ import annotations

import pytest

from gradekit.catalog.catalog import load_catalog
from tests.helpers import grade_file
from tests.code.test_module_torch import RESNET, RESNET_BODY

CAT = load_catalog()

# ResNet-34's table (3, 4, 6, 3 residual blocks), another year's network: same stem, same head, right output
RESNET34_BODY = RESNET_BODY.replace("resnet_block(64, 64, 2, first_block=True)", "resnet_block(64, 64, 3, first_block=True)") \
    .replace("resnet_block(64, 128, 2)", "resnet_block(64, 128, 4)") \
    .replace("resnet_block(128, 256, 2)", "resnet_block(128, 256, 6)") \
    .replace("resnet_block(256, 512, 2)", "resnet_block(256, 512, 3)")
# the template's head without its Flatten: the Linear(512, 10) receives N×512×1×1 and raises
NO_FLATTEN_BODY = RESNET_BODY.replace("nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, 10)",
                                      "nn.AdaptiveAvgPool2d((1, 1)), nn.Linear(512, 10)")
# the shortcut's 1×1 convolution defined but never applied: Residual(3, 6, True, 2) cannot add X to Y
SHORTCUT_UNUSED = RESNET.replace("shortcut = self.conv3(X) if self.conv3 is not None else X", "shortcut = X")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    def run(key, source):
        return grade_file(tmp_path_factory.mktemp(key), "task4.py", source, problem="ece449-a2/task4")[1]

    return {"resnet34": run("r34", RESNET.format(body=RESNET34_BODY)),
            "no_flatten": run("noflat", RESNET.format(body=NO_FLATTEN_BODY)),
            "shortcut_unused": run("short", SHORTCUT_UNUSED.format(body=RESNET_BODY))}


def test_another_years_network_earns_nothing_for_its_output_shape(graded):
    p = graded["resnet34"]["get_resnet"]
    assert "parameters: has 21," in p.feedback or "trainable parameters" in p.feedback, p.feedback
    assert p.score == 0, p.feedback  # was 1.25 of 5: the output shape 1×10 alone
    assert "output shape alone" in p.feedback
    assert graded["resnet34"]["Residual"].score == 5  # its blocks are the course's


def test_the_layers_a_network_defines_are_graded_when_a_later_layer_raises(graded):
    p = graded["no_flatten"]["get_resnet"]
    # layers (the defined ones) and the parameter count stand; shapes and output are lost
    assert p.score == pytest.approx(2.5), p.feedback
    assert "layers:" not in p.feedback and "parameters:" not in p.feedback
    assert "shapes: the forward pass raised RuntimeError" in p.feedback
    assert "in 6 (Linear)" in p.feedback, p.feedback  # the failing layer: the Sequential's seventh module


def test_a_block_whose_forward_raises_keeps_its_layers_and_names_where(graded):
    p = graded["shortcut_unused"]["Residual"]
    assert p.score == pytest.approx(2.5), p.feedback
    assert "Residual(3, 6, True, 2)" in p.feedback and "the forward pass raised RuntimeError" in p.feedback
    assert "layers:" not in p.feedback and "parameters:" not in p.feedback


def test_output_alone_is_a_callable_option_the_spec_validates():
    from gradekit.core.errors import ParamError
    from reference.families._torch_models import model_checks

    c = {"name": "get_resnet", "reference": "ResNet18", "cases": [{"args": [], "input": [1, 1, 96, 96]}]}
    assert set(model_checks({**c, "output_alone": True}, "c")) == {"layers", "shapes", "parameters", "output"}
    with pytest.raises(ParamError, match="output_alone"):
        model_checks({**c, "output_alone": "yes"}, "c")
