# The text of this file is appended to a student's file and runs in the boxed child (never in the parent):
# no `from __future__`, no relative imports, no gradekit imports, and every name starts with `_gk_`.
"""Call the methods of a student's handout class (``PyTorchANN``, ``PyTorchCNN``) from the parent.

The harness calls module-level functions with arrays; a handout class keeps
state between methods. ``_gk_method`` builds a fresh instance, loads the
weights the parent sends (so every method is judged on the same numbers as the
reference), runs one operation and returns arrays: outputs, or the weights
after a training step. Nothing here knows an expected answer.

Requests are ``_gk_method(request, *arrays)`` with ``request`` a dict:
``class``, ``args`` (constructor arguments), ``op``, ``weights`` (how many of
the arrays are weights), ``kw`` (JSON options of the op).
"""


def _gk_instance(cls, args, weights):
    """The class built with ``args``, holding ``weights`` (a torch module without its layers has nothing to grade)."""
    obj = cls(*args)
    if weights:
        _gk_load(obj, weights)
    return obj


def _gk_is_module(obj):
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _gk_linears(obj):
    import torch

    return [m for m in obj.modules() if isinstance(m, torch.nn.Linear)]


def _gk_load(obj, weights):
    """The Linear layers' weight and bias, in order."""
    import torch

    linears = _gk_linears(obj)
    if len(linears) * 2 != len(weights):
        raise ValueError("the model has %d Linear layers, expected %d" % (len(linears), len(weights) // 2))
    with torch.no_grad():
        for layer, (w, b) in zip(linears, zip(weights[::2], weights[1::2])):
            if tuple(layer.weight.shape) != w.shape or layer.bias is None:
                raise ValueError("a Linear layer of weight shape %s%s, expected %s with a bias"
                                 % (tuple(layer.weight.shape), "" if layer.bias is not None else " without bias", w.shape))
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))


def _gk_weights(obj):
    return tuple(t.detach() for layer in _gk_linears(obj) for t in (layer.weight, layer.bias))


def _gk_tensor(x, labels=False):
    import torch

    return torch.from_numpy(x).long() if labels else torch.from_numpy(x).float()


def _gk_method(request, *arrays):
    import sys

    module = sys.modules[__name__]
    cls = getattr(module, request["class"], None)
    if not isinstance(cls, type):
        raise LookupError("the file defines no class %s" % request["class"])
    n = int(request.get("weights", 0))
    if request["op"] == "attributes":  # __init__ itself is under test: no stand-in instance
        obj = cls(*request.get("args", []))
        return tuple(_gk_number(obj, name) for name in request["names"]) + _gk_weights(obj)
    obj = _gk_instance(cls, request.get("args", []), list(arrays[:n]))
    data, kw, op = arrays[n:], request.get("kw", {}), request["op"]
    torchy = _gk_is_module(obj)
    if torchy and kw.get("seed", 0) is not None:  # None: the constructor's own seed goes on, as in the handout
        import torch

        torch.manual_seed(int(kw.get("seed", 0)))
    if op == "call":  # a method on arrays: relu, forward, predict, ...
        args = [_gk_tensor(a) if torchy else a for a in data] + kw.get("extra", [])
        return getattr(obj, kw["method"])(*args)
    if op == "train":  # the class's own train(X, y, X_val, y_val, epochs, batch_size[, lr]); the weights after
        obj.train(*_gk_train_data(data, torchy), *kw["args"])
        return _gk_weights(obj)
    if op == "fit":  # train (the class's own, or a plain loop); then test labels, the judgement and the curves
        return _gk_fit_module(obj, cls, request.get("args", []), data, kw)
    if op == "curves":  # the class's own train with the handout program's settings: the curves it records
        obj.train(*_gk_train_data(data[:4], torchy), *kw["args"])
        return _gk_curves(obj)
    if op == "judgement":
        if kw.get("metrics"):  # the curves of the run the word is asked about, kept as the handout's train keeps them
            obj.train_val_metrics = {k: [float(v) for v in a] for k, a in zip(_GK_CURVES, data[:4])}
            return _gk_judgement(obj)
        return str(obj.report_my_judgement())
    raise ValueError("unknown request %r" % op)


def _gk_train_data(data, torchy):
    """(X, y, X_val, y_val) as the handout's train takes them: numpy arrays, or for a torch class float32
    tensors, the labels one-hot (the handout's accuracy() does y.argmax(dim=1))."""
    return [_gk_tensor(a) if torchy else a for a in data]


def _gk_judgement(obj):
    """report_my_judgement() of the trained instance, or '!' and why it failed."""
    try:
        return str(obj.report_my_judgement())[:200]
    except BaseException as e:  # noqa: B036 - the judgement is one part; the accuracy is another
        if isinstance(e, KeyboardInterrupt):
            raise
        return "!raised %s: %s" % (type(e).__name__, str(e)[:150])


