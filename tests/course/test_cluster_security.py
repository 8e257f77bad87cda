"""A cluster is never open by default (issue 39, item 3).

Before: ``--scheduler tcp://…`` was taken without a word, and the rows workers sent back were taken
with ``json.loads`` alone, so whoever could reach the scheduler (any user of a host running the
documented local cluster) could run code as root on a worker and grade the class. Now a scheduler
without TLS is refused unless the instructor passes ``--insecure-cluster`` (said in the output and
grades.json), ``gradekit cluster certs`` makes the CA and certificates a TLS cluster needs, and a
row coming back is checked as a resume-cache row is: of the task sent, of that submission, adding up.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.course.test_cluster import ASSIGNMENT, Cluster, cli, executor, local_rows, small_class

from gradekit.course.batch import discover
from gradekit.course.cluster_security import InsecureCluster

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the certificates")


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "127.0.0.1:1", "TCP://127.0.0.1:1"])
def test_a_scheduler_without_tls_is_refused_in_one_line_before_anything_is_written(tmp_path, address):
    d = small_class(tmp_path)
    r = cli("grade", str(d), "-a", ASSIGNMENT, "-o", str(tmp_path / "out"), "--scheduler", address)
    assert r.exit_code == 2, r.output
    said = r.output.strip()
    assert "\n" not in said and said.startswith(f"gradekit: error: --scheduler {address}: a cluster without TLS")
    assert "--insecure-cluster" in said and "gradekit cluster certs DIR" in said
    assert not (tmp_path / "out").exists()
    r = cli("grade", str(d), "-a", ASSIGNMENT, "--insecure-cluster")  # without a scheduler: a slip, said so
    assert r.exit_code == 2 and "--insecure-cluster goes with --scheduler" in r.output
    with pytest.raises(InsecureCluster, match="a cluster without TLS"):  # the library refuses too, before connecting
        executor(address, insecure=False)


@needs_openssl
def test_certs_makes_a_ca_and_certificates_it_signs_and_keeps_the_keys_private(tmp_path):
    folder = tmp_path / "certs"
    r = cli("cluster", "certs", str(folder), "--days", "2")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["ca.pem", "ca-key.pem"] + [f"{n}{s}" for n in ("scheduler", "worker", "client") for s in (".pem", "-key.pem")])
    assert folder.stat().st_mode & 0o777 == 0o700
    keys = [folder / f"{n}-key.pem" for n in ("ca", "scheduler", "worker", "client")]
    assert all(k.stat().st_mode & 0o777 == 0o600 for k in keys)
    for n in ("scheduler", "worker", "client"):
        v = subprocess.run(["openssl", "verify", "-CAfile", str(folder / "ca.pem"), str(folder / f"{n}.pem")],
                           capture_output=True, text=True)
        assert v.stdout.strip() == f"{folder / n}.pem: OK", v.stderr
    r = cli("cluster", "certs", str(folder))  # never over certificates in use
    assert r.exit_code == 2 and "already holds ca.pem" in r.output


@needs_openssl
def test_a_cluster_started_with_the_made_certificates_grades_and_an_insecure_one_is_said(tmp_path):
    certs = tmp_path / "certs"
    assert cli("cluster", "certs", str(certs)).exit_code == 0
    d = small_class(tmp_path)
    local = cli("grade", str(d), "-a", ASSIGNMENT, "-o", str(tmp_path / "local"), "-j", "1", "--time-limit", "3")
    assert local.exit_code == 0, local.output
    served = tmp_path / "served"  # the scheduler's certificate, under the names Cluster reads
    served.mkdir()
    for made, name in (("ca.pem", "ca.pem"), ("scheduler.pem", "cert.pem"), ("scheduler-key.pem", "key.pem")):
        shutil.copy(certs / made, served / name)
    c = Cluster(tmp_path, workers=0, tls=served)
    try:
        c.tls = ["--tls-ca-file", str(certs / "ca.pem"), "--tls-cert", str(certs / "worker.pem"),
                 "--tls-key", str(certs / "worker-key.pem")]
        c.add_worker()
        c.wait_for(1)
        r = cli("grade", str(d), "-a", ASSIGNMENT, "-o", str(tmp_path / "tls"), "--json", "--time-limit", "3",
                "--scheduler", c.address, "--tls-ca", str(certs / "ca.pem"), "--tls-cert", str(certs / "client.pem"),
                "--tls-key", str(certs / "client-key.pem"))
        assert r.exit_code == 0, r.output + c.logs()
        data = json.loads(r.stdout)
        assert data["students"] == 3 and data["grader_errors"] == 0 and "insecure_cluster" not in data
        assert (tmp_path / "tls" / "grades.json").read_bytes() == (tmp_path / "local" / "grades.json").read_bytes()
    finally:
        c.stop()
    plain = tmp_path / "plain"
    plain.mkdir()
    c = Cluster(plain, workers=1)
    try:
        c.wait_for(1)
        r = cli("grade", str(d), "-a", ASSIGNMENT, "-o", str(tmp_path / "tcp"), "--json", "--time-limit", "3",
                "--scheduler", c.address, "--insecure-cluster")
        assert r.exit_code == 0, r.output + c.logs()
        assert json.loads(r.stdout)["insecure_cluster"] is True
        warning = f"graded on the cluster at {c.address} without TLS (--insecure-cluster)"
        assert f"gradekit: warning: {warning}" in r.stderr
        assert json.loads((tmp_path / "tcp" / "grades.json").read_text())["notes"][0].startswith(warning)
    finally:
        c.stop()


FORGE = '''
import json
import gradekit.course.cluster as cluster

if not hasattr(cluster, "honest_grade_task"):  # Dask may run a preload file twice: patch once
    cluster.honest_grade_task = cluster.grade_task


def grade_task(head, items, token=""):
    """What a worker someone took over sends back: rows changed after grading."""
    res = cluster.honest_grade_task(head, items, token)
    for got in res["rows"]:
        row = json.loads(got[1])
        if row["student"] == "ada":  # a total its parts do not add up to
            row["score"] = 99
        elif row["student"] == "bob":  # another student's row for this submission
            row["student"] = "cy"
        got[1] = json.dumps(row)
    if any(item["student"] == "cy" for item in items):  # a result that answers another task
        res["task"] = "0" * 32
    return res


cluster.grade_task = grade_task
'''


def test_rows_a_worker_forges_are_grader_errors_never_points(tmp_path):
    """Before: each of these rows was handed to the batch as it came (ada's 99 points among them)."""
    forge = tmp_path / "forge.py"
    forge.write_text(FORGE)
    d = small_class(tmp_path)
    c = Cluster(tmp_path, workers=0)
    try:
        c.add_worker(None, "--preload", str(forge))
        c.wait_for(1)
        entries = discover(d)
        rows: dict[int, list] = {}
        with executor(c.address, answers_per_task=1) as ex:
            ex.run(list(enumerate(entries)), lambda i, row: rows.setdefault(i, []).append(row))
        got = {entries[i].student: r for i, [r] in rows.items()}
        assert set(got) == {"ada", "bob", "cy"}
        for student, why in (("ada", "a total that is not its parts' sum"), ("bob", "another submission's row"),
                             ("cy", "the worker's answer was not a result of the task sent")):
            row = got[student]
            assert row["score"] is None and row["grader_error"] is True, row
            assert why in row["error"] and row["error"].startswith("grader error:"), row["error"]
        assert ex.stats() == []  # none of them counts as graded by that worker
    finally:
        c.stop()


def test_an_honest_workers_rows_pass_the_check_unchanged(tmp_path):
    """The check takes nothing from an honest row: each is the local row, as JSON, byte for byte."""
    d = small_class(tmp_path)
    want = local_rows(d)
    c = Cluster(tmp_path, workers=1)
    try:
        c.wait_for(1)
        entries = discover(d)
        rows: dict[int, list] = {}
        with executor(c.address, answers_per_task=2) as ex:
            ex.run(list(enumerate(entries)), lambda i, row: rows.setdefault(i, []).append(row))
        assert {entries[i].student: json.dumps(r) for i, [r] in rows.items()} == want
    finally:
        c.stop()
