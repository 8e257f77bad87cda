"""reference/training.py and `gradekit train`: every model trains on tiny digits and its loss falls."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.reference import training
from gradekit.reference.training import TrainError, augment, crop_flip, fit_images

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


# --- opt-in tricks: augmentation, label smoothing, torch.compile ---------------------------


def test_augment_keeps_shape_dtype_device_and_follows_the_seed():
    x = torch.randn(16, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    a = augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and a.dtype == x.dtype and a.device == x.device
    torch.testing.assert_close(a, augment(x, torch.Generator().manual_seed(1)))
    assert not torch.equal(a, augment(x, torch.Generator().manual_seed(2)))
    changed = (a != x).flatten(1).any(1)
    assert changed.sum() >= 14  # 1 in 162 images keeps the centre crop and no flip
    cl = x.contiguous(memory_format=torch.channels_last)
    assert augment(cl, torch.Generator().manual_seed(1)).is_contiguous(memory_format=torch.channels_last)


def test_crop_flip_moves_and_mirrors_pixels():
    x = torch.randn(2, 3, 8, 8)
    centre = torch.full((2, 2), 4)
    torch.testing.assert_close(crop_flip(x, centre, None), x)  # offset = pad: the original
    torch.testing.assert_close(crop_flip(x, centre, torch.tensor([True, False])), torch.stack([x[0].flip(2), x[1]]))
    shifted = crop_flip(x, torch.zeros(2, 2, dtype=torch.long), None)  # 4 px down and right
    torch.testing.assert_close(shifted[..., 4:, 4:], x[..., :4, :4])
    torch.testing.assert_close(shifted[..., 4, 3], x[..., 0, 1])  # the border is the reflection, not zeros


def test_label_smoothing_is_cross_entropys():
    torch.manual_seed(0)
    net = training.MODELS["torch-ann"].build(10, 0)
    data = training.Split(torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,)))
    opt = torch.optim.SGD(net.parameters(), lr=0.0)  # weights stay put: the epoch's loss is one full-batch loss
    with torch.no_grad():
        logp = net(data.x).log_softmax(1)
    plain = float(F.nll_loss(logp, data.y))
    eps = 0.2
    # (1 - ε)·CE to the label + ε·CE to the uniform distribution, as F.cross_entropy defines it
    want = (1 - eps) * plain + eps * float(-logp.mean(1).mean())
    loss, _ = training.train_epoch(net, opt, data, 32, torch.Generator().manual_seed(0), label_smoothing=eps)
    assert loss == pytest.approx(want, rel=1e-5) and loss != pytest.approx(plain, rel=1e-3)
    assert training.train_epoch(net, opt, data, 32, torch.Generator())[0] == pytest.approx(plain, rel=1e-5)


def test_compile_wraps_the_same_model(monkeypatch):
    # a real torch.compile costs ~17 s on this CPU for one tiny epoch; the test checks the plumbing
    seen = []
    monkeypatch.setattr(torch, "compile", lambda m, **kw: seen.append(m) or m)
    r = training.train("torch-ann", epochs=1, device="cpu", train_limit=64, test_limit=16, compile_model=True)
    assert len(seen) == 1 and type(seen[0]) is type(training.MODELS["torch-ann"].build(10, 0)) and r.compile
    training.train("torch-ann", epochs=1, device="cpu", train_limit=64, test_limit=16)
    assert len(seen) == 1  # off by default


def test_trick_options_are_checked():
    with pytest.raises(TrainError, match="--label-smoothing 1.0: must be in \\[0, 1\\)"):
        training.train("torch-ann", label_smoothing=1.0)
    with pytest.raises(TrainError, match="augment='rotate'"):
        training.train("torch-ann", augment="rotate")
    with pytest.raises(TrainError, match="numpy-ann trains with NumPy"):
        training.train("numpy-ann", augment="crop")


def test_cli_tricks_are_recorded_in_metrics(tmp_path):
    out = tmp_path / "run"
    args = ["train", "lenet5", "--epochs", "1", "--limit", "100", "--device", "cpu", "--augment", "--label-smoothing", "0.1",
            "--out", str(out), "--json"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    saved = json.loads((out / "metrics.json").read_text())
    assert (saved["augment"], saved["label_smoothing"], saved["compile"], saved["seed"]) == ("crop+flip", 0.1, False, 0)
    res = CliRunner().invoke(main, ["train", "torch-ann", "--epochs", "1", "--limit", "100", "--augment", "--no-flip"])
    assert res.exit_code == 0 and "augment crop" in res.output and "crop+flip" not in res.output
    res = CliRunner().invoke(main, ["train", "torch-ann", "--no-flip"])
    assert res.exit_code == 2 and "--no-flip only means something with --augment" in res.output


def test_cli_download_then_train(tmp_path, monkeypatch):
    import functools
    import http.server
    import threading

    from gradekit.reference import data
    from tests.catalog.test_data import _write_fashion

    www = tmp_path / "www"
    written = _write_fashion(www, gz=True, n_train=20)
    files = {n + ".gz": data.md5sum(www / (n + ".gz")) for n in written}
    monkeypatch.setitem(data.REMOTES, "fashion-mnist", data.Remote(("http://127.0.0.1:9/",), files, "fashion-mnist"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("GRADEKIT_DATA_URL", f"http://127.0.0.1:{httpd.server_port}/")
    try:
        args = ["train", "torch-ann", "--dataset", "fashion-mnist", "--download", "--data-dir", str(tmp_path / "d"), "--epochs", "1"]
        res = CliRunner().invoke(main, args)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert res.exit_code == 0, res.output
    assert "MD5 matches" in res.output and "test accuracy" in res.output
    assert (tmp_path / "d" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").is_file()
