# Appended, after torch_probe, to a torch code problem's module before ``scenario`` and ``training`` (which use its
# CPU guard, step counter and CUDA failure line); runs in the boxed child. Same rules as torch_probe: no
# `from __future__`, no relative imports, no module-level torch import, every name starts with `_gk_`.
"""What a training function does to the network it is handed, watched in the child.

``_gk_cpu_only`` keeps ``.cuda()`` on the CPU while a training function runs, ``_gk_step_counter`` counts the
optimizer steps that move a net's parameters, ``_gk_swapped_forwards`` names the forwards a function set on a
net's modules, and ``_gk_cuda_failure`` names a CUDA request that cannot run on the CPU (``training``'s
``_gk_train`` uses all four).
"""


def _gk_is_cuda(device):
    import torch

    if isinstance(device, str):
        return device.strip().lower().startswith("cuda")
    return isinstance(device, torch.device) and device.type == "cuda"


class _gk_cpu_only:
    """While active, on a machine without a GPU, ``.cuda()`` and ``.to(<a CUDA device>)`` of tensors and
    modules stay on the CPU, and each kind of call is recorded in ``used``: the course's students train
    on GPUs, and code that moves its net there is right code. Anything else that asks for CUDA
    (``torch.zeros(..., device="cuda")``) still raises; ``_gk_cuda_failure`` names it."""

    def __init__(self):
        self.used = []
        self._saved = []

    def _note(self, what):
        if what not in self.used:
            self.used.append(what)

    def __enter__(self):
        import torch

        if torch.cuda.is_available():
            return self
        guard = self

        def cuda(self_, *args, **kwargs):
            guard._note(".cuda()")
            return self_

        def wrap_to(original):
            def to(self_, *args, **kwargs):
                if args and _gk_is_cuda(args[0]):
                    guard._note(".to(%r)" % str(args[0]))
                    args = ("cpu",) + tuple(args[1:])
                if _gk_is_cuda(kwargs.get("device")):
                    guard._note(".to(device=%r)" % str(kwargs["device"]))
                    kwargs["device"] = "cpu"
                return original(self_, *args, **kwargs)
            return to

        for owner in (torch.Tensor, torch.nn.Module):
            self._saved.append((owner, "cuda", owner.__dict__.get("cuda")))
            self._saved.append((owner, "to", owner.__dict__.get("to")))
            owner.to = wrap_to(owner.to)
            owner.cuda = cuda
        return self

    def __exit__(self, *exc):
        for owner, name, value in reversed(self._saved):
            if value is None:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        self._saved = []
        return False


def _gk_cuda_failure(name, e):
    """A failure that is CUDA asked for on this GPU-less machine, named as that; None for any other."""
    text = str(e)
    hints = ("Torch not compiled with CUDA", "no NVIDIA driver", "CUDA driver", "No CUDA GPUs",
             "cuda runtime", "CUDA is not available", "Attempting to deserialize object on a CUDA device")
    if any(h.lower() in text.lower() for h in hints):
        first = (text.strip().splitlines() or [""])[0][:200]
        return ("this grader has no GPU: %s asked for CUDA in a way that cannot run on the CPU (%s: %s); "
                "move tensors with .to(device) or .cuda() instead" % (name, type(e).__name__, first))
    return None


def _gk_swapped_forwards(net):
    """The modules of net whose ``forward`` is an attribute of the instance, not its class's: a classifier
    put in place of the network's own layers. Named by their path in net ("" for net itself)."""
    return sorted(name or "net" for name, m in net.named_modules() if "forward" in vars(m))


class _gk_step_counter:
    """While active, counts the steps of torch optimizers whose parameters include one of net's."""

    def __init__(self, net):
        self.ids = {id(p) for p in net.parameters()}
        self.steps = 0
        self._handle = None

    def _hook(self, optimizer, args, kwargs):
        if any(id(p) in self.ids for group in optimizer.param_groups for p in group["params"]):
            self.steps += 1

    def __enter__(self):
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self._handle = register_optimizer_step_post_hook(self._hook)
        return self

    def __exit__(self, *exc):
        self._handle.remove()
        return False
