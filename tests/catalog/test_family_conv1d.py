"""conv1d.output and conv1d.channels: a 1-D convolution's values against torch's conv1d, shapes and counts as
conv.output_shape (one axis) and the counting families (dims = "1d") give them, the conventions stated, mistakes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family

torch.set_num_threads(1)
FAST = settings(max_examples=40, deadline=None)

SINGLE = get_family("conv1d.output")
CHANNELS = get_family("conv1d.channels")
SHAPE = get_family("conv.output_shape")
COUNTING = get_family("counting.layers")


@st.composite
def instances(draw):
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    length, pad, stride = draw(st.integers(1, 8)), draw(st.integers(0, 2)), draw(st.integers(1, 3))
    size = draw(st.integers(1, min(4, length + 2 * pad)))
    values = st.integers(-3, 3)
    x = draw(st.lists(st.lists(values, min_size=length, max_size=length), min_size=c_in, max_size=c_in))
    k = draw(st.lists(st.lists(st.lists(values, min_size=size, max_size=size), min_size=c_in, max_size=c_in),
                      min_size=c_out, max_size=c_out))
    bias = draw(st.lists(values, min_size=c_out, max_size=c_out))
    mode = draw(st.sampled_from(["convolution", "cross_correlation"]))
    return {"input": x, "kernel": k, "bias": bias, "padding": pad, "stride": stride, "mode": mode}


def _torch(raw) -> np.ndarray:
    k = torch.tensor(raw["kernel"], dtype=torch.float64)
    if raw["mode"] == "convolution":  # conv1d cross-correlates: flip to convolve
        k = torch.flip(k, dims=(2,))
    return F.conv1d(torch.tensor([raw["input"]], dtype=torch.float64), k, torch.tensor(raw["bias"], dtype=torch.float64),
                    stride=raw["stride"], padding=raw["padding"])[0].numpy()


@FAST
@given(instances())
def test_multi_channel_values_shape_and_counts_agree_with_torch(raw):
    params = CHANNELS.check(raw)
    answers = CHANNELS.solve(params).answers
    want = _torch(raw)
    np.testing.assert_allclose(answers["output"], want, atol=1e-9)
    assert answers["shape"] == want.shape
    c_out, c_in, size = np.shape(raw["kernel"])
    assert answers["macs"] == want.size * size * c_in
    assert answers["params"] == torch.nn.Conv1d(c_in, c_out, size).weight.numel()
    for m in CHANNELS.mistakes(params):  # a named mistake is never the right answer
        assert any(np.shape(v) != np.shape(answers[k]) or not np.allclose(v, answers[k]) for k, v in m.answers.items())


@FAST
@given(instances())
def test_one_channel_values_agree_with_torch(raw):
    single = {**raw, "input": raw["input"][0], "kernel": raw["kernel"][0][0], "bias": raw["bias"][0]}
    answers = SINGLE.solve(SINGLE.check(single)).answers
    want = _torch({**single, "input": [single["input"]], "kernel": [[single["kernel"]]], "bias": [single["bias"]]})[0]
    np.testing.assert_allclose(answers["output"], want, atol=1e-9)
    assert answers["shape"] == want.shape


@FAST
@given(instances())
def test_the_length_is_conv_output_shapes_one_axis_and_the_counts_are_countings_1d(raw):
    params = CHANNELS.check(raw)
    answers = CHANNELS.solve(params).answers
    c_out, c_in, size = np.shape(raw["kernel"])
    length = len(raw["input"][0])
    shape = SHAPE.solve(SHAPE.check({"input": [length], "kernel": size, "padding": raw["padding"],
                                     "stride": raw["stride"]})).answers["shape"]
    assert answers["shape"] == (c_out, *shape)
    counted = COUNTING.solve(COUNTING.check({"input": [c_in, length], "dims": "1d", "layers": [
        {"type": "conv", "out": c_out, "kernel": size, "padding": raw["padding"], "stride": raw["stride"]}]})).answers
    assert counted["conv1.output_shape"] == answers["shape"]
    assert counted["conv1.params"] == answers["params"] and counted["conv1.macs"] == answers["macs"]


def test_the_catalog_problems_worked_by_hand():
    # x = [1, -2, 3, 0, 2, 1], W = [2, 0, -1], b = 0.5, stride 2: y[0] = 2 − 3 + 0.5, y[1] = 6 − 2 + 0.5
    from gradekit.catalog.catalog import load_catalog

    cat = load_catalog()
    single = cat.solve(cat.resolve("cmu11785-hw2-written/conv1d_single")).answers
    assert single["output"].tolist() == [-0.5, 4.5] and single["shape"] == (2,)
    multi = cat.solve(cat.resolve("cmu11785-hw2-written/conv1d_channels")).answers
    # y_1[0] = (1·1 + 3·(−1)) + (1·1) + 0.5 = −0.5
    assert multi["output"][0, 0] == -0.5 and multi["shape"] == (2, 3) and multi["macs"] == 36


def test_cross_correlation_is_the_default_and_stated():
    params = SINGLE.check({"input": [1, 2, 3, 4], "kernel": [1, 0, -1]})
    solution = SINGLE.solve(params)
    assert solution.answers["output"].tolist() == [-2.0, -2.0]
    assert "cross-correlation, as torch.nn.functional.conv1d" in solution.steps[0].text
    from gradekit.catalog.family_docs import conventions

    assert conventions(SINGLE)[0].startswith("mode = 'cross_correlation' (or 'convolution'): cross_correlation slides")
    flipped = {m.id: m.answers for m in SINGLE.mistakes(params)}
    assert flipped["kernel_flipped"]["output"].tolist() == [2.0, 2.0]  # numpy.convolve's 'valid' output
    convolved = SINGLE.solve(SINGLE.check({"input": [1, 2, 3, 4], "kernel": [1, 0, -1], "mode": "convolution"}))
    assert convolved.answers["output"].tolist() == np.convolve([1, 2, 3, 4], [1, 0, -1], "valid").tolist()
    assert "Flip the kernel" in [s.title for s in convolved.steps]


def test_the_mistakes_name_padding_stride_and_bias():
    params = CHANNELS.check({"input": [[1, 2, 3, 4, 5]], "kernel": [[[1, 1]]], "bias": [2], "padding": 1, "stride": 2})
    found = {m.id: m.answers for m in CHANNELS.mistakes(params)}
    assert found["wrong_padding"]["shape"] == (1, 2) and found["stride_ignored"]["shape"] == (1, 6)
    assert found["bias_omitted"]["output"].tolist() == [[1.0, 5.0, 9.0]]
    assert set(found) <= set(CHANNELS.mistake_ids)


@pytest.mark.parametrize("family, raw, says", [
    (CHANNELS, {"input": [[1, 2, 3]], "kernel": [[[1], [1]]]}, "C_in must be 1"),
    (CHANNELS, {"input": [[1, 2]], "kernel": [[[1, 1, 1]]]}, "padded input is only 2 + 2·0 = 2"),
    (CHANNELS, {"input": [[1, 2]], "kernel": [[[1]]], "bias": [1, 2]}, "one per output channel (1)"),
    (SINGLE, {"input": [1, 2], "kernel": [1], "stride": 0}, "stride"),
])
def test_validate_says_what_does_not_fit(family, raw, says):
    with pytest.raises(ParamError, match=".*") as e:
        family.check(raw)
    assert says in str(e.value)
