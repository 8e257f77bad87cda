"""reference/data.py: tiny IDX / CIFAR / .mat files written here and read back; nothing is downloaded."""

from __future__ import annotations

import gzip
import pickle

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
    with pytest.raises(DataError, match="--data-dir DIR or set GRADEKIT_DATA"):
        data.load_dataset("cifar10")
    with pytest.raises(DataError, match="unknown dataset 'imagenet'"):
        data.load_dataset("imagenet")


def _write_cifar(folder, n=4):
    folder.mkdir(parents=True)
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
