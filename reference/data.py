"""Datasets for reference training: IDX (Fashion-MNIST, MNIST), CIFAR-10 python batches, .mat, digits.

Every loader returns a :class:`Dataset` of uint8 images shaped (N, C, H, W)
and int64 labels; scaling, resizing and moving to a device happen in
``reference/training.py``, once, on the whole tensor.

The data dir is the ``data_dir`` argument (``--data-dir``) or ``$GRADEKIT_DATA``.
scikit-learn's bundled digits (1797 8×8 images, shipped inside the wheel) need
no files and are the offline default. Nothing here downloads: there is no
``--download`` yet; put the official files in the data dir.

>>> ds = load_dataset("digits")
>>> ds.x_train.shape, ds.x_test.shape, ds.x_train.dtype
((1438, 1, 8, 8), (359, 1, 8, 8), dtype('uint8'))
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradekit.errors import GradekitError

DATASETS = ("digits", "fashion-mnist", "mnist", "cifar10")

# IDX type byte → numpy dtype (big-endian on disk)
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# where the files usually sit under a data dir: flat, a named folder, torchvision's layout
_IDX_SUBDIRS = {"fashion-mnist": ("", "fashion-mnist", "FashionMNIST/raw"), "mnist": ("", "mnist", "MNIST/raw")}
_CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class DataError(GradekitError):
    """A dataset is missing or unreadable; the message names the files expected and where."""


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray  # uint8 (N, C, H, W)
    y_train: np.ndarray  # int64 (N,)
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path | None:
    """The argument, else ``$GRADEKIT_DATA``, else None."""
    if data_dir:
        return Path(data_dir)
    env = os.environ.get("GRADEKIT_DATA")
    return Path(env) if env else None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (``.gz`` or raw) into an array of its declared type and shape.

    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "x-idx1-ubyte"
    >>> write_idx(p, np.arange(3, dtype=np.uint8)); read_idx(p).tolist()
    [0, 1, 2]
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (the first bytes are {raw[:4]!r}, expected 00 00 <type> <ndim>)")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    body = raw[4 + 4 * ndim :]
    if len(body) != dtype.itemsize * int(np.prod(shape)):
        raise DataError(f"{path}: IDX header says shape {shape} but the file holds {len(body)} bytes of data; re-fetch it")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an IDX file (gzip-compressed when the name ends in ``.gz``); used by tests and fixtures."""
    array = np.asarray(array)
    code = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_DTYPES.items()}[array.dtype.newbyteorder("=")]
    data = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data += array.astype(np.dtype(_IDX_DTYPES[code])).tobytes()
    path = Path(path)
    with (gzip.open if path.suffix == ".gz" else open)(path, "wb") as f:
        f.write(data)


def _find(root: Path | None, dataset: str, subdirs: tuple[str, ...], names: tuple[str, ...], suffixes: tuple[str, ...]) -> list[Path]:
    """The path of every expected file, from the first folder that holds them all; else a DataError."""
    if root is None:
        raise DataError(f"{dataset}: no data dir; pass --data-dir DIR or set GRADEKIT_DATA to a folder holding {', '.join(names)}")
    tried = []
    for sub in subdirs:
        folder = root / sub
        tried.append(str(folder))
        found = [next((folder / (n + s) for s in suffixes if (folder / (n + s)).is_file()), None) for n in names]
        if all(found):
            return found  # type: ignore[return-value]
    forms = " or ".join(s or "raw" for s in suffixes)
    raise DataError(f"{dataset}: expected {', '.join(names)} ({forms}) in one of {', '.join(tried)}; put the official files there")


def load_idx_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Dataset:
    """Fashion-MNIST or MNIST from its four IDX files."""
    files = _find(resolve_data_dir(data_dir), name, _IDX_SUBDIRS[name], _IDX_FILES, (".gz", ""))
    xtr, ytr, xte, yte = (read_idx(p) for p in files)
    classes = FASHION_CLASSES if name == "fashion-mnist" else tuple(str(i) for i in range(10))
    return Dataset(name, xtr[:, None], ytr.astype(np.int64), xte[:, None], yte.astype(np.int64), classes)


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    # pickle runs code from the file it reads; it is used ONLY for the official
    # CIFAR-10 python batches the instructor puts in the data dir, never for
    # anything a student submits (submissions travel as JSON and .npy).
    import pickle

    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return x, np.asarray(batch[b"labels"], dtype=np.int64)


def load_cifar10(data_dir: str | os.PathLike | None = None) -> Dataset:
    """CIFAR-10 from ``cifar-10-batches-py`` (data_batch_1..5, test_batch)."""
    files = _find(resolve_data_dir(data_dir), "cifar10", ("", "cifar-10-batches-py"), _CIFAR_FILES, ("",))
    parts = [_read_cifar_batch(p) for p in files]
    xtr = np.concatenate([x for x, _ in parts[:-1]])
    ytr = np.concatenate([y for _, y in parts[:-1]])
    return Dataset("cifar10", xtr, ytr, parts[-1][0], parts[-1][1], CIFAR10_CLASSES)


def load_mat(path: str | os.PathLike, *keys: str) -> dict[str, np.ndarray]:
    """Arrays from a MATLAB ``.mat`` file (the LMS exercises' data), by key; all non-private keys when none given."""
    from scipy.io import loadmat  # scipy only when a .mat is read

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such .mat file; pass its path (relative to --data-dir or absolute)")
    mat = loadmat(path)
    wanted = keys or tuple(k for k in mat if not k.startswith("__"))
    missing = [k for k in wanted if k not in mat]
    if missing:
        raise DataError(f"{path}: no variable {missing[0]!r}; the file holds {', '.join(k for k in mat if not k.startswith('__'))}")
    return {k: np.asarray(mat[k]) for k in wanted}


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8×8 digits (values 0..16, rescaled to 0..255), split by a seeded permutation."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = np.round(d.images * (255 / 16)).astype(np.uint8)[:, None]
    y = d.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return Dataset("digits", x[train], y[train], x[test], y[test], tuple(str(i) for i in range(10)))


def load_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Dataset:
    """One of :data:`DATASETS` by name."""
    if name == "digits":
        return load_digits()
    if name in _IDX_SUBDIRS:
        return load_idx_dataset(name, data_dir)
    if name == "cifar10":
        return load_cifar10(data_dir)
    raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
