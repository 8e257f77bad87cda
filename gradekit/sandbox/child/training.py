# Appended, after torch_probe, torch_train_probe, scenario and standin (whose helpers it uses), to a code problem's
# module: the student's and the solution's alike. Same rules: no `from __future__`, no relative imports, no
# module-level torch import, every name starts with `_gk_`.
"""A code problem's training part, run in the child: build the model by the steps, train it by the last step
on DataLoaders over the arrays the parent served, and send back its parameters as plain arrays.

``_gk_train(request, *arrays)``: ``request`` holds the scenario's ``steps`` (all but the last build the
model, the last trains it), ``model`` (the name the steps bind), ``loaders`` ({name: [i_X, i_y, shuffle]}:
DataLoaders over the arrays at those indices), ``batch``, ``seed``, ``start`` (how many of the trailing
arrays are a state to load before training: the solution's, so both start alike; by order and shape, the
names may differ) and ``export_start`` (send the start back too). ``device`` is the CPU.

``_gk_evaluate(request, *arrays)``: the model built by the same steps (here: the solution's class), the
trailing arrays loaded as its state by order and shape, then its class's own ``forward`` (never an
attribute of the instance) in evaluation mode: (the mean cross-entropy on arrays[0], arrays[1], the
predicted classes of arrays[2], the layers adopted). ``request["layers"]``, the student's network's leaf
layers as ``_gk_leaves`` describes them, puts the student's own parameter-free layers (a ReLU where the
solution has a sigmoid) in the solution's network, built anew from torch.nn's classes: the trained
parameters are scored in the network they were trained in, and no code of the student's runs here.
"""

