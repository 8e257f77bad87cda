"""``gradekit train MODEL``: a thin shell over ``gradekit.reference.training.train``.

The main group (``gradekit.cli.commands``) imports this module only when ``gradekit train`` runs,
and torch is imported only inside the command, so ``gradekit check`` never pays for either.
"""

from __future__ import annotations

from pathlib import Path

import click

from gradekit.cli.shell import handles_errors

MODEL_NAMES = ("numpy-ann", "torch-ann", "fashion-cnn", "lenet5", "resnet18", "simple-nn")
DATASET_NAMES = ("digits", "fashion-mnist", "mnist", "cifar10")


@click.command("train")
@click.argument("model", type=click.Choice(MODEL_NAMES))
@click.option("--dataset", type=click.Choice(DATASET_NAMES), default="digits", show_default=True,
              help="digits is bundled with scikit-learn; the others read the official files from --data-dir.")
@click.option("--data-dir", type=click.Path(path_type=Path),
              help="Folder with the dataset files (default: $GRADEKIT_DATA, else ~/.cache/gradekit/data).")
@click.option("--download", is_flag=True,
              help="Fetch the dataset's official files into the data dir first, each checked against its published MD5; "
                   "files already there with the right MD5 are not fetched again.")
@click.option("--epochs", type=int, default=3, show_default=True)
@click.option("--batch-size", type=int, help="Default: the model's (64; 128 for resnet18).")
@click.option("--lr", type=float, help="Default: the model's (0.1 SGD for the ANNs, 1e-3 Adam for the CNNs).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--limit", type=int, help="Train on at most this many images (a quick look).")
@click.option("--augment", is_flag=True,
              help="Random crop (4-pixel reflect padding) and horizontal flip of each training batch, on the device. "
                   "Suits CIFAR-10; for digits add --no-flip (a mirrored digit is another shape).")
@click.option("--no-flip", is_flag=True, help="With --augment: crop only, no flips.")
@click.option("--label-smoothing", type=float, default=0.0, show_default=True,
              help="Label smoothing of the training loss (0.1 is usual); val/test loss stays plain cross-entropy.")
@click.option("--compile", "compile_model", is_flag=True,
              help="Run the model under torch.compile: faster epochs on CUDA after a slow first one; rarely worth it on a CPU.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Write metrics.json and curves.png here.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON instead of the table.")
@handles_errors  # torch missing (pip install gradekit without the code extra): one line naming the extra
def train(model, dataset, data_dir, download, epochs, batch_size, lr, device, seed, limit, augment, no_flip,
          label_smoothing, compile_model, out_dir, as_json) -> None:
    """Train a reference MODEL and report curves, test accuracy and throughput."""
    import json

    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn,
                               TimeElapsedColumn)

    from gradekit.cli.shell import fail
    from gradekit.core.errors import GradekitError
    from gradekit.reference.data import download as fetch
    from gradekit.reference.training import train as run_training
    from gradekit.reference.training import write_outputs

    console = Console(stderr=True)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False, disable=as_json)
    task: TaskID | None = None  # the current epoch's bar, made at its first batch
    epochs_done = 0

    def on_batch(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            task = progress.add_task(f"epoch {epochs_done + 1}/{epochs}", total=total)
        progress.update(task, completed=done)

    def on_epoch(epoch: int, m: dict) -> None:
        nonlocal task, epochs_done
        line = f"epoch {epoch + 1}/{epochs}  loss {m['train_loss']:.4f}  acc {m['train_acc']:.4f}"
        if "val_loss" in m:
            line += f"  val loss {m['val_loss']:.4f}  val acc {m['val_acc']:.4f}"
        if task is not None:
            progress.update(task, description=line)
        else:
            progress.console.print(line)
        task, epochs_done = None, epoch + 1

    if no_flip and not augment:
        raise click.UsageError("--no-flip only means something with --augment")
    try:
        if download:
            fetch(dataset, data_dir, report=None if as_json else console.print)
        with progress:
            result = run_training(model, dataset, data_dir=data_dir, epochs=epochs, batch_size=batch_size, lr=lr,
                                  device=device, seed=seed, train_limit=limit,
                                  augment=("crop" if no_flip else "crop+flip") if augment else "none",
                                  label_smoothing=label_smoothing, compile_model=compile_model,
                                  on_epoch=on_epoch, on_batch=on_batch)
    except GradekitError as e:
        fail(str(e), e.exit_code)
    written = write_outputs(result, out_dir) if out_dir else []
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    _table(Console(), result, written)


def _table(console, r, written) -> None:
    # one metric per row: readable in an 80-column terminal, device name included
    from rich.table import Table

    h = r.history
    last = lambda k: f"{h[k][-1]:.4f}" if h.get(k) else "-"  # noqa: E731
    t = Table(title=f"{r.model} on {r.dataset}: {r.epochs} epochs, batch {r.batch_size}, lr {r.lr:g}")
    t.add_column("metric")
    t.add_column("value", justify="right")
    rows = [
        ("train loss", last("train_loss")), ("train accuracy", last("train_acc")),
        ("val loss", last("val_loss")), ("val accuracy", last("val_acc")), ("test accuracy", f"{r.test_acc:.4f}"),
        ("wall time", f"{r.wall_s:.1f} s"), ("training images/s", f"{r.images_per_s:,.0f}"),
        ("images (train/val/test)", f"{r.n_train}/{r.n_val}/{r.n_test}"), ("parameters", f"{r.params:,}"),
        ("device", r.device_name),
    ]
    extras = [f"augment {r.augment}"] * (r.augment != "none") + [f"label smoothing {r.label_smoothing:g}"] * (r.label_smoothing > 0)
    extras += ["torch.compile"] * r.compile
    if extras:
        rows.append(("options", ", ".join(extras)))
    for name, value in rows:
        t.add_row(name, value)
    console.print(t)
    for p in written:
        console.print(f"wrote {p}")
