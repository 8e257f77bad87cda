"""reference/data.py: tiny IDX / CIFAR / .mat files written here and read back.

Downloads are served by an http.server on 127.0.0.1 from files the tests write,
with the published MD5s swapped for theirs; no test reaches the network (an
autouse fixture points $GRADEKIT_DATA_URL at a closed local port).
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import pickle
import socket
import tarfile
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradekit.reference import data
from gradekit.reference.data import DataError


@settings(max_examples=30, deadline=None)
@given(
    a=st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]).flatmap(
        lambda dt: arrays(dt, st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple))
    ),
    gz=st.booleans(),
)
def test_idx_round_trip(tmp_path_factory, a, gz):
    path = tmp_path_factory.mktemp("idx") / ("x-idx-ubyte" + (".gz" if gz else ""))
    data.write_idx(path, a)
    b = data.read_idx(path)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(b, a)


def test_idx_header_is_big_endian_as_the_format_says(tmp_path):
    data.write_idx(tmp_path / "l", np.array([7, 9], dtype=np.uint8))
    assert (tmp_path / "l").read_bytes() == bytes([0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9])
    # the official label files start 00 00 08 01 then the count, big-endian
    (tmp_path / "m").write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 1, 2, 3]))
    assert data.read_idx(tmp_path / "m").tolist() == [1, 2, 3]


def test_bad_or_truncated_idx_is_a_one_line_error(tmp_path):
    (tmp_path / "bad").write_bytes(b"PK\x03\x04junk")
    with pytest.raises(DataError, match="not an IDX file"):
        data.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(DataError, match=r"shape \(5,\).*2 bytes"):
        data.read_idx(tmp_path / "short")


def _write_fashion(folder, gz: bool, n_train=6, n_test=4):
    folder.mkdir(parents=True, exist_ok=True)
    g = np.random.default_rng(0)
    sfx = ".gz" if gz else ""
    arrays_ = {
        "train-images-idx3-ubyte": g.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(n_train, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": g.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(n_test, dtype=np.uint8)[::-1] % 10,
    }
    for name, a in arrays_.items():
        data.write_idx(folder / (name + sfx), a)
    return arrays_


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("sub", ["", "fashion-mnist", "FashionMNIST/raw"])
def test_fashion_mnist_from_idx_files(tmp_path, gz, sub):
    written = _write_fashion(tmp_path / sub, gz)
    ds = data.load_dataset("fashion-mnist", tmp_path)
    assert ds.x_train.shape == (6, 1, 28, 28) and ds.x_test.shape == (4, 1, 28, 28)
    np.testing.assert_array_equal(ds.x_train[:, 0], written["train-images-idx3-ubyte"])
    assert ds.y_test.tolist() == [3, 2, 1, 0] and ds.y_train.dtype == np.int64
    assert ds.classes[9] == "Ankle boot"


def test_mnist_reads_from_gradekit_data(tmp_path, monkeypatch):
    _write_fashion(tmp_path / "mnist", gz=True)
    monkeypatch.setenv("GRADEKIT_DATA", str(tmp_path))
    assert data.load_dataset("mnist").x_train.shape == (6, 1, 28, 28)


def test_missing_files_name_the_files_and_the_folders(tmp_path, monkeypatch):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(DataError) as e:
        data.load_dataset("fashion-mnist", tmp_path)
    msg = str(e.value)
    assert "\n" not in msg
    assert "t10k-labels-idx1-ubyte" in msg and str(tmp_path / "FashionMNIST/raw") in msg and ".gz or raw" in msg
    monkeypatch.delenv("GRADEKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # not this machine's real cache
    with pytest.raises(DataError, match="--data-dir DIR or set GRADEKIT_DATA.*or add --download"):
        data.load_dataset("cifar10")
    with pytest.raises(DataError, match="unknown dataset 'imagenet'"):
        data.load_dataset("imagenet")


def _write_cifar(folder, n=4):
    folder.mkdir(parents=True, exist_ok=True)
    g = np.random.default_rng(1)
    batches = {}
    for name in data._CIFAR_FILES:
        batch = {b"data": g.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": list(g.integers(0, 10, n)), b"batch_label": name.encode()}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)  # the official files are pickled dicts with bytes keys
        batches[name] = batch
    return batches


def test_cifar10_python_batches(tmp_path):
    batches = _write_cifar(tmp_path / "cifar-10-batches-py")
    ds = data.load_dataset("cifar10", tmp_path)
    assert ds.x_train.shape == (20, 3, 32, 32) and ds.x_test.shape == (4, 3, 32, 32)
    first = batches["data_batch_1"][b"data"][0]
    # rows hold 1024 red, then green, then blue values, each image row-major
    np.testing.assert_array_equal(ds.x_train[0, 0].ravel(), first[:1024])
    np.testing.assert_array_equal(ds.x_train[0, 2, 31], first[3072 - 32 :])
    assert ds.y_test.tolist() == batches["test_batch"][b"labels"]
    assert ds.classes[0] == "airplane"


def test_mat_reader(tmp_path):
    from scipy.io import savemat

    savemat(tmp_path / "lms.mat", {"X": np.arange(6.0).reshape(3, 2), "y": np.array([[1.0], [2.0], [3.0]])})
    got = data.load_mat(tmp_path / "lms.mat")
    assert set(got) == {"X", "y"}
    np.testing.assert_array_equal(got["X"], [[0, 1], [2, 3], [4, 5]])
    with pytest.raises(DataError, match="no variable 'w'; the file holds X, y"):
        data.load_mat(tmp_path / "lms.mat", "w")
    with pytest.raises(DataError, match="no such .mat file"):
        data.load_mat(tmp_path / "nope.mat")


def test_digits_are_the_offline_default():
    ds = data.load_dataset("digits")
    assert ds.x_train.shape == (1438, 1, 8, 8) and ds.x_test.shape == (359, 1, 8, 8)
    assert ds.x_train.dtype == np.uint8 and ds.x_train.max() == 255
    again = data.load_digits()
    np.testing.assert_array_equal(again.y_test, ds.y_test)  # the split is seeded
    assert sorted(set(ds.y_train.tolist())) == list(range(10))


def test_default_data_dir_is_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADEKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data.resolve_data_dir(None) == tmp_path / "gradekit" / "data"
    monkeypatch.setenv("GRADEKIT_DATA", str(tmp_path / "d"))
    assert data.resolve_data_dir(None) == tmp_path / "d" and data.resolve_data_dir("x") == data.Path("x")


# --- --download, served from 127.0.0.1 -----------------------------------------------------


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    # any download a test forgets to point at its server fails at once on a closed port
    monkeypatch.setenv("GRADEKIT_DATA_URL", f"http://127.0.0.1:{_closed_port()}/")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """(base URL, folder it serves, list of paths requested)."""
    www, hits = tmp_path / "www", []
    www.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/", www, hits
    httpd.shutdown()
    httpd.server_close()


def _publish(monkeypatch, name, www, files, folder):
    """Swap the published MD5s for those of the files the test serves."""
    monkeypatch.setitem(data.REMOTES, name, data.Remote(("http://127.0.0.1:9/",), {f: data.md5sum(www / f) for f in files}, folder))


def _publish_fashion(monkeypatch, www):
    written = _write_fashion(www, gz=True)
    _publish(monkeypatch, "fashion-mnist", www, [n + ".gz" for n in written], "fashion-mnist")
    return written


def test_download_fetches_checks_and_skips_what_is_there(tmp_path, server, monkeypatch):
    url, www, hits = server
    written = _publish_fashion(monkeypatch, www)
    root, said = tmp_path / "data", []
    assert data.download("fashion-mnist", root, base_url=url, report=said.append) == root / "fashion-mnist"
    assert len(hits) == 4 and any("MD5 matches" in m for m in said)
    ds = data.load_dataset("fashion-mnist", root)
    np.testing.assert_array_equal(ds.x_test[:, 0], written["t10k-images-idx3-ubyte"])
    assert sorted(p.name for p in (root / "fashion-mnist").iterdir()) == sorted(n + ".gz" for n in written)  # no temp files

    said.clear()
    data.download("fashion-mnist", root, base_url=url, report=said.append)
    assert len(hits) == 4 and sum("not fetched" in m for m in said) == 4

    (root / "fashion-mnist" / "train-labels-idx1-ubyte.gz").write_bytes(b"damaged")
    data.download("fashion-mnist", root, base_url=url)
    assert hits[4:] == ["/train-labels-idx1-ubyte.gz"]
    assert data.load_dataset("fashion-mnist", root).y_train.tolist() == written["train-labels-idx1-ubyte"].tolist()


def test_download_checksum_mismatch_keeps_nothing(tmp_path, server, monkeypatch):
    url, www, _ = server
    _publish_fashion(monkeypatch, www)
    files = dict(data.REMOTES["fashion-mnist"].files, **{"t10k-images-idx3-ubyte.gz": "0" * 32})
    monkeypatch.setitem(data.REMOTES, "fashion-mnist", data.Remote((), files, "fashion-mnist"))
    with pytest.raises(DataError) as e:
        data.download("fashion-mnist", tmp_path, base_url=url)
    msg = str(e.value)
    assert "\n" not in msg and f"{url}t10k-images-idx3-ubyte.gz: MD5 is " in msg and "0" * 32 in msg
    assert not (tmp_path / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").exists()
    assert not any(p.name.endswith(".part") for p in (tmp_path / "fashion-mnist").iterdir())


def test_download_network_failures_are_one_line(tmp_path, server, monkeypatch):
    url, _, _ = server
    monkeypatch.setitem(data.REMOTES, "mnist", data.Remote((), {"train-images-idx3-ubyte.gz": "0" * 32}, "mnist"))
    with pytest.raises(DataError, match=rf"{url}train-images-idx3-ubyte.gz: HTTP 404") as e:
        data.download("mnist", tmp_path, base_url=url)  # the server has no such file
    assert "\n" not in str(e.value) and str(tmp_path / "mnist") in str(e.value)
    dead = f"http://127.0.0.1:{_closed_port()}/"
    with pytest.raises(DataError, match=rf"{dead}train-images-idx3-ubyte.gz: .*(refused|Errno)") as e:
        data.download("mnist", tmp_path, base_url=dead)
    assert "\n" not in str(e.value) and list((tmp_path / "mnist").iterdir()) == []


def _tar(path, members):
    """A .tar.gz of (TarInfo, bytes or None) pairs."""
    with tarfile.open(path, "w:gz") as tar:
        for info, payload in members:
            if payload is not None:
                info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload) if payload is not None else None)


def test_cifar10_download_extracts_the_archive(tmp_path, server, monkeypatch):
    url, www, hits = server
    batches = _write_cifar(tmp_path / "src" / "cifar-10-batches-py")
    with tarfile.open(www / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    _publish(monkeypatch, "cifar10", www, ["cifar-10-python.tar.gz"], "")
    monkeypatch.setenv("GRADEKIT_DATA_URL", url)  # the env var stands in for base_url
    root, said = tmp_path / "data", []
    data.download("cifar10", root, report=said.append)
    ds = data.load_dataset("cifar10", root)
    assert ds.y_test.tolist() == batches["test_batch"][b"labels"] and len(hits) == 1
    said.clear()
    data.download("cifar10", root, report=said.append)
    assert len(hits) == 1 and not any("extracting" in m for m in said)


def _info(name, kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


@pytest.mark.parametrize("bad,why", [
    (_info("../evil.txt"), "outside"),
    (_info("cifar-10-batches-py/../../evil.txt"), "outside"),
    (_info("/tmp/gradekit-evil.txt"), "outside"),
    (_info("cifar-10-batches-py/link", tarfile.SYMTYPE, "/etc/passwd"), "link or a device"),
    (_info("cifar-10-batches-py/hard", tarfile.LNKTYPE, "../../evil.txt"), "link or a device"),
])
def test_unsafe_tar_members_are_refused_before_anything_is_written(tmp_path, bad, why):
    archive = tmp_path / "a.tar.gz"
    payload = None if bad.type in (tarfile.SYMTYPE, tarfile.LNKTYPE) else b"x"
    _tar(archive, [(_info("cifar-10-batches-py/data_batch_1"), b"ok"), (bad, payload)])
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DataError, match=why) as e:
        data.extract_tar(archive, dest)
    assert repr(bad.name) in str(e.value) and "refused" in str(e.value)
    assert list(dest.iterdir()) == [] and not (tmp_path / "evil.txt").exists()


def test_download_refuses_an_unsafe_archive(tmp_path, server, monkeypatch):
    url, www, _ = server
    _tar(www / "cifar-10-python.tar.gz", [(_info("../evil.txt"), b"x")])
    _publish(monkeypatch, "cifar10", www, ["cifar-10-python.tar.gz"], "")
    with pytest.raises(DataError, match=r"member '\.\./evil\.txt' would be written outside"):
        data.download("cifar10", tmp_path / "data", base_url=url)
    assert not (tmp_path / "evil.txt").exists()


def test_digits_need_no_download():
    assert data.download("digits") is None
    with pytest.raises(DataError, match="unknown dataset 'svhn'"):
        data.download("svhn")
