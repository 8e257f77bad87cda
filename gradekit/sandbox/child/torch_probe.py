# The text of this file is appended to a student's torch module and runs in the boxed child; the parent
# imports it too, to describe the reference model with the very same code. So: no `from __future__`,
# no relative imports, no module-level torch import, and every name starts with `_gk_` (no clash with
# the student's names, no class-private mangling).
"""Describe an ``nn.Module`` as plain data: the layer ops its forward runs, their hyperparameters and
output shapes, its parameter count and output shape.

Layers are recorded from the forward pass itself (a ``TorchFunctionMode``), so
``F.max_pool2d`` in ``forward`` counts as a layer exactly like ``nn.MaxPool2d``,
and each op is named by the module it ran in (``conv2``, ``model.4``, or
``forward`` for functional calls in the model's own forward).

>>> import torch                                                   # doctest: +SKIP
>>> d = _gk_describe(torch.nn.Sequential(torch.nn.Conv2d(3, 6, 5)), [2, 3, 32, 32])   # doctest: +SKIP
>>> d["layers"][0]["op"], d["layers"][0]["kernel"], d["params"]    # doctest: +SKIP
('conv', [5, 5], 456)
"""

_GK_MAX_TENSOR_BYTES = 2 * 2**30  # one tensor a model under test may ask for; memory rlimits stay the real bound
_GK_FACTORIES = {"empty", "zeros", "ones", "full", "rand", "randn", "randint", "empty_strided", "arange"}


def _gk_pair(v):
    if isinstance(v, (list, tuple)):
        return [int(x) for x in v] + ([int(v[0])] if len(v) == 1 else [])
    return [int(v), int(v)]


def _gk_arg(args, kwargs, i, name, default=None):
    if name in kwargs:
        return kwargs[name]
    return args[i] if len(args) > i else default


def _gk_layer(name, args, kwargs, out):
    """One traced op as data, or None for ops that are not layers (views, arithmetic on scalars)."""
    import torch

    def shape(t):
        return list(t.shape) if isinstance(t, torch.Tensor) else None

    if name in ("conv1d", "conv2d", "conv3d"):
        w, b = args[1], _gk_arg(args, kwargs, 2, "bias")
        groups = int(_gk_arg(args, kwargs, 6, "groups", 1))
        return {"op": "conv", "in_channels": int(w.shape[1]) * groups, "out_channels": int(w.shape[0]),
                "kernel": [int(k) for k in w.shape[2:]], "stride": _gk_pair(_gk_arg(args, kwargs, 3, "stride", 1)),
                "padding": _gk_pair(_gk_arg(args, kwargs, 4, "padding", 0))
                if not isinstance(_gk_arg(args, kwargs, 4, "padding", 0), str) else _gk_arg(args, kwargs, 4, "padding"),
                "bias": b is not None, "shape": shape(out)}
    if name == "linear":
        w, b = args[1], _gk_arg(args, kwargs, 2, "bias")
        return {"op": "linear", "in_features": int(w.shape[1]), "out_features": int(w.shape[0]),
                "bias": b is not None, "shape": shape(out)}
    if name in ("max_pool2d", "_max_pool2d", "max_pool2d_with_indices", "avg_pool2d", "max_pool1d", "avg_pool1d"):
        kernel = _gk_pair(_gk_arg(args, kwargs, 1, "kernel_size"))
        stride = _gk_arg(args, kwargs, 2, "stride")
        kind = "max" if "max" in name else "avg"
        return {"op": "pool", "kind": kind, "kernel": kernel, "stride": _gk_pair(stride) if stride not in (None, [], ()) else kernel,
                "padding": _gk_pair(_gk_arg(args, kwargs, 3, "padding", 0)), "shape": shape(out)}
    if name in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        return {"op": "pool", "kind": "adaptive_" + ("max" if "max" in name else "avg"),
                "output_size": _gk_pair(_gk_arg(args, kwargs, 1, "output_size")), "shape": shape(out)}
    if name == "batch_norm":
        return {"op": "batchnorm", "num_features": int(args[0].shape[1]), "shape": shape(out)}
    if name in ("dropout", "dropout2d", "dropout1d", "feature_dropout", "alpha_dropout"):
        return {"op": "dropout", "p": float(_gk_arg(args, kwargs, 1, "p", 0.5)), "shape": shape(out)}
    if name in ("relu", "relu_", "sigmoid", "tanh", "leaky_relu", "gelu", "elu", "softmax", "log_softmax"):
        return {"op": "activation", "kind": name.rstrip("_"), "shape": shape(out)}
    if name in ("add", "add_", "__add__", "__iadd__", "__radd__"):
        # a residual connection: two feature maps of the same shape, not a scalar or a counter
        if len(args) >= 2 and all(isinstance(a, torch.Tensor) and a.dim() >= 2 for a in args[:2]):
            return {"op": "add", "shape": shape(out)}
    return None


