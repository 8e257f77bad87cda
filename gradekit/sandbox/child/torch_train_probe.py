# Appended, after torch_probe (whose _gk_failure it uses), to a student's ece449-a2 task2/task3 file; runs in
# the boxed child. Same rules as torch_probe: no `from __future__`, no relative imports, no module-level torch
# import, every name starts with `_gk_`.
"""Run a student's training function on a network built here, and send back plain arrays.

``_gk_train_torch`` hands ``train_torch`` task 1's 3-2-1 network with the
parent's initial weights and returns the trained weights; ``_gk_train_cnn``
hands ``train_cnn`` a seeded LeNet-5 and returns its predictions on images
whose labels stay in the parent. Both also return the losses the function
returned, as floats, or a line saying why they cannot be read. When the
student's function fails, the reply is one line (a str) naming it.

>>> W, K = numpy.ones((2, 3)), numpy.ones(2)                       # doctest: +SKIP
>>> _gk_train_torch(X, y, W, K, 0.1, 3, 5)                         # doctest: +SKIP
(array(2×3), array(2,), array([0.41, 0.22, 0.19]))
"""


def _gk_student(name):
    import sys

    target = getattr(sys.modules[__name__], name, None)
    return target if callable(target) else None


def _gk_losses(value, n):
    """The returned losses as float64 (n,), or a str saying what came back instead."""
    import numbers

    import numpy
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().double().reshape(-1).tolist()
    elif isinstance(value, numpy.ndarray):
        value = value.reshape(-1).tolist()
    if not isinstance(value, (list, tuple)):
        what = "None" if value is None else "a " + type(value).__name__
        return "returned %s, expected a list of the %d per-epoch losses" % (what, n)
    out = []
    for v in value:
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = v.item()
        elif isinstance(v, numpy.ndarray) and v.size == 1:
            v = v.item()
        if not isinstance(v, numbers.Real):
            return "returned a list holding a %s, expected %d numbers (per-epoch losses)" % (type(v).__name__, n)
        out.append(float(v))
    return numpy.array(out, dtype=numpy.float64)


def _gk_run(name, make_args):
    """``name(*make_args())``, or the str a failure becomes; NotImplementedError goes to the harness as is."""
    fn = _gk_student(name)
    if fn is None:
        return None, "the file defines no function %s" % name
    try:
        return fn(*make_args()), None
    except NotImplementedError:
        raise
    except BaseException as e:  # noqa: B036 - SystemExit from student code is a failure like any other
        if isinstance(e, KeyboardInterrupt):
            raise
        return None, _gk_failure(name, e)["error"]  # noqa: F821 - defined by torch_probe, appended before


def _gk_train_torch(X, y, W, K, lr, num_epochs, batch_size):
    """Train task 1's network from (W, K); returns (W, K, losses) after training, or a str on failure."""
    import numpy
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False), torch.nn.ReLU(), torch.nn.Linear(2, 1, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(numpy.asarray(W, dtype=numpy.float32)))
        model[2].weight.copy_(torch.from_numpy(numpy.asarray(K, dtype=numpy.float32)).reshape(1, 2))
    Xt = torch.from_numpy(numpy.asarray(X, dtype=numpy.float32))
    yt = torch.from_numpy(numpy.asarray(y, dtype=numpy.float32))
    value, failed = _gk_run("train_torch", lambda: (model, Xt, yt, float(lr), int(num_epochs), int(batch_size)))
    if failed:
        return failed
    return (model[0].weight.detach().double().numpy(), model[2].weight.detach().double().numpy().reshape(2),
            _gk_losses(value, int(num_epochs)))


def _gk_lenet5():
    """LeNet-5 for 3×32×32 images and 10 classes (the reference LeNet5's layers; a test holds them equal)."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def _gk_train_cnn(X_train, y_train, X_test, num_epochs, batch_size, lr, seed):
    """Train a seeded LeNet-5; returns (predicted classes of X_test, losses), or a str on failure."""
    import numpy
    import torch

    torch.manual_seed(int(seed))  # the initial weights and any shuffling the student draws
    model = _gk_lenet5()
    Xt = torch.from_numpy(numpy.asarray(X_train, dtype=numpy.float32))
    yt = torch.from_numpy(numpy.asarray(y_train, dtype=numpy.int64))
    value, failed = _gk_run("train_cnn", lambda: (model, Xt, yt, int(num_epochs), int(batch_size), float(lr)))
    if failed:
        return failed
    test = torch.from_numpy(numpy.asarray(X_test, dtype=numpy.float32))
    try:
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(test[i:i + 512]).argmax(1) for i in range(0, len(test), 512)])
    except Exception as e:  # the student's function may have moved or changed the model
        return _gk_failure("the model after train_cnn", e)["error"]  # noqa: F821
    return pred.numpy().astype(numpy.int64), _gk_losses(value, int(num_epochs))
