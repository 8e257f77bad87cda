"""Every assignment's students may import the common scientific stack; an assignment adds its own packages and
what its course's environment file lists. Grading machines install it; declared but missing is the grader's
fault (exit 3), so a course template's own `import tqdm` is never a student's 0."""

import importlib.util
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.code.environment import check_environment
from gradekit.core.errors import GraderError, SpecError
from gradekit.core.studentenv import DEFAULT_PACKAGES
from gradekit.course.students import requirement
from gradekit.catalog.catalog import load_assignment, load_catalog
from tests.module_task1 import CORRECT, grade_source

ROOT = Path(__file__).resolve().parents[2]


def test_every_assignment_starts_from_the_default_stack():
    catalog = load_catalog()
    assert DEFAULT_PACKAGES == ("numpy", "scipy", "pandas", "matplotlib", "tqdm", "sklearn", "torch")
    for name in catalog.assignments:
        assert catalog.assignment(name).environment[:len(DEFAULT_PACKAGES)] == DEFAULT_PACKAGES
    assert catalog.assignment("ece449-a2").environment == (*DEFAULT_PACKAGES, "torchvision")


def test_make_install_and_ci_install_the_default_stack():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["students"]
    names = {r.split(">")[0].split("=")[0] for r in extra}
    assert names == {requirement(p) for p in DEFAULT_PACKAGES}
    assert "students" in (ROOT / "Makefile").read_text().split("pip install -q -e '.[", 1)[1].split("]")[0]
    assert "make test" in (ROOT / ".ci" / "run").read_text()  # make test installs first (Makefile: test: install)


def test_the_bundle_installs_the_default_stack_for_a_code_assignment(tmp_path):
    fake = tmp_path / "gradekit-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"PK")
    out = tmp_path / "ag.zip"
    r = CliRunner().invoke(main, ["autograder", "build", "coms573-hw5", "-o", str(out), "--wheel", str(fake)])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as z:
        reqs = z.read("requirements.txt").decode()
        setup = z.read("setup.sh").decode()
    installed = {line.split("==")[0] for line in reqs.splitlines() if line and not line.startswith("#")}
    assert {"numpy", "scipy", "pandas", "matplotlib", "tqdm", "scikit-learn"} <= installed
    assert "--index-url https://download.pytorch.org/whl/cpu \"torch==" in setup  # torch: the CPU index


def test_a_template_import_of_the_default_stack_is_never_the_students_zero(tmp_path):
    """COM S 573's README tells students to install tqdm: `import tqdm` at the top of a file is graded where tqdm
    is installed (make install), and is a grader error (exit 3), not an 'invalid' 0, where it is not."""
    source = "import tqdm\nfrom tqdm import tqdm as progress\n" + CORRECT
    if importlib.util.find_spec("tqdm") is None:
        with pytest.raises(GraderError, match="tqdm is declared by ece449-a2's students' environment but is not "
                                              "installed where grading runs: install it \\(make install"):
            grade_source(tmp_path, source)
    else:
        report, _ = grade_source(tmp_path, source)
        assert report.full_marks and not [n for n in report.notes if "tqdm" in n]


def test_the_default_stack_is_declared_and_other_imports_are_noted():
    env = load_catalog().assignment("ece449-a2").environment
    assert check_environment(b"import numpy\nimport scipy.linalg\nimport sklearn\n", env, "ece449-a2") == []
    notes = check_environment(b"import seaborn\n", env, "ece449-a2")
    assert notes and "imports seaborn, which ece449-a2's students' environment does not declare" in notes[0]


def _course(tmp_path: Path, students: str, files: dict[str, str]) -> Path:
    folder = tmp_path / "hw9"
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text(f'name = "hw9"\ntitle = "HW 9"\n{students}')
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_a_course_environment_file_adds_its_packages(tmp_path):
    conda = "name: cs-hw\nchannels: [pytorch]\ndependencies:\n  - python=3.10\n  - pytorch\n  - seaborn>=0.12\n" \
            "  - pip\n  - pip:\n    - opencv-python==4.8\n    - einops\n"
    folder = _course(tmp_path, '[students]\npackages = ["torchvision"]\nenvironment = "environment.yml"\n',
                     {"environment.yml": conda})
    meta = load_assignment(folder)
    assert meta.packages == ("torchvision", "torch", "seaborn", "cv2", "einops")
    assert meta.environment == (*DEFAULT_PACKAGES, "torchvision", "seaborn", "cv2", "einops")
    other = _course(tmp_path / "b", '[students]\nenvironment = "requirements.txt"\n',
                    {"requirements.txt": "# the course's\ntqdm>=4\nPillow\n-r more.txt\n"})
    assert load_assignment(other).packages == ("tqdm", "PIL")


@pytest.mark.parametrize("students, files, words", [
    ('[students]\nenvironment = "nope.yml"\n', {}, "must name a file beside assignment.toml"),
    ('[students]\nenvironment = "../x.txt"\n', {}, "must name a file beside assignment.toml"),
    ('[students]\nenvironment = "env.yml"\n', {"env.yml": "name: x\n"}, "has no dependencies list"),
    ('[students]\nenvironment = "env.yml"\n', {"env.yml": "a: [\n"}, "is not YAML"),
    ('[students]\nenvironmnt = "env.yml"\n', {}, "students is"),
])
def test_a_bad_environment_file_is_a_spec_error(tmp_path, students, files, words):
    with pytest.raises(SpecError, match=words):
        load_assignment(_course(tmp_path, students, files))