def _gk_nbytes(name, args, kwargs):
    """Bytes a factory call asks for, from its size arguments (before anything is allocated)."""
    import torch

    if name not in _GK_FACTORIES or name == "arange":
        return 0
    size = kwargs.get("size")
    if size is None:
        dims = [a for a in args if isinstance(a, (int, list, tuple, torch.Size)) and not isinstance(a, bool)]
        if name == "full":
            dims = dims[:1]
        elif name == "randint":
            dims = [d for d in dims if not isinstance(d, int)][:1]
        size = dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims
    n = 1
    for d in size if isinstance(size, (list, tuple, torch.Size)) else [size]:
        if isinstance(d, int):
            n *= max(d, 0)
    dtype = kwargs.get("dtype") or torch.get_default_dtype()
    return n * torch.empty((), dtype=dtype).element_size()


def _gk_mode(layers, where):
    """A TorchFunctionMode that records layers (into ``layers``) and refuses oversized tensors."""
    import torch
    from torch.overrides import TorchFunctionMode

    class _GkMode(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            name = getattr(func, "__name__", "")
            nbytes = _gk_nbytes(name, args, kwargs)
            if nbytes > _GK_MAX_TENSOR_BYTES:
                raise MemoryError("torch.%s asked for %.1f GiB, over the limit of %.0f GiB per tensor"
                                  % (name, nbytes / 2**30, _GK_MAX_TENSOR_BYTES / 2**30))
            out = func(*args, **kwargs)
            if layers is not None:
                rec = _gk_layer(name, args, kwargs, out)
                if rec is not None:
                    rec["module"] = where[-1] if where else "forward"
                    layers.append(rec)
            return out

    del torch
    return _GkMode()


def _gk_describe(model, input_shape, seed=0, tolerant=False):
    """The model's layers (in the order its forward runs them), parameter count and output shape.

    ``tolerant``: a forward that raises is described too: the layers it ran before, ``failed`` (the module
    it raised in and the error), and ``defined`` (``_gk_defined``), so what the model defines is still
    graded."""
    import torch

    if not isinstance(model, torch.nn.Module):
        kind = type(model)
        raise TypeError("got %s.%s, not a torch.nn.Module" % (kind.__module__, kind.__qualname__))
    names = {id(m): (n or "forward") for n, m in model.named_modules()}
    kinds = {(n or "forward"): type(m).__name__ for n, m in model.named_modules()}  # names the failing layer
    layers, where = [], []

    def enter(module, _inp):
        where.append(names.get(id(module), type(module).__name__))

    def leave(module, _inp, _out):
        if where:
            where.pop()

    from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

    handles = [register_module_forward_pre_hook(enter), register_module_forward_hook(leave)]
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*input_shape, generator=gen)
    try:
        # dropout off, BatchNorm on running statistics: a deterministic pass; nn.Module.train itself, since
        # handout classes (cs37300-hw4) shadow train() with their fit method, which model.eval() would call
        torch.nn.Module.train(model, False)
        failed = None
        with torch.no_grad(), _gk_mode(layers, where):
            try:
                out = model(x)
            except Exception as e:
                if not tolerant or isinstance(e, (MemoryError, NotImplementedError)):
                    raise
                text = (str(e).strip().splitlines() or [""])[0][:200]
                module = where[-1] if where else "forward"
                failed = {"module": module, "type": kinds.get(module, ""),
                          "error": "%s%s" % (type(e).__name__, ": " + text if text else "")}
                out = None
    finally:
        for h in handles:
            h.remove()
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    out_shape = list(out.shape) if isinstance(out, torch.Tensor) else None
    reply = {"layers": layers, "params": int(params), "output": out_shape, "output_type": type(out).__name__}
    if tolerant:
        reply.update(failed=failed, defined=_gk_defined(model))
    return reply


