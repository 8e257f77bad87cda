# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install students students-venv demo lint test test-fast bench clean

install: $(STAMP)

# The CPU build of torch first (pinned here, where a file of it lies on disk; the
# package itself asks only torch>=2.2), then gradekit with the module checks (code), the default students'
# environment (students) and the test extras: everything the tests use.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=68" wheel
	$(PY) -m pip show -q torch >/dev/null 2>&1 || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[code,students,test]'
	touch $(STAMP)

# The built-in assignments' students' packages ([students] packages), torch and torchvision as a pair that imports
# on this machine (`uname -m`; gradekit/course/students.py): a CUDA build of torch on x86_64, 5.5 GB.
students: install
	$(PY) -m pip install -q $$($(PY) -m gradekit.course.students)

# A second venv with the students' packages and gradekit (CI grades a torchvision file with it)
STUDENTS_VENV := .venv-students
students-venv: $(STUDENTS_VENV)/.installed

$(STUDENTS_VENV)/.installed: pyproject.toml | $(STAMP)
	test -x $(STUDENTS_VENV)/bin/python || $(PYTHON) -m venv $(STUDENTS_VENV)
	$(STUDENTS_VENV)/bin/python -m pip install -q --upgrade pip "setuptools>=68" wheel
	$(STUDENTS_VENV)/bin/python -m pip install -q $$($(PY) -m gradekit.course.students)
	$(STUDENTS_VENV)/bin/python -m pip install -q -e '.[code]'
	touch $@

demo: install
	@# exit 1 means "graded, not full marks", as expected of this file; 2 (bad input) still fails
	$(VENV)/bin/gradekit check examples/ece661-hw1-answers.py || test $$? -eq 1
	$(VENV)/bin/gradekit solve q3.2 --show-steps

# ruff's rules and exclusions: pyproject.toml, [tool.ruff]; what mypy checks (gradekit/) and how: [tool.mypy]
lint: install
	$(VENV)/bin/ruff check gradekit reference tests benchmarks  # reference/: ruff does not follow the gradekit/reference link
	$(VENV)/bin/mypy

test: install
	$(PY) -m pytest -q -n 2 -p no:cacheprovider

# every module's behaviour in under 2 minutes: no venv builds, clusters, training or batches (tests/README.md)
test-fast: install
	$(PY) -m pytest -q -n 2 -p no:cacheprovider -m "not slow"

bench: install
	$(PY) benchmarks/check_speed.py

clean:
	rm -rf $(VENV) $(STUDENTS_VENV) build dist *.egg-info
