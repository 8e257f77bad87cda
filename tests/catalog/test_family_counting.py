"""counting.conv / .block / .layers / .network: catalog answers, real nn.Module cross-checks, mistakes, validation."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from tests.helpers import load_spec, solve_spec

torch.set_num_threads(1)
FAST = settings(max_examples=30, deadline=None)

CONV = get_family("counting.conv")
BLOCK = get_family("counting.block")
LAYERS = get_family("counting.layers")
NETWORK = get_family("counting.network")


def mistakes_of(qid: str) -> dict[str, dict]:
    spec = load_spec(qid)
    params, _ = solve_spec(qid)
    return {m.id: dict(m.answers) for m in get_family(spec["family"]).mistakes(params)}


# ------------------------------------------------------------------ catalog

LAB2B = {  # Table 2 of ece661 hw1: input, output, weight shape, #param, #MAC
    "conv1": ((1, 3, 32, 32), (1, 16, 32, 32), (16, 3, 5, 5), 1200, 1228800),
    "conv2": ((1, 16, 15, 15), (1, 16, 17, 17), (16, 16, 3, 3), 2304, 665856),
    "conv3": ((1, 16, 8, 8), (1, 32, 6, 6), (32, 16, 7, 7), 25088, 903168),
    "fc1": ((1, 288), (1, 32), (32, 288), 9216, 9216),
    "fc2": ((1, 32), (1, 10), (10, 32), 320, 320),
}
LENET = {
    "conv1": ((1, 3, 32, 32), (1, 6, 28, 28), (6, 3, 5, 5), 450, 352800),
    "conv2": ((1, 6, 14, 14), (1, 16, 10, 10), (16, 6, 5, 5), 2400, 240000),
    "fc1": ((1, 400), (1, 120), (120, 400), 48000, 48000),
    "fc2": ((1, 120), (1, 84), (84, 120), 10080, 10080),
    "fc3": ((1, 84), (1, 10), (10, 84), 840, 840),
}
KEYS = ("input_shape", "output_shape", "weight_shape", "params", "macs")


@pytest.mark.parametrize("qid, table", [("ece661-hw1/lab2b", LAB2B), ("ece661-hw1/lab2b-lenet", LENET)])
def test_layer_tables(qid, table):
    _, sol = solve_spec(qid)
    for layer, row in table.items():
        for key, want in zip(KEYS, row):
            assert sol.answers[f"{layer}.{key}"] == want, f"{layer}.{key}"
    # every graded part has an answer, of the kind the spec declares
    for part in load_spec(qid)["parts"]:
        value = sol.answers[part["name"]]
        assert isinstance(value, tuple if part["kind"] == "shape" else int)
    # the worked step of each layer shows the numbers the answers hold
    steps = {s.title: s for s in sol.steps}
    for layer, row in table.items():
        assert steps[layer].values["params"] == row[3] and steps[layer].values["macs"] == row[4]
        assert f"= {row[4]}" in steps[layer].text


def test_coms573_block():
    _, sol = solve_spec("coms573-hw5/q1")
    assert sol.answers["params"] == 1474560 == 3 * 3 * 128 * 256 + 3 * 3 * 256 * 512
    assert sol.answers["macs"] == 1509949440 == (3 * 3 * 128 * 256 + 3 * 3 * 256 * 512) * 32 * 32
    assert sol.answers["memory_in"] == 524288 and sol.answers["memory_out"] == 524288
    assert sol.answers["memory_change"] == 0
    assert sol.answers["conv1.output_shape"] == (256, 32, 32)
    assert sol.steps[-1].values["memory_change"] == 0


def test_cs37300_single_filter():
    _, sol = solve_spec("cs37300-hw4/q3.2c")
    assert sol.answers["params_with_bias"] == 28 and sol.answers["params"] == 27
    found = mistakes_of("cs37300-hw4/q3.2c")
    # the seed's 10/9; the layer's own answers move with the totals
    assert found["channels_forgotten"] == {"params": 9, "params_with_bias": 10, "conv1.params": 9,
                                           "conv1.params_with_bias": 10}
    assert found["bias_counted"] == {"params": 28, "conv1.params": 28}
    assert found["bias_omitted"] == {"params_with_bias": 27, "conv1.params_with_bias": 27}


def test_cs37300_two_layers():
    _, sol = solve_spec("cs37300-hw4/q3.2e")
    assert sol.answers["conv1.params_with_bias"] == 148
    assert sol.answers["conv2.params_with_bias"] == 111
    assert sol.answers["params_with_bias"] == 259
    assert sol.answers["conv1.output_shape"] == (4, 14, 14) and sol.answers["conv2.output_shape"] == (3, 12, 12)


def test_ece449_lenet_total():
    _, sol = solve_spec("ece449-a2/p3")
    assert sol.answers["params_with_bias"] == 62006
    assert sol.answers["params"] == 62006 - (6 + 16 + 120 + 84 + 10)


# ------------------------------------------------------------------ mistakes


@pytest.mark.parametrize("qid, ids", [
    ("cs37300-hw4/q3.2c", {"channels_forgotten", "bias_counted", "bias_omitted", "wrong_padding"}),
    ("cs37300-hw4/q3.2e", {"channels_forgotten", "filters_forgotten", "bias_counted", "bias_omitted", "wrong_padding",
                           "stride_ignored"}),
    ("coms573-hw5/q1", {"channels_forgotten", "filters_forgotten", "wrong_padding", "stride_ignored", "bias_counted"}),
    ("ece449-a2/p3", {"channels_forgotten", "filters_forgotten", "bias_counted", "bias_omitted"}),
    # wrong_padding is absent: without padding conv3's 7×7 kernel no longer fits its 5×5 input
    ("ece661-hw1/lab2b", {"channels_forgotten", "filters_forgotten", "bias_counted", "bias_omitted"}),
    ("ece661-hw1/lab2b-lenet", {"channels_forgotten", "filters_forgotten", "bias_counted", "bias_omitted"}),
])
def test_catalog_mistakes_differ_from_the_right_answers(qid, ids):
    _, sol = solve_spec(qid)
    found = mistakes_of(qid)
    assert set(found) == ids
    for mid, answers in found.items():
        assert answers, mid
        for key, value in answers.items():
            assert value != sol.answers[key], (mid, key)


def test_block_mistakes_on_the_catalog_instance():
    found = mistakes_of("coms573-hw5/q1")
    # no padding: 64 → 31 → 29, so fewer MACs and a memory drop
    assert found["wrong_padding"]["macs"] == 3 * 3 * 128 * 256 * 31 * 31 + 3 * 3 * 256 * 512 * 29 * 29
    assert found["wrong_padding"]["memory_change"] == pytest.approx(100 * (29 * 29 * 512 - 524288) / 524288)
    assert found["stride_ignored"]["memory_change"] == 300
    assert found["bias_counted"] == {"params": 1474560 + 256 + 512, "conv1.params": 3 * 3 * 128 * 256 + 256,
                                     "conv2.params": 3 * 3 * 256 * 512 + 512}


def test_filters_forgotten_matches_the_seed_slip():
    # cs37300 q3.2d's worked answer (4·4·1) + 4 counts one filter's weights plus the biases
    raw = {"input": [1, 40, 40], "layers": [{"type": "conv", "out": 4, "kernel": 4, "stride": 2}]}
    params = CONV.validate(raw)
    assert CONV.solve(params).answers["params_with_bias"] == 68
    found = {m.id: m.answers for m in CONV.mistakes(params)}
    assert found["filters_forgotten"]["params_with_bias"] == 4 * 4 * 1 + 4


# ------------------------------------------------------- torch cross-checks


@st.composite
def networks(draw, head: bool = True):
    """A small random network description that fits together (sizes tracked while drawing)."""
    c, h, w = draw(st.integers(1, 4)), draw(st.integers(3, 14)), draw(st.integers(3, 14))
    batch = [draw(st.integers(1, 2))] if draw(st.booleans()) else []
    shape = batch + [c, h, w]
    layers = [{"type": "conv", "out": draw(st.integers(1, 6)), "kernel": 1}]  # every network has a conv
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool"]))
        kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
        pad = draw(st.integers(0, 2)) if kind == "conv" else draw(st.integers(0, min(kh, kw) // 2))
        stride = draw(st.integers(1, 3))
        if kh > h + 2 * pad or kw > w + 2 * pad:
            continue
        layer = {"type": kind, "kernel": [kh, kw], "stride": stride, "padding": pad}
        if kind == "conv":
            layer.update(out=draw(st.integers(1, 6)), bias=draw(st.booleans()))
        h, w = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
        layers.append(layer)
    if head:
        layers.append({"type": "flatten"})
        for _ in range(draw(st.integers(1, 2))):
            layers.append({"type": "linear", "out": draw(st.integers(1, 7)), "bias": draw(st.booleans())})
    return {"input": shape, "layers": layers, "dims": "2d"}  # [1, 3, 4] is an image here, not a 1-D batch


def run_torch(raw: dict) -> tuple[nn.Sequential, dict[int, tuple[tuple, tuple]]]:
    """Build the described network as real nn.Modules (independently of the family's code), run it on
    zeros and record each module's input and output shape with forward hooks (batch axis dropped when the
    description has none)."""
    batched = len(raw["input"]) == 4
    chw = raw["input"][-3:]
    x = torch.zeros(raw["input"][0] if batched else 1, *chw)
    modules, c, probe = [], chw[0], x[:1]
    for layer in raw["layers"]:
        kind = layer["type"]
        if kind == "conv":
            m = nn.Conv2d(c, layer["out"], layer["kernel"], layer.get("stride", 1), layer.get("padding", 0),
                          bias=layer.get("bias", True))
            c = layer["out"]
        elif kind in ("maxpool", "avgpool"):
            cls = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
            m = cls(layer["kernel"], layer.get("stride", layer["kernel"]), layer.get("padding", 0))
        elif kind == "flatten":
            m = nn.Flatten()
        else:
            m = nn.Linear(probe.shape[1], layer["out"], bias=layer.get("bias", True))
        modules.append(m)
        probe = m(probe)
    model = nn.Sequential(*modules)
    seen: dict[int, tuple[tuple, tuple]] = {}
    cut = 0 if batched else 1
    for k, m in enumerate(model):
        m.register_forward_hook(
            lambda mod, inp, out, k=k: seen.__setitem__(k, (tuple(inp[0].shape)[cut:], tuple(out.shape)[cut:]))
        )
    with torch.no_grad():
        model(x)
    return model, seen


def weighted(model: nn.Sequential):
    """(index, default name, module) of every Conv2d / Linear: conv1, conv2 ..., fc1, fc2 ..."""
    counts = {"conv": 0, "fc": 0}
    for k, m in enumerate(model):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            prefix = "conv" if isinstance(m, nn.Conv2d) else "fc"
            counts[prefix] += 1
            yield k, f"{prefix}{counts[prefix]}", m


def torch_macs(m: nn.Module, out_shape: tuple) -> int:
    # conv: H_out·W_out·(k_h·k_w·C_in·C_out) = H_out·W_out·weight.numel(); linear: in·out = weight.numel()
    return m.weight.numel() * (out_shape[-1] * out_shape[-2] if isinstance(m, nn.Conv2d) else 1)


@FAST
@given(networks())
def test_layers_agree_with_torch(raw):
    answers = LAYERS.solve(LAYERS.validate(raw)).answers
    model, seen = run_torch(raw)
    for k, name, m in weighted(model):
        inp, out = seen[k]
        assert answers[f"{name}.input_shape"] == inp
        assert answers[f"{name}.output_shape"] == out
        assert answers[f"{name}.weight_shape"] == tuple(m.weight.shape)
        assert answers[f"{name}.params"] == m.weight.numel()
        assert answers[f"{name}.params_with_bias"] == sum(p.numel() for p in m.parameters())
        assert answers[f"{name}.macs"] == torch_macs(m, out)
    assert answers["params_with_bias"] == sum(p.numel() for p in model.parameters())
    assert answers["macs"] == sum(torch_macs(m, seen[k][1]) for k, _, m in weighted(model))


@FAST
@given(networks())
def test_network_totals_agree_with_torch(raw):
    params = NETWORK.validate(raw)
    answers = NETWORK.solve(params).answers
    model, _ = run_torch(raw)
    assert answers["params_with_bias"] == sum(p.numel() for p in model.parameters())
    assert answers["params"] == sum(m.weight.numel() for _, _, m in weighted(model))
    for m in NETWORK.mistakes(params):
        assert all(v != answers[key] for key, v in m.answers.items()), m.id


@FAST
@given(networks(head=False))
def test_conv_and_block_agree_with_torch(raw):
    conv = CONV.solve(CONV.validate(raw)).answers
    block = BLOCK.solve(BLOCK.validate(raw)).answers
    model, seen = run_torch(raw)
    for k, name, m in weighted(model):
        assert conv[f"{name}.output_shape"] == block[f"{name}.output_shape"] == seen[k][1]
        assert conv[f"{name}.params"] == block[f"{name}.params"] == m.weight.numel()
        assert conv[f"{name}.params_with_bias"] == sum(p.numel() for p in m.parameters())
        assert block[f"{name}.macs"] == torch_macs(m, seen[k][1])
    memory_in, memory_out = math.prod(seen[0][0][-3:]), math.prod(seen[len(model) - 1][1][-3:])
    assert (block["memory_in"], block["memory_out"]) == (memory_in, memory_out)
    assert block["memory_change"] == pytest.approx(100 * (memory_out - memory_in) / memory_in)


# ---------------------------------------------------------------- validation

CONV1 = {"type": "conv", "out": 4, "kernel": 3}


@pytest.mark.parametrize("family, raw, field", [
    (LAYERS, {"input": [3, 8, 8], "layers": [{"type": "dense", "out": 3}]}, "layers[0].type"),
    (LAYERS, {"input": [3, 8, 8], "layers": [CONV1, {"type": "linear", "out": 3}]}, "layers[1]"),
    (LAYERS, {"input": [3, 8, 8], "layers": [{"type": "conv", "out": 4, "kernel": 9}]}, "layers[0].kernel"),
    (LAYERS, {"input": [3, 8, 8], "layers": [{"type": "conv", "out": 4, "kernal": 3}]}, "layers[0]"),
    (LAYERS, {"input": [3, 8, 8], "layers": [{"type": "conv", "kernel": 3}]}, "layers[0].out"),
    (LAYERS, {"input": [3, 8, 8], "layers": [CONV1, {**CONV1, "name": "conv1"}]}, "layers[1].name"),
    (LAYERS, {"input": [3, 8, 8], "layers": [CONV1, {"type": "flatten"}, {"type": "linear", "out": 2, "in": 100}]},
     "layers[2].in"),
    (LAYERS, {"input": [3, 8, 8], "layers": [CONV1, {"type": "maxpool", "kernel": 2, "padding": 2}]},
     "layers[1].padding"),
    (LAYERS, {"input": [3, 8, 8], "layers": [{**CONV1, "stride": 0}]}, "layers[0].stride"),
    (LAYERS, {"input": [3, 8, 8], "layers": [{**CONV1, "bias": "yes"}]}, "layers[0].bias"),
    (LAYERS, {"input": [8, 8], "layers": [CONV1]}, "input"),
    (LAYERS, {"input": [3, 8, 8], "layers": []}, "layers"),
    (NETWORK, {"input": [3, 8, 8], "layers": [CONV1], "bias": 1}, "bias"),
    (CONV, {"input": [3, 8, 8], "layers": [CONV1, {"type": "flatten"}]}, "layers[1].type"),
    (BLOCK, {"input": [3, 8, 8], "layers": [{**CONV1, "in": 2}]}, "layers[0].in"),
])
def test_validate_names_the_bad_field(family, raw, field):
    with pytest.raises(ParamError) as err:
        family.validate(raw)
    assert err.value.field == field
    assert str(err.value).startswith(f"params.{field} ")


def test_validate_messages_say_what_is_wrong_and_what_fits():
    with pytest.raises(ParamError, match=r"add a flatten layer before it"):
        LAYERS.validate({"input": [3, 8, 8], "layers": [CONV1, {"type": "linear", "out": 3}]})
    with pytest.raises(ParamError, match=r"is 9 along the height, but the padded input is only 8 \+ 2·0 = 8"):
        LAYERS.validate({"input": [3, 8, 8], "layers": [{"type": "conv", "out": 4, "kernel": 9}]})
    with pytest.raises(ParamError, match=r"'conv', 'maxpool', 'avgpool' are valid here"):
        CONV.validate({"input": [3, 8, 8], "layers": [{"type": "linear", "out": 3}]})


def test_validate_accepts_a_declared_input_size_that_fits():
    params = LAYERS.validate({"input": [1, 3, 8, 8], "layers": [
        {**CONV1, "in": 3}, {"type": "flatten"}, {"type": "linear", "out": 2, "in": 144}]})
    assert LAYERS.solve(params).answers["fc1.weight_shape"] == (2, 144)
