"""Reference training: the seed models on a dataset, fast on a GPU, first-class on a CPU.

The loop keeps the whole dataset on the device as one tensor (scaled,
resized and normalised once), draws each epoch's order with ``randperm`` and
slices batches by index: no DataLoader, no worker processes, no host→device
copy per batch. On CUDA it adds channels_last memory, bf16 autocast and the
fused optimizer kernels; the model definition is the same object as on the CPU.

Opt-in, on any device: ``augment`` (random crop from a 4-pixel reflect-padded
image, plus a horizontal flip for ``"crop+flip"``, done on the device-resident
batch by one gather), ``label_smoothing`` (``F.cross_entropy``'s, training loss
only) and ``compile_model`` (``torch.compile``; pays off on CUDA).

>>> r = train("fashion-cnn", epochs=1, train_limit=64, test_limit=32)   # doctest: +SKIP
>>> r.test_acc, r.device_name                                           # doctest: +SKIP
(0.31, 'CPU (2 threads)')
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gradekit.core.errors import GradekitError

from . import models
from .data import Dataset, load_dataset
from .numpy_ann import NumpyANN


AUGMENTS = ("none", "crop", "crop+flip")
PAD = 4  # pixels of padding for the random crop, as in the usual CIFAR-10 recipe


class TrainError(GradekitError):
    """A training request that cannot run (unknown model, no CUDA, bad size)."""


@dataclass(frozen=True)
class ModelSpec:
    """How one model is built and trained by default; ``input_shape`` is what the data is fitted to."""

    build: Callable[[int, int], object]  # (num_classes, seed) -> model
    input_shape: tuple[int, int, int]
    optimizer: str  # "sgd" | "adam"
    lr: float
    batch_size: int
    assignment: str


MODELS: dict[str, ModelSpec] = {
    "numpy-ann": ModelSpec(lambda k, s: NumpyANN(784, 128, k, lr=0.1, seed=s), (1, 28, 28), "sgd", 0.1, 64, "cs37300-hw4 §1"),
    "torch-ann": ModelSpec(lambda k, s: models.PyTorchANN(784, 128, k, seed=s), (1, 28, 28), "sgd", 0.1, 64, "cs37300-hw4 §2"),
    "fashion-cnn": ModelSpec(lambda k, s: models.PyTorchCNN(k), (1, 28, 28), "adam", 1e-3, 64, "cs37300-hw4 §3"),
    "lenet5": ModelSpec(lambda k, s: models.LeNet5(3, k), (3, 32, 32), "adam", 1e-3, 64, "ece449-a2, coms573-hw5"),
    "resnet18": ModelSpec(lambda k, s: models.ResNet18(3, k), (3, 32, 32), "adam", 1e-3, 128, "ece449-a2 task 4"),
    "simple-nn": ModelSpec(lambda k, s: models.SimpleNN(3, k), (3, 32, 32), "adam", 1e-3, 64, "ece661-hw1 lab 2"),
}


@dataclass
class TrainResult:
    model: str
    dataset: str
    device: str
    device_name: str
    epochs: int
    batch_size: int
    lr: float
    params: int
    n_train: int
    n_val: int
    n_test: int
    seed: int = 0
    augment: str = "none"  # one of AUGMENTS
    label_smoothing: float = 0.0  # in the training loss only; val/test loss is plain cross-entropy
    compile: bool = False  # whether the model ran under torch.compile
    history: dict[str, list[float]] = field(default_factory=dict)  # train/val loss and accuracy per epoch
    test_acc: float = 0.0
    train_s: float = 0.0  # the epochs' training steps only
    wall_s: float = 0.0  # everything: data preparation, training, evaluation
    images_per_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` → CUDA when present, else CPU; ``cuda`` without a GPU is an error, not a silent fallback."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise TrainError("--device cuda: torch.cuda.is_available() is False on this machine; use --device cpu or auto")
    if device not in ("cpu", "cuda"):
        raise TrainError(f"--device {device!r}: choose auto, cpu or cuda")
    return torch.device(device)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU {platform.machine()} ({torch.get_num_threads()} threads)"


def fit_images(x: np.ndarray, shape: tuple[int, int, int]) -> torch.Tensor:
    """uint8 (N, C, H, W) → float32 (N, *shape) in [0, 1]: channels repeated or averaged, size interpolated.

    Digits are 8×8 and Fashion-MNIST 28×28, but each assignment fixes its
    model's input; the data is fitted to the model, never the model to the data.
    """
    t = torch.from_numpy(np.ascontiguousarray(x)).float().div_(255)
    c, h, w = shape
    if t.shape[1] != c:
        t = t.mean(1, keepdim=True).expand(-1, c, -1, -1) if c > 1 else t.mean(1, keepdim=True)
    if t.shape[2:] != (h, w):
        t = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=t.shape[2] > h)
    return t.contiguous()


@dataclass
class Split:
    x: torch.Tensor
    y: torch.Tensor


def prepare(ds: Dataset, shape, device: torch.device, seed: int, val_fraction: float = 0.1, train_limit=None, test_limit=None):
    """Train/val/test tensors on ``device``, normalised with the training split's per-channel mean and std."""
    g = np.random.default_rng(seed)
    order = g.permutation(len(ds.x_train))
    if train_limit:
        order = order[:train_limit]
    n_val = min(5000, max(1, int(round(len(order) * val_fraction))))
    xtr, xte = fit_images(ds.x_train[order], shape), fit_images(ds.x_test[:test_limit], shape)
    ytr, yte = torch.from_numpy(ds.y_train[order]), torch.from_numpy(ds.y_test[:test_limit])
    mean, std = xtr[n_val:].mean((0, 2, 3), keepdim=True), xtr[n_val:].std((0, 2, 3), keepdim=True).clamp_min(1e-6)
    norm = lambda t: ((t - mean) / std).to(device)  # noqa: E731
    return Split(norm(xtr[n_val:]), ytr[n_val:].to(device)), Split(norm(xtr[:n_val]), ytr[:n_val].to(device)), Split(norm(xte), yte.to(device))


