"""cs37300-hw4 §2.7: report_my_judgement checked on the run the handout asked about (#35).

The handout's pytorch_ann.py trains PyTorchANN(784, hidden_size=32, 10) for 100 epochs (batch 64, learning
rate 0.2) on 2,000 Fashion-MNIST images; students answer for that run's curves. The grader runs the
student's own train with those settings on digits served as 28×28 images (flattened to 784), and checks the
word by the stated rule; near a threshold both neighbouring words are accepted, and the feedback says why.
"""

from __future__ import annotations

import pytest

from gradekit.reference.families import module_torch_handout as fam
from gradekit.catalog.catalog import load_catalog
from tests.code.test_module_torch_handout import ANN_SOURCE, _grade

ANN = load_catalog().resolve("cs37300-hw4/pytorch_ann")


@pytest.fixture(scope="module")
def overfitting(tmp_path_factory):
    """As in the public filled-in copy cadeneck/DS-Pytorch (053cd99): the handout's run ends with a
    validation loss well above its lowest, and the student answers "overfitting"."""
    source = ANN_SOURCE
    return _grade(tmp_path_factory.mktemp("over"), "pytorch_ann.py", source)[1]


def test_overfitting_for_the_handouts_run_is_right(overfitting):
    p = overfitting["PyTorchANN.report_my_judgement"]
    assert p.score == 1, p.feedback  # gradekit's own digits run (20 epochs of 64 pixels) called it generalizing


def test_the_statement_names_the_handouts_run_and_the_rule():
    text = " ".join(ANN.statement.split())
    assert "PyTorchANN(784, 32, 10)" in text and "100 epochs" in text and "learning rate 0.2" in text
    assert "underfitting when the final training accuracy is below 0.80" in text


def test_near_a_threshold_both_words_are_accepted_and_the_feedback_says_why():
    falling = [1.0, 0.6, 0.4, 0.3]
    # the validation loss ends 8 % above its lowest: within the band around 10 %
    accepted, seen = fam.judge_curves((falling, [0.7, 0.9, 0.97, 0.99], [0.9, 0.5, 0.52, 0.54], [0.8, 0.9, 0.95, 0.96]))
    assert accepted == {"generalizing", "overfitting"}
    why = fam.band_reason((falling, [0.7, 0.9, 0.97, 0.99], [0.9, 0.5, 0.52, 0.54], [0.8, 0.9, 0.95, 0.96]))
    assert "8% above its lowest" in why and "within" in why
    # far from every threshold: one word, no band
    assert fam.judge_curves((falling, [0.7, 0.85, 0.93, 0.99], [1.1, 0.8, 0.6, 0.5], [0.7, 0.8, 0.85, 0.98]))[0] == \
        {"generalizing"}
