"""An installed distribution packed again as a wheel: ``autograder build`` from ``pip install gradekit``.

A wheel is a zip of the files its installation put in site-packages plus its ``*.dist-info``; the installation's
RECORD lists them. Packing those files again (not the scripts pip wrote in ``bin/``, not ``__pycache__``) gives
a wheel that installs the same package, without the source tree or a build backend.

>>> repack_installed("gradekit", Path("/tmp/out"))     # doctest: +SKIP
PosixPath('/tmp/out/gradekit-0.1.0-py3-none-any.whl')
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

from gradekit.core.errors import GradekitError

__all__ = ["repack_installed"]

WHEEL_FILE = "Wheel-Version: 1.0\nGenerator: gradekit (repacked from an installation)\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
# what pip wrote on installing, not what the wheel held: left out (pip writes them again)
_EPOCH = (2020, 1, 1, 0, 0, 0)  # fixed times: the same installation packs to the same bytes
_INSTALLER_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "WHEEL"}


def repack_installed(dist_name: str, out: Path) -> Path:
    """Write ``out/NAME-VERSION-py3-none-any.whl`` from the installed ``dist_name``; GradekitError when the
    installation lists no files of its package (an editable install: build from its source tree instead)."""
    dist = metadata.distribution(dist_name)
    name, version = dist.metadata["Name"].replace("-", "_"), dist.version
    info = f"{name}-{version}.dist-info"
    package = [f for f in dist.files or () if f.parts and f.parts[0] == name and "__pycache__" not in f.parts
               and f.suffix != ".pyc"]
    if not package:
        raise GradekitError(f"{dist_name} {version} is installed without its files listed (an editable install?): "
                            f"build from its source tree, or pass --wheel {name}-*.whl")
    own = [f for f in dist.files or () if f.parts and f.parts[0].endswith(".dist-info")
           and f.name not in _INSTALLER_FILES]
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{name}-{version}-py3-none-any.whl"
    record: list[str] = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(package, key=str) + sorted(own, key=str):
            data = Path(f.locate()).read_bytes()
            arcname = f"{info}/{f.name}" if f in own else f.as_posix()
            _write(z, arcname, data, record)
        _write(z, f"{info}/WHEEL", WHEEL_FILE.encode(), record)
        record.append(f"{info}/RECORD,,")
        z.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=_EPOCH), "\n".join(record) + "\n", zipfile.ZIP_DEFLATED)
    return wheel


def _write(z: zipfile.ZipFile, arcname: str, data: bytes, record: list[str]) -> None:
    z.writestr(zipfile.ZipInfo(arcname, date_time=_EPOCH), data, zipfile.ZIP_DEFLATED)
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{arcname},sha256={digest},{len(data)}")