def place(net: nn.Module, splits, device: torch.device, compile_model: bool = False):
    """``(net, splits, run)`` ready to train on ``device``: channels_last images and weights on CUDA, the model
    moved, and ``run`` the model itself or its torch.compile wrapper (which shares the model's parameters, so the
    optimizer and the definition stay the same)."""
    if device.type == "cuda" and splits[0].x.ndim == 4:
        net = net.to(memory_format=torch.channels_last)
        splits = tuple(Split(s.x.contiguous(memory_format=torch.channels_last), s.y) for s in splits)
    net = net.to(device)
    return net, tuple(splits), torch.compile(net) if compile_model else net


def make_optimizer(model: nn.Module, kind: str, lr: float, device: torch.device) -> torch.optim.Optimizer:
    # fused kernels update every parameter in one launch; CUDA only
    fused = {"fused": True} if device.type == "cuda" else {}
    if kind == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, **fused)
    return torch.optim.SGD(model.parameters(), lr=lr, **fused)


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, batch_size: int = 1024) -> tuple[float, float]:
    """Mean cross-entropy and accuracy, summed on the device and read back once."""
    model.eval()
    loss, correct = torch.zeros((), device=split.x.device), torch.zeros((), device=split.x.device)
    with _autocast(split.x.device):
        for i in range(0, len(split.x), batch_size):
            out = model(split.x[i : i + batch_size]).float()
            yb = split.y[i : i + batch_size]
            loss += F.cross_entropy(out, yb, reduction="sum")
            correct += (out.argmax(1) == yb).sum()
    n = max(1, len(split.x))
    return float(loss) / n, float(correct) / n


def draw_augment(n: int, gen: torch.Generator, flip: bool = True, device="cpu", pad: int = PAD):
    """Per-image crop offsets (n, 2) in [0, 2·pad] and flip flags (n,) (None without flips), drawn on the CPU
    generator and moved to ``device`` once, so the batches need no host→device copy of their own."""
    offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=gen)
    flips = torch.rand(n, generator=gen) < 0.5 if flip else None
    return offsets.to(device), None if flips is None else flips.to(device)


