"""ECE 661 HW1 Lab 2(a): SimpleNN.ipynb, the notebook the handout asks for, graded as a TA grades it.

The notebook is written here as the handout's is laid out (block 1 the imports, block 2 the lab's CONV
and FC classes, block 3 the student's SimpleNN and its forward test, block 4 Lab 2(b)); the code is ours.
"""

from __future__ import annotations

import nbformat
from nbformat import v4

from gradekit.grading.grade import grade
from gradekit.catalog.catalog import load_catalog

CAT = load_catalog()
PREAMBLE = CAT.resolve("ece661-hw1/lab2a").validated_params.preamble  # blocks 1-2, as the spec holds them

BLOCK3 = '''
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
        x = F.max_pool2d(F.relu(self.conv3(x)), kernel_size=2, stride=2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.relu(self.fc2(x))

device = "cuda" if torch.cuda.is_available() else "cpu"
net = SimpleNN().to(device)
out = net(torch.randn(5, 3, 32, 32).to(device))
assert out.detach().cpu().numpy().shape == (5, 10)
print("Forward pass successful")
'''

# Lab 2(b), ungraded here: a forced .cuda() and a package the grader does not have
BLOCK4 = '''
import pandas_is_not_installed_here as pd
data = torch.randn(1, 3, 32, 32).cuda()
out = net(data)
'''


def _notebook(tmp_path, cells):
    path = tmp_path / "SimpleNN.ipynb"
    path.write_text(nbformat.writes(v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells])))
    return path


def test_the_notebook_with_a_failing_lab_2b_cell_scores_full_marks(tmp_path):
    blocks = PREAMBLE.split("\n\n\nclass CONV", 1)
    cells = ["%matplotlib inline\n" + blocks[0], "class CONV" + blocks[1], BLOCK3, BLOCK4]
    report = grade(_notebook(tmp_path, cells))
    result = next(p for p in report.problems if p.id == "lab2a")
    assert result.parts[0].score == 10, result.parts[0].feedback
    assert any(n.startswith("cell 4 (import pandas_is_not_installed_here as pd) failed: ModuleNotFoundError")
               for n in report.notes), report.notes


def test_code_block_3_alone_as_simplenn_py_runs_after_the_handouts_blocks(tmp_path):
    path = tmp_path / "SimpleNN.py"
    path.write_text(BLOCK3)
    report = grade(path, assignment="ece661-hw1")
    assert report.problems[0].parts[0].score == 10, report.problems[0].parts[0].feedback
    # its own errors still fail it as a file, with its own line numbers
    path.write_text(BLOCK3.replace("super(SimpleNN, self).__init__()", "super(SimpleNN, self).__init__()\n        1 / 0"))
    report = grade(path, assignment="ece661-hw1")
    assert report.problems[0].parts[0].score == 0 and "ZeroDivisionError" in report.problems[0].parts[0].feedback
