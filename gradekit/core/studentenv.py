"""The students' environment: what every assignment's students may import, and a course's environment file read.

Every assignment's students may import the common scientific stack (``DEFAULT_PACKAGES``, import names); an
assignment adds its own (``[students] packages``) and what its course's environment file lists
(``[students] environment = "environment.yml"`` or a ``requirements.txt``, beside assignment.toml). Grading
machines install them all (``make install``: the ``students`` extra; an autograder bundle's setup.sh); a package
of the environment that is missing where grading runs is the grader's fault, never the student's zero.

>>> environment_packages("dependencies:\\n  - python=3.10\\n  - pytorch\\n  - pip:\\n    - scikit-image>=0.19\\n", "environment.yml")
['torch', 'skimage']
>>> environment_packages("tqdm==4.66\\n# a comment\\nopencv-python\\n-r other.txt\\n", "requirements.txt")
['tqdm', 'cv2']
"""

from __future__ import annotations

import re

__all__ = ["DEFAULT_PACKAGES", "DISTRIBUTIONS", "environment_packages", "import_name", "MAX_ENVIRONMENT_BYTES"]

# import names, in the order make installs them; pyproject.toml's `students` extra lists their distributions
DEFAULT_PACKAGES = ("numpy", "scipy", "pandas", "matplotlib", "tqdm", "sklearn", "torch")
# import name -> the distribution pip installs
DISTRIBUTIONS = {"sklearn": "scikit-learn", "PIL": "pillow", "cv2": "opencv-python", "skimage": "scikit-image",
                 "yaml": "pyyaml"}
_IMPORTS = {dist: name for name, dist in DISTRIBUTIONS.items()} | {
    "pytorch": "torch", "opencv-python-headless": "cv2", "opencv": "cv2", "py-opencv": "cv2"}
# what environment files list that no student imports: the interpreter, installers, kernels, GPU runtimes
_NOT_IMPORTED = {"python", "pip", "setuptools", "wheel", "conda", "jupyter", "notebook", "jupyterlab", "ipykernel",
                 "ipython", "ipywidgets", "cudatoolkit", "cudnn", "pytorch-cuda", "cpuonly", "mkl", "nb_conda"}
MAX_ENVIRONMENT_BYTES = 256 * 2**10
_NAME = re.compile(r"^(?:[\w.-]+::)?([A-Za-z0-9][A-Za-z0-9._-]*)")


def import_name(requirement: str) -> str | None:
    """The import name of one requirement as a file writes it (``scikit-learn>=1.3``, ``conda-forge::tqdm``,
    ``numpy=1.26``); None for what students do not import (``python=3.10``, ``pip``)."""
    m = _NAME.match(requirement.strip())
    if m is None:
        return None
    dist = m.group(1).lower().replace("_", "-")
    if dist in _NOT_IMPORTED:
        return None
    return _IMPORTS.get(dist, m.group(1).replace("-", "_"))


def environment_packages(text: str, name: str) -> list[str]:
    """The import names a course's environment file lists: a conda ``environment.yml`` (its dependencies, and
    their ``pip:`` list) or a pip requirements file (``-r``/``-e`` lines and comments skipped). ValueError on
    a YAML file without a dependencies list."""
    if name.endswith((".yml", ".yaml")):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ValueError(f"is not YAML ({str(e).splitlines()[0]})") from None
        deps = data.get("dependencies") if isinstance(data, dict) else None
        if not isinstance(deps, list):
            raise ValueError("has no dependencies list (a conda environment file lists them under dependencies:)")
        lines = []
        for dep in deps:
            if isinstance(dep, dict):
                lines += [str(d) for d in dep.get("pip", []) or []]
            else:
                lines.append(str(dep))
    else:
        lines = [line.split("#", 1)[0] for line in text.splitlines()]
        lines = [line for line in lines if line.strip() and not line.strip().startswith("-")]
    out: list[str] = []
    for line in lines:
        found = import_name(line)
        if found and found not in out:
            out.append(found)
    return out