def crop_flip(x: torch.Tensor, offsets: torch.Tensor, flips: torch.Tensor | None, pad: int = PAD) -> torch.Tensor:
    """Each image cut at its (dy, dx) from a reflect-padded copy, mirrored where ``flips``; shape, dtype, device kept.

    The crop and the flip are one index gather: a flip just reverses an image's column indices.

    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> crop_flip(x, torch.tensor([[1, 1]]), torch.tensor([True]), pad=1)[0, 0, 0].tolist()
    [3.0, 2.0, 1.0, 0.0]
    """
    n, c, h, w = x.shape
    dev = x.device
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")  # reflect: no black border for the model to learn
    rows = offsets[:, :1] + torch.arange(h, device=dev)  # (n, h)
    cols = offsets[:, 1:] + torch.arange(w, device=dev)  # (n, w)
    if flips is not None:
        cols = torch.where(flips[:, None], cols.flip(1), cols)
    out = padded[torch.arange(n, device=dev)[:, None, None, None], torch.arange(c, device=dev)[None, :, None, None],
                 rows[:, None, :, None], cols[:, None, None, :]]
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        out = out.contiguous(memory_format=torch.channels_last)
    return out


def augment(x: torch.Tensor, gen: torch.Generator, flip: bool = True, pad: int = PAD) -> torch.Tensor:
    """A random crop (and flip) of every image in ``x``, drawn from ``gen``."""
    return crop_flip(x, *draw_augment(len(x), gen, flip, x.device, pad), pad=pad)


def _autocast(device: torch.device):
    # bf16 keeps fp32's exponent range: no loss scaling needed, unlike fp16
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)


