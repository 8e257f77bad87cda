"""A cluster is never open by default: TLS addresses, the refusal of the others, and the certificates.

A Dask scheduler runs whatever any client that reaches it sends, as its workers' user (root, for
the sandbox): with plain TCP any user of the host (or the network) can read the reference on a
worker, patch it, and so grade the class. So ``gradekit grade --scheduler`` takes ``tls://``
addresses, with client certificates signed by the cluster's own CA, and refuses the others unless
the instructor passes ``--insecure-cluster`` (then said in the output and in grades.json).

``make_certificates(folder)`` (``gradekit cluster certs DIR``) makes that CA and a certificate for
the scheduler, the workers and the instructor's client, with ``openssl`` (no Python package needed):

>>> sorted(CERTIFICATES)
['client', 'scheduler', 'worker']
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from gradekit.core.errors import GradekitError, GraderError

__all__ = ["CERTIFICATES", "InsecureCluster", "insecure_refusal", "make_certificates", "secure_address"]

CERTIFICATES = ("scheduler", "worker", "client")  # each NAME.pem and NAME-key.pem, signed by ca.pem
DAYS = 365


class InsecureCluster(GradekitError):
    """A scheduler address without TLS, and no word that the run accepts it (the instructor's input: exit 2)."""


def secure_address(address: str) -> bool:
    """Whether Dask talks to ``address`` over TLS (a bare ``host:port`` is plain TCP to Dask).

    >>> secure_address("tls://10.0.0.5:8786"), secure_address("tcp://127.0.0.1:8786"), secure_address("h:8786")
    (True, False, False)
    """
    return address.strip().lower().startswith("tls://")


def insecure_refusal(address: str) -> InsecureCluster:
    """The one-line refusal of a scheduler ``address`` without TLS."""
    return InsecureCluster(
        f"--scheduler {address}: a cluster without TLS runs whatever anyone who reaches its scheduler sends, as its "
        "workers' user; use tls:// with certificates (gradekit cluster certs DIR, docs/cluster.md), or pass "
        "--insecure-cluster to accept that for this run")


def make_certificates(folder: str | Path, days: int = DAYS) -> list[Path]:
    """A CA (``ca.pem``, ``ca-key.pem``) and a certificate it signs for each of ``CERTIFICATES``, in ``folder``.

    ``folder`` is made (0700) where it is missing, and must not hold any of them already; keys are 0600.
    Returns the files.
    Raises ``GradekitError`` for a folder that holds them, ``GraderError`` without ``openssl``.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise GraderError("making certificates needs openssl (apt-get install openssl)")
    folder = Path(folder)
    names = ["ca.pem", "ca-key.pem"] + [f"{n}{s}" for n in CERTIFICATES for s in (".pem", "-key.pem")]
    there = [n for n in names if (folder / n).exists()]
    if there:
        raise GradekitError(f"{folder} already holds {', '.join(there)}: choose an empty folder")
    if not folder.exists():  # a folder of its own; one the caller names (".") keeps its mode: the keys are 0600
        folder.mkdir(parents=True)
        os.chmod(folder, 0o700)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        r = subprocess.run([openssl, *args], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise GraderError(f"openssl {args[0]} failed: {r.stderr.strip()[-300:]}")

    old = os.umask(0o077)  # keys are written 0600 from the start
    try:
        run("req", "-x509", *ec, "-keyout", str(folder / "ca-key.pem"), "-out", str(folder / "ca.pem"),
            "-days", str(days), "-subj", "/CN=gradekit cluster CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        with tempfile.TemporaryDirectory(dir=folder) as work:
            for name in CERTIFICATES:
                csr, ext = Path(work, f"{name}.csr"), Path(work, f"{name}.ext")
                ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                               "extendedKeyUsage=serverAuth,clientAuth\n")
                run("req", *ec, "-keyout", str(folder / f"{name}-key.pem"), "-out", str(csr),
                    "-subj", f"/CN=gradekit {name}")
                run("x509", "-req", "-in", str(csr), "-CA", str(folder / "ca.pem"),
                    "-CAkey", str(folder / "ca-key.pem"), "-CAcreateserial", "-CAserial", str(Path(work, "ca.srl")), "-out", str(folder / f"{name}.pem"),
                    "-days", str(days), "-extfile", str(ext))
    finally:
        os.umask(old)
    for n in names:
        os.chmod(folder / n, 0o600 if n.endswith("-key.pem") else 0o644)
    return [folder / n for n in names]