def _gk_defined(model):
    """The layers the model defines as submodules, in the order they are registered, as ``_gk_layer``
    describes them (without shapes): what is graded of a model whose forward fails."""
    import torch
    from torch import nn

    out = []
    for name, m in model.named_modules():
        rec = None
        if isinstance(m, nn.modules.conv._ConvNd):
            pad = m.padding if isinstance(m.padding, str) else _gk_pair(m.padding)
            rec = {"op": "conv", "in_channels": int(m.in_channels), "out_channels": int(m.out_channels),
                   "kernel": _gk_pair(m.kernel_size), "stride": _gk_pair(m.stride), "padding": pad,
                   "bias": m.bias is not None}
        elif isinstance(m, nn.Linear):
            rec = {"op": "linear", "in_features": int(m.in_features), "out_features": int(m.out_features),
                   "bias": m.bias is not None}
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.MaxPool1d, nn.AvgPool1d)):
            stride = m.stride if m.stride not in (None, [], ()) else m.kernel_size
            rec = {"op": "pool", "kind": "max" if "Max" in type(m).__name__ else "avg",
                   "kernel": _gk_pair(m.kernel_size), "stride": _gk_pair(stride), "padding": _gk_pair(m.padding)}
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            rec = {"op": "batchnorm", "num_features": int(m.num_features)}
        elif isinstance(m, nn.modules.dropout._DropoutNd):
            rec = {"op": "dropout", "p": float(m.p)}
        elif isinstance(m, (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.GELU, nn.ELU)):
            rec = {"op": "activation", "kind": {"LeakyReLU": "leaky_relu"}.get(type(m).__name__,
                                                                            type(m).__name__.lower())}
        if rec is not None:
            rec["module"] = name or "forward"
            rec["shape"] = None
            out.append(rec)
    del torch
    return out


def _gk_failure(what, e):
    if isinstance(e, NotImplementedError):
        return {"kind": "not_implemented", "error": "not implemented"}
    text = (str(e).strip().splitlines() or [""])[0][:300]
    if isinstance(e, MemoryError) or "can't allocate memory" in text or "DefaultCPUAllocator" in text:
        return {"kind": "memory", "error": "%s ran out of memory (%s)" % (what, text or "MemoryError")}
    return {"kind": "error", "error": "%s raised %s%s" % (what, type(e).__name__, ": " + text if text else "")}


def _gk_probe(request):
    """The child's entry point: build ``request["build"](*args)`` and describe it; JSON bytes as uint8."""
    import json
    import sys

    import numpy

    module = sys.modules[__name__]
    build, args = request["build"], request.get("args", [])
    what = "%s(%s)" % (build, ", ".join(repr(a) for a in args))
    target = getattr(module, build, None)
    if not callable(target):
        reply = {"kind": "missing", "error": "the file defines no %s" % build}
    else:
        try:
            with _gk_mode(None, None):
                model = target(*args)
            reply = _gk_describe(model, request["input"], tolerant=bool(request.get("tolerant")))
        except BaseException as e:  # noqa: B036 - SystemExit from student code is a failure like any other
            if isinstance(e, KeyboardInterrupt):
                raise
            reply = _gk_failure(what, e)
    return numpy.frombuffer(json.dumps(reply).encode(), dtype=numpy.uint8)


def _gk_recorded(attribute):
    """What ``gradekit/sandbox/child/preload.py`` recorded on torch under ``attribute`` (``_gk_kept_on_cpu``: the
    CUDA calls kept on the CPU; ``_gk_old_conv_forward``: the classes whose forward called ``_conv_forward(input,
    weight)`` as PyTorch 1.5-1.7 did), as one line, "" for nothing."""
    import sys

    if attribute not in ("_gk_kept_on_cpu", "_gk_old_conv_forward"):
        return ""
    torch = sys.modules.get("torch")
    recorded = getattr(torch, attribute, None) if torch is not None else None
    return ", ".join(str(r) for r in recorded)[:300] if isinstance(recorded, list) else ""
