"""CUDA calls outside the trainer's call, on a grader without a GPU: the course's students write them for their
GPU machines (`.cuda()` in get_lenet, `device = torch.device("cuda")` and `net.to(device)` at the file's top).
`.cuda()` and `.to(<cuda>)` run on the CPU and the report says so in one line; what cannot run on the CPU
(a tensor made with `device="cuda"`) is one named line, never a traceback that zeroes a model by surprise."""

from __future__ import annotations

import pytest

from tests.helpers import grade_file
from tests.module_task23 import task3
from tests.code.test_module_torch import RESNET, RESNET_BODY

GET_RESNET_CUDA = RESNET_BODY.replace("return nn.Sequential(", "return nn.Sequential(").replace(
    "nn.Linear(512, 10))", "nn.Linear(512, 10)).cuda()")
TOP_LEVEL_DEVICE = ("\ndevice = torch.device('cuda')\nnet = get_resnet().to(device)\n"
                    "X = torch.rand(1, 1, 96, 96).to(device)\n")


def _task4(tmp_path_factory, source):
    return grade_file(tmp_path_factory.mktemp("sub"), "task4.py", source, problem="ece449-a2/task4")


def _no_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: CUDA calls run there")


def _kept(report):
    return [n for n in report.notes if n.startswith("this grader has no GPU")]


def test_cuda_in_get_resnet_runs_on_the_cpu_and_is_said_once(tmp_path_factory):
    _no_gpu()
    report, parts = _task4(tmp_path_factory, RESNET.format(body=GET_RESNET_CUDA))
    assert report.full_marks, {n: p.feedback for n, p in parts.items()}
    assert _kept(report) == ["this grader has no GPU: .cuda() was called and kept on the CPU (on a GPU they move "
                             "the model or tensors there)"], report.notes


def test_a_cuda_device_at_the_files_top_level_runs_on_the_cpu(tmp_path_factory):
    _no_gpu()
    report, parts = _task4(tmp_path_factory, RESNET.format(body=RESNET_BODY) + TOP_LEVEL_DEVICE)
    assert report.full_marks, {n: p.feedback for n, p in parts.items()}
    assert _kept(report) == ["this grader has no GPU: .to('cuda') was called and kept on the CPU (on a GPU they "
                             "move the model or tensors there)"], report.notes


def test_a_tensor_made_on_the_gpu_at_the_top_level_is_one_named_line(tmp_path_factory):
    _no_gpu()
    report, parts = _task4(tmp_path_factory, RESNET.format(body=RESNET_BODY) + "\nX = torch.zeros(3, device='cuda')\n")
    for name, part in parts.items():
        assert part.score == 0 and "this grader has no GPU: the file's top level asks for CUDA in a way that cannot " \
                                   "run on the CPU" in part.feedback, (name, part.feedback)
        assert "Traceback" not in part.feedback


def test_cuda_in_get_lenet_costs_no_point_of_task3(tmp_path_factory):
    """task3_template.py filled in with `return net.cuda()` in get_lenet, as a student on the course's GPUs does."""
    _no_gpu()
    source = task3().replace("        nn.Linear(84, 10))\n    return net\n", "        nn.Linear(84, 10))\n"
                                                                           "    return net.cuda()\n")
    assert "return net.cuda()" in source
    report, parts = grade_file(tmp_path_factory.mktemp("sub"), "task3.py", source)
    assert report.full_marks and report.score == 20, {n: p.feedback for n, p in parts.items()}
    assert _kept(report) and ".cuda()" in _kept(report)[0], report.notes
