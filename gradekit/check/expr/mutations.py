"""Named mistakes, as edits of the REFERENCE tree.

A wrong answer is diagnosed by finding the edit of the reference it equals
numerically: drop a transpose, swap ``t − x3`` to ``x3 − t``, drop the
activation derivative ``x2 ∘ (1 − x2)``, use ∘ for a matrix product, reverse an
outer product, drop a ½. Each edit carries the id a spec's ``partial`` table
keys on and the sentence the student reads.

>>> from gradekit.core.reader.parser import parse
>>> table = Symbols.declare({"W2": "k×m", "x3": "k×1", "t": "k×1"})
>>> [m.id for m in mutations(parse("W2ᵀ(x3 − t)", table), table)][:3]
['transpose_missing', 'transposed', 'transpose_extra']
"""

from __future__ import annotations

from dataclasses import dataclass

from gradekit.core.reader.errors import ExprError
from gradekit.core.reader.nodes import Bin, Call, Neg, Node, Num, Sym, T, count, replace_at, to_text, walk
from gradekit.core.reader.shapes import Symbols, scalar_like, shape_of

MAX_MUTATIONS = 120

IDS = ("transpose_missing", "outer_product_reversed", "transposed", "transpose_extra", "sign_flipped",
       "activation_derivative_missing", "activation_derivative_wrong", "factor_missing", "hadamard_for_matmul",
       "matmul_for_hadamard", "product_order_reversed", "constant_factor")


@dataclass(frozen=True)
class Mutation:
    id: str
    message: str
    node: Node


def _matrixish(node: Node, table: Symbols) -> bool:
    try:
        return not scalar_like(shape_of(node, table))
    except ExprError:
        return True  # a subtree of a mutated tree may not type-check alone; treat it as a matrix


def _had_factors(node: Node) -> list[Node]:
    if isinstance(node, Bin) and node.op == "had":
        return _had_factors(node.left) + _had_factors(node.right)
    return [node]


def _had_chain(factors: list[Node]) -> Node:
    out = factors[0]
    for f in factors[1:]:
        out = Bin("had", out, f)
    return out


def _one_minus(node: Node) -> Node | None:
    """``u`` when ``node`` is ``1 − u``."""
    if isinstance(node, Bin) and node.op == "-" and node.left == Num(1.0):
        return node.right
    return None


