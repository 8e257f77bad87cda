# Appended, after torch_probe (whose _gk_failure it uses), to a student's ece449-a2 task2/task3 file; runs in
# the boxed child. Same rules as torch_probe: no `from __future__`, no relative imports, no module-level torch
# import, every name starts with `_gk_`.
"""Run a student's training function on a network built here, and send back plain arrays.

``_gk_train_torch`` hands ``train_torch`` task 1's 3-2-1 network with the
parent's initial weights, as the template's run notebook does, and returns the trained weights and the
weight lists it returned; ``_gk_train_cnn``
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


def _gk_weight_lists(value, model, n):
    """task 2's (W_list, K_list) as float64 arrays (n, 2, 3) and (n, 2) with a flag array [aliased], or a str.

    aliased: every entry is a view of the net's own weights (the template's pre-filled
    ``net[0].weight.detach().numpy()`` is one), so each holds the final weights."""
    import numpy

    if not isinstance(value, (tuple, list)) or len(value) != 2:
        what = "None" if value is None else "a " + type(value).__name__
        return "returned %s, expected (W_list, K_list) as the template's pre-filled lines build them" % what
    try:
        Ws = [numpy.asarray(w, dtype=numpy.float64).reshape(2, 3) for w in value[0]]
        Ks = [numpy.asarray(k, dtype=numpy.float64).reshape(2) for k in value[1]]
    except (TypeError, ValueError) as e:
        return "returned (W_list, K_list) whose entries are not 2×3 and 2-element arrays (%s)" % e
    if len(Ws) != n or len(Ks) != n:
        return "returned lists of %d and %d entries, expected one per epoch (%d)" % (len(Ws), len(Ks), n)
    live = model[0].weight.detach().numpy()
    aliased = all(isinstance(w, numpy.ndarray) and numpy.shares_memory(w, live) for w in value[0])
    return numpy.stack(Ws), numpy.stack(Ks), numpy.array([aliased])


def _gk_train_torch(X, y, W, K, num_epochs, lr, batch_size, seed):
    """task 2: ``train_torch(net, dataset_X, dataset_y, num_epochs, lr, batch_size)`` on task 1's network, as
    the run notebook calls it: numpy float64 arrays, the net holding (W, K). The global generator is seeded
    with ``seed`` first, so the template's pre-filled ``net.apply(init_weights)`` draws that same (W, K)
    again. Returns (W, K after training, the returned lists or a str), or a str on failure."""
    import numpy
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False), torch.nn.ReLU(),
                                torch.nn.Linear(2, 1, bias=False)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(numpy.asarray(W, dtype=numpy.float64)))
        model[2].weight.copy_(torch.from_numpy(numpy.asarray(K, dtype=numpy.float64)).reshape(1, 2))
    torch.manual_seed(int(seed))
    value, failed = _gk_run("train_torch", lambda: (model, numpy.array(X, dtype=numpy.float64),
                                                    numpy.array(y, dtype=numpy.float64), int(num_epochs), float(lr),
                                                    int(batch_size)))
    if failed:
        return failed
    lists = _gk_weight_lists(value, model, int(num_epochs))
    return (model[0].weight.detach().double().numpy().copy(),
            model[2].weight.detach().double().numpy().reshape(2).copy(), lists)


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
