"""Training throughput: the tutorial loop against gradekit's loop, same model, same device, one run.

tutorial : a TensorDataset on the host, DataLoader(batch 64, shuffle), each batch
           copied to the device, fp32, the default (for-each) optimizer, loss.item()
           every step as tutorials print a running loss.
gradekit : ``reference.training.train_epoch``: the data already on the device,
           randperm + index slicing, bf16 autocast, channels_last and the fused
           optimizer on CUDA, one host sync per epoch. ``--augment`` adds the
           on-device crop+flip and ``--compile`` torch.compile to this loop only,
           to price them (compilation falls in the untimed warm-up epoch).

Throughput uses random images of each model's input shape (the time does not
depend on the pixels); accuracy is real: each model trained by ``gradekit train``
on scikit-learn's digits (and on Fashion-MNIST for fashion-cnn when its files are
in $GRADEKIT_DATA or --data-dir). Every figure is printed beside the device name.

    python benchmarks/train_bench.py                       # CPU-sized defaults
    python benchmarks/train_bench.py --device cuda --n 60000 --epochs 3
    python benchmarks/train_bench.py --device cuda --augment --compile
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from gradekit.reference import training
from gradekit.reference.data import DataError

MODELS = ("fashion-cnn", "lenet5", "resnet18")


def synthetic(model: str, n: int, device: torch.device, seed: int = 0) -> training.Split:
    c, h, w = training.MODELS[model].input_shape
    g = np.random.default_rng(seed)
    x = training.fit_images(g.integers(0, 256, (n, c, h, w), dtype=np.uint8), (c, h, w))
    x = (x - x.mean()) / x.std()
    return training.Split(x.to(device), torch.from_numpy(g.integers(0, 10, n)).to(device))


def tutorial_epoch(net, opt, x_host: torch.Tensor, y_host: torch.Tensor, device: torch.device) -> None:
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_host, y_host), batch_size=64, shuffle=True)
    net.train()
    running = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        opt.zero_grad()
        loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
        running += loss.item()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_interleaved(runs: list, epochs: int, device: torch.device) -> list[float]:
    """Median seconds per epoch of each run; epochs alternate between the runs so that a
    shared machine's changing load falls on both loops alike."""
    for run in runs:
        run()  # warm-up: allocator, cuDNN autotuning, first-touch page faults
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(epochs):
        for run, ts in zip(runs, times):
            _sync(device)
            t = time.perf_counter()
            run()
            _sync(device)
            ts.append(time.perf_counter() - t)
    return [statistics.median(ts) for ts in times]


def throughput(model: str, n: int, epochs: int, batch: int | None, device: torch.device,
               augment: str = "none", compile_model: bool = False) -> list[tuple]:
    spec = training.MODELS[model]
    data = synthetic(model, n, device)
    # tutorial: a fresh model, fp32, contiguous, host-resident data
    torch.manual_seed(0)
    tut = spec.build(10, 0).to(device)
    params = tut.parameters()
    tut_opt = torch.optim.Adam(params, lr=spec.lr) if spec.optimizer == "adam" else torch.optim.SGD(params, lr=spec.lr)
    x_host, y_host = data.x.cpu(), data.y.cpu()
    # gradekit: the same model class, device-resident data, the CUDA extras when on CUDA
    torch.manual_seed(0)
    net, (data,), run = training.place(spec.build(10, 0), (data,), device, compile_model)
    opt = training.make_optimizer(net, spec.optimizer, spec.lr, device)
    gen = torch.Generator().manual_seed(0)
    bs = batch or spec.batch_size
    t_tut, t_gk = time_interleaved(
        [lambda: tutorial_epoch(tut, tut_opt, x_host, y_host, device),
         lambda: training.train_epoch(run, opt, data, bs, gen, augment=augment)],
        epochs, device,
    )
    return [("tutorial", 64, t_tut), ("gradekit", bs, t_gk)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--n", type=int, default=2048, help="images per epoch (60000 is Fashion-MNIST's train set)")
    ap.add_argument("--resnet-n", type=int, default=256, help="images per epoch for resnet18 (slow on a CPU)")
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs per loop after one warm-up; the median is printed")
    ap.add_argument("--batch", type=int, help="gradekit loop batch size (default: the model's)")
    ap.add_argument("--acc-epochs", type=int, default=3, help="epochs of the real-data accuracy runs (0: skip)")
    ap.add_argument("--data-dir")
    ap.add_argument("--augment", action="store_true", help="gradekit loop: on-device random crop + flip")
    ap.add_argument("--compile", action="store_true", help="gradekit loop: torch.compile (slow warm-up on a CPU)")
    args = ap.parse_args()
    augment = "crop+flip" if args.augment else "none"

    device = training.pick_device(args.device)
    name = training.device_name(device)
    extras = " ".join(f for f, on in (("augment", args.augment), ("compile", args.compile)) if on)
    print(f"device: {name}   torch {torch.__version__}" + (f"   gradekit loop with: {extras}" if extras else ""))
    print(f"{'model':12} {'loop':9} {'batch':>5} {'images':>7} {'s/epoch':>9} {'images/s':>10} {'ratio':>6}  device")
    for model in args.models.split(","):
        n = args.resnet_n if model == "resnet18" else args.n
        rows = throughput(model, n, args.epochs, args.batch, device, augment, args.compile)
        base = rows[0][2]
        for loop, bs, s in rows:
            print(f"{model:12} {loop:9} {bs:>5} {n:>7} {s:>9.3f} {n / s:>10,.0f} {base / s:>5.2f}x  {name}")
    if args.acc_epochs <= 0:
        return
    print(f"\nreal-data accuracy (gradekit train, {args.acc_epochs} epochs, default hyper-parameters)")
    print(f"{'model':12} {'dataset':14} {'test acc':>8} {'wall s':>7} {'images/s':>10}  device")
    runs = [(m, "digits") for m in args.models.split(",")]
    runs.append(("fashion-cnn", "fashion-mnist"))
    for model, dataset in runs:
        try:
            r = training.train(model, dataset, data_dir=args.data_dir, epochs=args.acc_epochs, device=args.device)
        except DataError as e:
            print(f"{model:12} {dataset:14} skipped: {e}")
            continue
        print(f"{model:12} {dataset:14} {r.test_acc:>8.4f} {r.wall_s:>7.1f} {r.images_per_s:>10,.0f}  {r.device_name}")


if __name__ == "__main__":
    main()