def mutations(ref: Node, table: Symbols) -> list[Mutation]:
    """Every single-edit mistake of ``ref``, most specific first, without duplicates."""
    show = lambda n: to_text(n, table.name)  # noqa: E731
    out: list[Mutation] = []
    seen: set[Node] = {ref}

    def add(mid: str, message: str, node: Node) -> None:
        if node not in seen and len(out) < MAX_MUTATIONS:
            seen.add(node)
            out.append(Mutation(mid, message, node))

    nodes = list(walk(ref))
    parents = {path: node for path, node in nodes}

    for path, n in nodes:
        if isinstance(n, T):
            add("transpose_missing", f"the transpose of {show(n.arg)} is missing (it should be {show(n)}).",
                replace_at(ref, path, n.arg))
    for path, n in nodes:
        if isinstance(n, Bin) and n.op == "mat" and isinstance(n.right, T) and not isinstance(n.left, T):
            swapped = Bin("mat", n.right.arg, T(n.left))
            add("outer_product_reversed", f"the outer product is in the wrong order: it is {show(n)}, not {show(swapped)}.",
                replace_at(ref, path, swapped))
    add("transposed", "your answer is the transpose of the right one: check the order of an outer product or a transpose.",
        ref.arg if isinstance(ref, T) else T(ref))
    for path, n in nodes:
        parent = parents.get(path[:-1]) if path else None
        if isinstance(n, Sym) and not isinstance(parent, T) and _matrixish(n, table):
            add("transpose_extra", f"{show(n)} should not be transposed here.", replace_at(ref, path, T(n)))

    for path, n in nodes:
        if isinstance(n, Bin) and n.op == "-":
            swapped = Bin("-", n.right, n.left)
            add("sign_flipped", f"the difference is reversed: it is {show(n)}, not {show(swapped)}.",
                replace_at(ref, path, swapped))
    add("sign_flipped", "every entry has the wrong sign: check the direction of a difference such as t − x3.",
        ref.arg if isinstance(ref, Neg) else Neg(ref))

    for path, n in nodes:
        parent = parents.get(path[:-1]) if path else None
        if isinstance(n, Bin) and n.op == "had" and not (isinstance(parent, Bin) and parent.op == "had"):
            _chain_mutations(ref, path, _had_factors(n), table, add, show)

    for path, n in nodes:
        if isinstance(n, Bin) and n.op == "mat" and _matrixish(n.left, table) and _matrixish(n.right, table):
            add("hadamard_for_matmul", f"{show(n)} is a matrix product, not an entry-by-entry product ∘.",
                replace_at(ref, path, Bin("had", n.left, n.right)))
        if isinstance(n, Bin) and n.op == "had" and _matrixish(n.left, table) and _matrixish(n.right, table):
            add("matmul_for_hadamard", f"{show(n)} multiplies entry by entry (∘), not as a matrix product.",
                replace_at(ref, path, Bin("mat", n.left, n.right)))
    for path, n in nodes:
        if isinstance(n, Bin) and n.op == "mat" and _matrixish(n.left, table) and _matrixish(n.right, table):
            add("product_order_reversed", f"the product {show(n)} is in the wrong order.",
                replace_at(ref, path, Bin("mat", n.right, n.left)))

    for path, n in nodes:
        if isinstance(n, Num) and n.value not in (0.0, 1.0):
            add("constant_factor", f"the factor {show(n)} is dropped.", replace_at(ref, path, Num(1.0)))
    for factor, word in ((2.0, "2"), (0.5, "½")):
        add("constant_factor", f"your answer is off by a factor of {word}: check a ½ or a 2.", Bin("mat", Num(factor), ref))
    return [m for m in out if count(m.node) <= 4 * count(ref) + 8]


def _chain_mutations(ref, path, factors, table, add, show) -> None:
    """Mistakes inside an entry-by-entry chain such as (W2ᵀ e) ∘ x2 ∘ (1 − x2)."""
    if len(factors) < 2:
        return
    defined = dict(table.define)
    pairs = [(i, j) for i, fi in enumerate(factors) for j, fj in enumerate(factors) if i != j and _one_minus(fj) == fi]
    for i, j in pairs:
        u = factors[i]
        deriv = show(Bin("had", u, factors[j]))
        rest = [f for k, f in enumerate(factors) if k not in (i, j)]
        at = min(i, j)
        if rest:
            add("activation_derivative_missing", f"the activation derivative {deriv} is missing.",
                replace_at(ref, path, _had_chain(rest)))
        tanh = Bin("-", Num(1.0), Bin("had", u, u))
        add("activation_derivative_wrong", f"the activation derivative is {deriv} (sigmoid's), not 1 − {show(u)}² (tanh's).",
            replace_at(ref, path, _had_chain(rest[:at] + [tanh] + rest[at:])))
        if isinstance(u, Sym) and isinstance(defined.get(u.name), Call) and defined[u.name].fn == "sigmoid":
            z = defined[u.name].args[0]
            wrong = [Bin("had", z, Bin("-", Num(1.0), z))]
            add("activation_derivative_wrong", f"σ'(z) is {deriv} with {show(u)} = σ({show(z)}), not z ∘ (1 − z).",
                replace_at(ref, path, _had_chain(rest[:at] + wrong + rest[at:])))
    for k, f in enumerate(factors):
        rest = factors[:k] + factors[k + 1 :]
        in_deriv = any(k in pair for pair in pairs)
        mid = "activation_derivative_wrong" if in_deriv else "factor_missing"
        what = "part of the activation derivative" if in_deriv else "a factor"
        add(mid, f"{what}, {show(f)}, is missing.", replace_at(ref, path, _had_chain(rest)))
