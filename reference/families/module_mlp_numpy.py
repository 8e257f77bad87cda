"""What the other module families still share of ECE 449 task 1's former family (task 1 itself is a [code]
problem now: problems/ece449-a2/task1.toml, with the course's starter and a course-style solution).

``elementwise_inputs`` draws the inputs of an element-wise function (``module.numpy_ann``'s _relu and
_relu_grad); ``first_epoch_off`` and ``accuracy_verdict`` judge a training trajectory and its accuracy
(``module.torch_train``, task 2).
"""

from __future__ import annotations

import numpy as np

from gradekit.code.props import compare
from gradekit.reference import mlp_numpy as ref

FAMILIES: list = []  # the helpers of other families only


def _floats(lo: float, hi: float):
    from hypothesis import strategies as st

    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def _array(shape, lo=-100.0, hi=100.0):
    from hypothesis.extra.numpy import arrays

    return arrays(np.float64, shape, elements=_floats(lo, hi))


def elementwise_inputs(min_dims: int = 1, max_dims: int = 3):
    """(hypothesis strategy of 1-tuples, named edge cases) for an element-wise function of one array;
    ``module.numpy_ann`` draws its _relu/_relu_grad inputs here too."""
    from hypothesis.extra.numpy import array_shapes

    edges = [("zeros", np.zeros((3, 4))), ("negatives", -np.arange(1.0, 7.0).reshape(2, 3)),
             ("large magnitudes", np.array([[-1e300, 1e300, -1e-300, 1e-300]])),
             ("a batch of one", np.array([[0.5, -2.0, 3.0]])), ("a 1-D array", np.array([-1.0, 0.0, 2.5]))]
    strategy = array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=6).flatmap(
        lambda s: _array(s, -1e6, 1e6)).map(lambda a: (a,))
    return strategy, [(label, (x,)) for label, x in edges if min_dims <= x.ndim <= max_dims]


def first_epoch_off(refs, Ws, Ks, rtol, atol) -> tuple[int, str] | None:
    """None when every epoch's (W, K) matches one reference trajectory; else the first epoch off and how."""
    worst = None
    for Wr, Kr in refs:
        for e, (w, k, wr, kr) in enumerate(zip(Ws, Ks, Wr, Kr)):
            bad = compare((wr, kr), (w, k), rtol, atol, labels=("W", "K"))
            if bad is not None:
                if worst is None or e > worst[0]:
                    worst = (e, bad)
                break
        else:
            return None
    return worst


def accuracy_verdict(X, y, W, K, threshold: float, what: str) -> str | None:
    acc = ref.accuracy(X, y, W, K)
    return None if acc >= threshold else (f"training accuracy {acc:.3f} after {what} on the notebook's kind of "
                                          f"data ({len(y)} samples in two separable clusters), below the pass "
                                          f"mark {threshold:.3g}")
