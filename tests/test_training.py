"""reference/training.py and `gradekit train`: every model trains on tiny digits and its loss falls."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from gradekit.cli import main
from gradekit.reference import training
from gradekit.reference.training import TrainError, fit_images

# (model, train images, epochs, batch): tiny, so the whole file stays a few seconds on 2 cores
CASES = [
    ("numpy-ann", 200, 3, 32),
    ("torch-ann", 200, 3, 32),
    ("fashion-cnn", 160, 3, 32),
    ("lenet5", 200, 3, 32),
    ("simple-nn", 200, 3, 32),
    ("resnet18", 32, 2, 16),
]


@pytest.mark.parametrize("model,n,epochs,batch", CASES, ids=[c[0] for c in CASES])
def test_each_model_trains_and_its_loss_falls(model, n, epochs, batch):
    lr = 3e-3 if model in ("lenet5", "simple-nn") else None
    r = training.train(model, "digits", epochs=epochs, batch_size=batch, lr=lr, device="cpu", train_limit=n, test_limit=40)
    h = r.history
    assert len(h["train_loss"]) == len(h["val_acc"]) == epochs
    assert h["train_loss"][-1] < h["train_loss"][0], h["train_loss"]
    assert all(np.isfinite(v) for v in h["train_loss"] + h["val_loss"])
    assert 0 <= r.test_acc <= 1 and r.n_test == 40 and r.n_train + r.n_val == n
    assert r.device == "cpu" and "CPU" in r.device_name and r.images_per_s > 0


def test_fit_images_adapts_the_data_to_the_model():
    x = np.full((2, 1, 8, 8), 255, dtype=np.uint8)
    t = fit_images(x, (3, 32, 32))
    assert t.shape == (2, 3, 32, 32) and t.dtype == torch.float32
    torch.testing.assert_close(t, torch.ones_like(t))
    rgb = np.zeros((1, 3, 32, 32), dtype=np.uint8)
    rgb[:, 0] = 255
    gray = fit_images(rgb, (1, 28, 28))
    assert gray.shape == (1, 1, 28, 28)
    torch.testing.assert_close(gray, torch.full_like(gray, 1 / 3))


def test_splits_are_normalised_with_the_training_statistics():
    ds = training.load_dataset("digits")
    tr, va, te = training.prepare(ds, (1, 28, 28), torch.device("cpu"), seed=0, train_limit=300)
    assert len(tr.x) == 270 and len(va.x) == 30 and len(te.x) == len(ds.x_test)
    assert abs(float(tr.x.mean())) < 1e-4 and abs(float(tr.x.std()) - 1) < 1e-3


def test_devices():
    assert training.pick_device("cpu").type == "cpu"
    assert training.pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(TrainError, match="torch.cuda.is_available\\(\\) is False"):
            training.pick_device("cuda")
    with pytest.raises(TrainError, match="unknown model 'vgg'"):
        training.train("vgg")


def test_cli_train_writes_metrics_and_curves(tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["train", "lenet5", "--epochs", "2", "--limit", "100", "--device", "cpu", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    saved = json.loads((out / "metrics.json").read_text())
    assert saved == printed
    assert saved["model"] == "lenet5" and saved["params"] == 62006 and len(saved["history"]["val_acc"]) == 2
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_train_table_and_errors(tmp_path):
    res = CliRunner().invoke(main, ["train", "torch-ann", "--epochs", "1", "--limit", "100"])
    assert res.exit_code == 0, res.output
    assert "test accuracy" in res.output and "device" in res.output and "CPU" in res.output
    res = CliRunner().invoke(main, ["train", "lenet5", "--dataset", "cifar10", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2 and "data_batch_1" in res.output and "\n" not in res.output.strip()
