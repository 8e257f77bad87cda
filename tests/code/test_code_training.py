"""A code problem's training part (gradekit.code.training): trained from the solution's start on served data,
scored as training by the solution's class in the solution's child, against a pass mark the solution sets in
the same run. tests/courses/train-mlp: a small network, so each file trains in a second or two."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.grading.code import ModuleOptions, grade_module
from gradekit.catalog.catalog import read_catalog

COURSE = Path(__file__).parents[1] / "courses" / "train-mlp"
SOLUTION = (COURSE / "train_solution.py").read_text()

# train swaps a nearest-class-mean classifier in as the net's forward and never trains (#39)
CLASS_MEANS = SOLUTION.split("def train(")[0] + '''def train(net, train_iter, test_iter, num_epochs, lr, device):
    sums, counts = torch.zeros(10, 784), torch.zeros(10)
    for X, y in train_iter:
        sums.index_add_(0, y, X.reshape(len(X), -1))
        counts += torch.bincount(y, minlength=10).float()
    means = sums / counts.clamp(min=1)[:, None]
    net.forward = lambda x: -((x.reshape(len(x), 1, -1) - means[None]) ** 2).sum(-1)
'''
# the student's own network class: other names, the same shapes (the solution's start loads by order and shape)
OWN_CLASS = '''import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(784, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x.flatten(1))))


def get_net():
    return Classifier()


''' + "def train(" + SOLUTION.split("def train(")[1]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    catalog = read_catalog(extra=[COURSE.parent])
    files = {"solution": SOLUTION, "class_means": CLASS_MEANS, "own_class": OWN_CLASS,
             "no_step": SOLUTION.replace("            optimizer.step()\n", ""),
             "starter": (COURSE / "train_starter.py").read_text()}
    out = {}
    for key, text in files.items():
        path = tmp_path_factory.mktemp(key) / "train.py"
        path.write_text(text)
        part = grade_module(path, ModuleOptions(problem="train-mlp/train", catalog=catalog)).problems[0].parts[0]
        out[key] = part
    return out


def test_the_solution_itself_scores_full_marks(graded):
    assert graded["solution"].score == 4, graded["solution"].feedback


def test_a_forward_swapped_for_class_means_scores_nothing_with_the_reason(graded):
    part = graded["class_means"]
    assert part.score == 0, part.feedback
    assert "replaced the net's forward (net)" in part.feedback
    assert "did not change (no optimizer stepped them)" in part.feedback
    assert "below the pass mark 0.900 (the solution reaches 1.000)" in part.feedback  # calibrated in the same run


def test_a_network_of_the_students_own_names_trains_from_the_same_start(graded):
    assert graded["own_class"].score == 4, graded["own_class"].feedback


def test_a_train_that_never_steps_scores_nothing(graded):
    part = graded["no_step"]
    assert part.score == 0 and "did not change" in part.feedback, part.feedback


def test_the_starter_is_not_implemented(graded):
    assert (graded["starter"].score, graded["starter"].feedback) == (0, "not implemented")


def test_a_training_part_names_its_served_data_and_its_model(tmp_path):
    import shutil

    from gradekit.core.errors import SpecError

    course = tmp_path / "courses" / "train-mlp"
    shutil.copytree(COURSE, course)
    spec = course / "train.toml"
    spec.write_text(spec.read_text().replace('data = "quadrants"', 'data = "mnist"'))
    with pytest.raises(SpecError, match="parts.train.train data is 'mnist'; the served data sets are quadrants"):
        read_catalog(extra=[course.parent]).resolve("train-mlp/train")


def test_a_solution_that_does_not_reach_the_pass_mark_is_a_grader_error_not_points_lost(tmp_path):
    import shutil

    course = tmp_path / "courses" / "train-mlp"
    shutil.copytree(COURSE, course)
    spec = course / "train.toml"
    spec.write_text(spec.read_text().replace("margin = 0.1 }", "floor = 0.95, margin = 0.1 }"))
    path = tmp_path / "train.py"
    path.write_text(SOLUTION)
    options = ModuleOptions(problem="train-mlp/train", catalog=read_catalog(extra=[course.parent]))
    part = grade_module(path, options).problems[0].parts[0]
    assert part.verdict == "error", (part.verdict, part.feedback)
    assert "no pass mark can be set from it" in part.feedback