_GK_CURVES = ("train_losses", "train_accs", "val_losses", "val_accs")


def _gk_curves(obj):
    """The four per-epoch lists the handout's train keeps in self.train_val_metrics, or None."""
    import numpy

    metrics = getattr(obj, "train_val_metrics", None)
    if not isinstance(metrics, dict):
        return None
    try:
        out = tuple(numpy.asarray([float(v) for v in metrics[k]], dtype=float) for k in _GK_CURVES)
    except (KeyError, TypeError, ValueError):
        return None
    return out if len({len(c) for c in out}) == 1 and len(out[0]) else None


def _gk_number(obj, name):
    if not hasattr(obj, name):
        raise AttributeError("the instance has no attribute self.%s" % name)
    value = getattr(obj, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("self.%s is %r, expected a number" % (name, value))
    return float(value)


def _gk_standard_loop(model, X, Y, Xv, Yv, kw):
    """A plain loop for classes whose handout supplies ``train``: only the architecture is under test. After
    each epoch it records the curves the handout's train records, in ``self.train_val_metrics``."""
    import torch
    import torch.nn.functional as F

    Xt, yt = _gk_tensor(X), _gk_tensor(Y).argmax(1)
    Xvt, yvt = _gk_tensor(Xv), _gk_tensor(Yv).argmax(1)
    opt = torch.optim.Adam(model.parameters(), lr=float(kw.get("lr", 1e-3)))
    gen = torch.Generator().manual_seed(int(kw.get("seed", 0)))
    batch = int(kw.get("batch_size", 64))
    curves = {k: [] for k in _GK_CURVES}
    for _ in range(int(kw.get("epochs", 3))):
        torch.nn.Module.train(model, True)
        order = torch.randperm(len(Xt), generator=gen)
        for i in range(0, len(Xt), batch):
            idx = order[i:i + batch]
            if len(idx) < 2:
                continue  # BatchNorm cannot train on one sample
            opt.zero_grad()
            F.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
        torch.nn.Module.train(model, False)
        with torch.no_grad():
            for split, (xs, ys) in (("train", (Xt, yt)), ("val", (Xvt, yvt))):
                out = model(xs)
                curves[split + "_losses"].append(float(F.cross_entropy(out, ys)))
                curves[split + "_accs"].append(float((out.argmax(1) == ys).float().mean()))
    model.train_val_metrics = curves


def _gk_fit_module(obj, cls, args, data, kw):
    """A torch class's fit, checked as training: the class's ``forward`` (as it was before training) on a
    fresh instance holding the trained ``state_dict`` makes the test labels, so a classifier the training
    set on the instance (``self.forward = ...``) is not what is scored. Returns (labels, judgement, curves,
    why it is not training or "", the names of replaced forwards)."""
    import torch
    import torch.nn.functional as F

    forward = cls.forward  # the class's own, looked up before the student's training runs
    start = {k: v.detach().clone() for k, v in obj.state_dict().items()}
    X, Y = _gk_tensor(data[0]), _gk_tensor(data[1]).argmax(1)
    if kw.get("loop"):
        _gk_standard_loop(obj, data[0], data[1], data[2], data[3], kw)
    else:
        obj.train(*_gk_train_data(data[:4], torchy=True), *kw["args"])
    judgement = _gk_judgement(obj) if kw.get("judge") else None
    curves = _gk_curves(obj)
    swapped = sorted(name or "net" for name, m in obj.named_modules() if "forward" in vars(m))
    if cls.forward is not forward:
        swapped.append("the class's forward")
    trained = {k: v.detach().clone() for k, v in obj.state_dict().items()}

    def fresh(state):
        net = cls(*args)
        net.load_state_dict(state)
        torch.nn.Module.train(net, False)  # the handout's ``train`` shadows nn.Module.train: call the original
        return net

    try:
        before, after = fresh(start), fresh(trained)
    except Exception as e:  # the training replaced the model's layers: its state no longer fits the class
        why = "after training, the model's parameters no longer fit the class (%s)" % str(e).strip()[:200]
        return _gk_no_labels(len(data[4])), judgement, curves, why, swapped
    with torch.no_grad():
        loss0 = float(F.cross_entropy(forward(before, X), Y))
        loss1 = float(F.cross_entropy(forward(after, X), Y))
        labels = forward(after, _gk_tensor(data[4])).argmax(1)
    why = ""
    if all(torch.equal(start[k], trained[k]) for k in start):
        why = "training did not change the model's parameters"
    elif not loss1 < loss0:
        why = ("the training loss of the class's own forward did not fall (%.4f at the start, %.4f after)"
               % (loss0, loss1))
    return labels, judgement, curves, why, swapped


def _gk_no_labels(n):
    import numpy

    return numpy.full(int(n), -1, dtype=numpy.int64)