# torch.nn's parameter-free layers a student's network may hold where the solution's has another:
# rebuilt here from their class name and plain constructor values
_GK_FREE_LAYERS = frozenset((
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
    "Hardtanh", "Hardsigmoid", "Hardswish", "Softplus", "Softsign", "Tanhshrink", "LogSigmoid", "Softmax",
    "LogSoftmax", "Identity", "Flatten", "Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "MaxPool1d",
    "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "LPPool2d"))


def _gk_build(request, module, env):
    for step in request["steps"][:-1]:
        with _gk_mode(None, None):  # noqa: F821 - torch_probe's: a tensor over its size limit is refused
            _gk_bind(step, _gk_do(step, env, module), env)  # noqa: F821 - scenario's
    return env[request["model"]]


def _gk_set_state(model, arrays, text):
    """``arrays`` as the model's state_dict entries, in order, each of the same shape; a mismatch says where."""
    import torch

    state = model.state_dict()
    if len(state) != len(arrays):
        raise _GkStepError("`%s`: the model holds %d tensors (parameters and buffers), the solution's %d"  # noqa: F821
                           % (text, len(state), len(arrays)))
    new = {}
    for i, ((name, t), a) in enumerate(zip(state.items(), arrays)):
        if tuple(t.shape) != tuple(a.shape):
            raise _GkStepError("`%s`: its tensor %d (%s) has shape %s, the solution's %s"  # noqa: F821
                               % (text, i + 1, name, tuple(t.shape), tuple(a.shape)))
        new[name] = torch.from_numpy(a).to(t.dtype)
    model.load_state_dict(new)


def _gk_state(model):
    return tuple(t.detach().cpu().float().numpy().copy() for t in model.state_dict().values())


def _gk_leaves(model):
    """The model's leaf modules in order: (path, class name, whether torch.nn's, JSON of plain constructor
    values) each, at most 1,000."""
    import json

    out = []
    for path, m in model.named_modules():
        if len(out) >= 1000:
            break
        if next(iter(m.children()), None) is not None:
            continue
        cls = type(m)
        # a class that names torch.nn as its module only ever gets torch.nn's own class rebuilt in its place
        builtin = str(getattr(cls, "__module__", "")).startswith("torch.nn.")
        config = _gk_layer_config(m) if builtin else {}  # noqa: F821 - standin's
        out.append((path[:200], cls.__name__[:100], bool(builtin), json.dumps(config)[:1000]))
    return tuple(out)


def _gk_adopt_layers(model, layers):
    """Put the student's parameter-free torch.nn layers in the solution's ``model`` where its own leaf in the
    same place differs; only where both have the same leaves, in order, the same ones holding parameters.
    The adopted layers, as "path: solution's → student's"."""
    import json

    import torch

    mine = [(p, m) for p, m in model.named_modules() if next(iter(m.children()), None) is None]
    if not isinstance(layers, (list, tuple)) or len(layers) != len(mine):
        return []
    plan = []
    for (path, m), entry in zip(mine, layers):
        if not (isinstance(entry, (list, tuple)) and len(entry) == 4):
            return []
        _, name, builtin, config = entry
        own_state = next(iter(m.parameters(recurse=False)), None) is not None or \
            next(iter(m.buffers(recurse=False)), None) is not None
        if name == type(m).__name__ and (own_state or not builtin):
            continue
        if own_state or not builtin or name not in _GK_FREE_LAYERS:
            return []  # not the same network: the solution's is scored as it is
        try:
            kwargs = json.loads(config)
            layer = getattr(torch.nn, name)(**{k: tuple(v) if isinstance(v, list) else v
                                               for k, v in kwargs.items()})
        except Exception:
            return []
        if repr(layer) != repr(m):
            plan.append((path, m, layer))
    adopted = []
    for path, m, layer in plan:
        parent, _, leaf = path.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, leaf, layer)
        adopted.append("layer %s, %s where the solution has %s" % (path, repr(layer)[:80], repr(m)[:80]))
    return adopted


def _gk_train(request, *arrays):
    import sys

    import numpy
    import torch
    from torch.utils import data

    module = sys.modules[__name__]
    seed = int(request.get("seed", 0))
    n_start = int(request.get("start", 0))
    served, start = arrays[:len(arrays) - n_start], arrays[len(arrays) - n_start:]
    torch.manual_seed(seed)
    numpy.random.seed(seed % 2**32)
    env = dict(request.get("dims") or {})
    for name, (ix, iy, shuffle) in (request.get("loaders") or {}).items():
        ds = data.TensorDataset(torch.from_numpy(numpy.asarray(served[ix])), torch.from_numpy(numpy.asarray(served[iy])))
        gen = torch.Generator().manual_seed(seed) if shuffle else None
        env[name] = data.DataLoader(ds, batch_size=int(request["batch"]), shuffle=bool(shuffle), generator=gen)
    env["device"] = torch.device("cpu")
    model = _gk_build(request, module, env)
    if start:
        _gk_set_state(model, list(start), request["steps"][-2]["text"] if len(request["steps"]) > 1 else "")
    begin = _gk_state(model) if request.get("export_start") else ()
    step = request["steps"][-1]
    guard, counter = _gk_cpu_only(), _gk_step_counter(model)  # noqa: F821 - torch_train_probe's
    with guard, counter:
        try:
            _gk_do(step, env, module)  # noqa: F821
        except NotImplementedError:
            raise
        except _GkStepError:  # noqa: F821
            raise
        except Exception as e:  # the student's error, named by the step it came from
            if isinstance(e, MemoryError):
                raise
            if isinstance(e, TypeError) and str(e) == "exceptions must derive from BaseException":
                raise NotImplementedError(step["text"]) from None
            text = str(e).strip().splitlines()
            callee = ".".join(step["call"]["path"]) if "call" in step else step["text"]
            cuda = _gk_cuda_failure(callee, e)  # noqa: F821 - torch_train_probe's
            raise _GkStepError(cuda or "`%s` raised %s%s" % (step["text"], type(e).__name__,  # noqa: F821
                                                                ": " + text[0][:200] if text else "")) from None
    names = tuple(model.state_dict().keys())
    return (begin, names, _gk_state(model), counter.steps, _gk_swapped_forwards(model),  # noqa: F821
            ", ".join(guard.used), _gk_leaves(model))


def _gk_evaluate(request, *arrays):
    import sys

    import numpy
    import torch
    import torch.nn.functional as F

    module = sys.modules[__name__]
    torch.manual_seed(int(request.get("seed", 0)))
    env = dict(request.get("dims") or {})
    for name in request.get("loaders") or {}:
        env[name] = None  # not needed to build the model
    env["device"] = torch.device("cpu")
    model = _gk_build(request, module, env)
    X, y, X_test = arrays[:3]
    adopted = _gk_adopt_layers(model, request.get("layers") or ())
    _gk_set_state(model, list(arrays[3:]), "the trained state")
    forward = type(model).forward  # the class's own, on a model built here
    torch.nn.Module.train(model, False)
    with torch.no_grad():
        loss = float(F.cross_entropy(forward(model, torch.from_numpy(numpy.asarray(X))),
                                     torch.from_numpy(numpy.asarray(y))))
        pred = torch.cat([forward(model, torch.from_numpy(numpy.asarray(X_test[i:i + 512]))).argmax(1)
                          for i in range(0, len(X_test), 512)])
    return loss, pred.numpy().astype(numpy.int64), tuple(adopted)