def train_epoch(model, opt, data: Split, batch_size: int, gen: torch.Generator, on_batch=None, *,
                augment: str = "none", label_smoothing: float = 0.0) -> tuple[float, float]:
    """One pass in a random order; returns the running (loss, accuracy) over the epoch."""
    model.train()
    n, device = len(data.x), data.x.device
    perm = torch.randperm(n, generator=gen).to(device)
    if augment != "none":
        offsets, flips = draw_augment(n, gen, augment == "crop+flip", device)
    loss_sum, correct = torch.zeros((), device=device), torch.zeros((), device=device)
    n_batches = (n + batch_size - 1) // batch_size
    for b, i in enumerate(range(0, n, batch_size)):
        idx = perm[i : i + batch_size]
        if len(idx) < 2 and b > 0:  # BatchNorm cannot train on one sample
            break
        xb, yb = data.x[idx], data.y[idx]
        if augment != "none":
            xb = crop_flip(xb, offsets[i : i + batch_size], None if flips is None else flips[i : i + batch_size])
        with _autocast(device):
            out = model(xb)
            loss = F.cross_entropy(out.float(), yb, label_smoothing=label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        # accumulate on the device: no host sync inside the epoch
        loss_sum += loss.detach() * len(idx)
        correct += (out.argmax(1) == yb).sum()
        if on_batch is not None:
            on_batch(b + 1, n_batches)
    return float(loss_sum) / n, float(correct) / n


def train(
    model: str,
    dataset: str = "digits",
    *,
    data_dir=None,
    epochs: int = 3,
    batch_size: int | None = None,
    lr: float | None = None,
    device: str = "auto",
    seed: int = 0,
    train_limit: int | None = None,
    test_limit: int | None = None,
    augment: str = "none",
    label_smoothing: float = 0.0,
    compile_model: bool = False,
    on_epoch: Callable[[int, dict], None] | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> TrainResult:
    """Train one of :data:`MODELS` and report its curves, test accuracy and throughput."""
    if model not in MODELS:
        raise TrainError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if epochs < 1:
        raise TrainError(f"--epochs {epochs}: must be at least 1")
    if augment not in AUGMENTS:
        raise TrainError(f"augment={augment!r}: choose one of {', '.join(AUGMENTS)}")
    if not 0.0 <= label_smoothing < 1.0:
        raise TrainError(f"--label-smoothing {label_smoothing}: must be in [0, 1); 0.1 is the usual value")
    if model == "numpy-ann" and (augment != "none" or label_smoothing or compile_model):
        raise TrainError("numpy-ann trains with NumPy: --augment, --label-smoothing and --compile are for the torch models")
    t0 = time.perf_counter()
    spec = MODELS[model]
    batch_size, lr = batch_size or spec.batch_size, lr or spec.lr
    dev = torch.device("cpu") if model == "numpy-ann" else pick_device(device)
    torch.manual_seed(seed)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    ds = load_dataset(dataset, data_dir)
    tr, va, te = prepare(ds, spec.input_shape, dev, seed, train_limit=train_limit, test_limit=test_limit)
    net = spec.build(len(ds.classes), seed)
    history: dict[str, list[float]] = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc")}
    if isinstance(net, NumpyANN):
        net.lr = lr
        params = sum(a.size for a in (net.W1, net.b1, net.W2, net.b2))
        t1 = time.perf_counter()
        flat = lambda s: s.x.reshape(len(s.x), -1).numpy().astype(np.float64)  # noqa: E731
        history = net.train(flat(tr), tr.y.numpy(), flat(va), va.y.numpy(), epochs=epochs, batch_size=batch_size, on_epoch=on_epoch)
        train_s = time.perf_counter() - t1
        test_acc = net.accuracy(flat(te), te.y.numpy())
        name = "NumPy on " + device_name(dev)
    else:
        net, (tr, va, te), run = place(net, (tr, va, te), dev, compile_model)
        params = models.count_params(net)
        opt = make_optimizer(net, spec.optimizer, lr, dev)
        gen = torch.Generator().manual_seed(seed)
        train_s = 0.0
        for epoch in range(epochs):
            t1 = time.perf_counter()
            # float() inside syncs the device; with --compile, epoch 1 includes the compilation
            loss, acc = train_epoch(run, opt, tr, batch_size, gen, on_batch, augment=augment, label_smoothing=label_smoothing)
            train_s += time.perf_counter() - t1
            vloss, vacc = evaluate(run, va)
            for k, v in zip(history, (loss, acc, vloss, vacc)):
                history[k].append(v)
            if on_epoch is not None:
                on_epoch(epoch, {k: v[-1] for k, v in history.items()})
        test_acc = evaluate(run, te)[1]
        name = device_name(dev)
    return TrainResult(
        model=model, dataset=dataset, device=dev.type, device_name=name, epochs=epochs, batch_size=batch_size, lr=lr,
        params=int(params), n_train=len(tr.x), n_val=len(va.x), n_test=len(te.x), seed=seed, augment=augment,
        label_smoothing=float(label_smoothing), compile=bool(compile_model), history=history,
        test_acc=float(test_acc), train_s=train_s, wall_s=time.perf_counter() - t0,
        images_per_s=len(tr.x) * epochs / max(train_s, 1e-9),
    )


def plot_curves(result: TrainResult, path) -> None:
    """Loss and accuracy, train vs validation, side by side (what the cs37300 handout asks students to plot)."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never a window
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    h = result.history
    epochs = range(1, len(h["train_loss"]) + 1)
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for i, metric in enumerate(("loss", "acc")):
        ax[i].plot(epochs, h[f"train_{metric}"], "o-", label="train")
        if h[f"val_{metric}"]:
            ax[i].plot(epochs, h[f"val_{metric}"], "o-", label="validation")
        ax[i].set_xlabel("epoch")
        ax[i].xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax[i].set_ylabel("loss" if metric == "loss" else "accuracy")
        ax[i].legend()
    fig.suptitle(f"{result.model} on {result.dataset} ({result.device_name})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_outputs(result: TrainResult, out_dir) -> list:
    """``metrics.json`` and ``curves.png`` in ``out_dir`` (created); returns their paths."""
    import json
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    plot_curves(result, out / "curves.png")
    return [out / "metrics.json", out / "curves.png"]
