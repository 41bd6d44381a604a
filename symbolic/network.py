"""The constructed sparse ReLU network, with exact rational weights.

Architecture (docs/mathematics.md, section 2)::

    features  h_0 = (x_1, ..., x_d [, |x|^2])        fixed input map
    hidden    h_k = sigma(W_k h_{k-1} + b_k)          k = 1..L, exact weights
    level     g   = v . h_L + c                       linear readout
    head      f(w, x) = sigma(w g + 1/2) - sigma(w g - 1/2)
                      = clamp(w g + 1/2, 0, 1)

Only the slope ``w`` is trainable: it is the weight of g into both head neurons
(shared).  The hidden layers realise the level function g from the target's
tree with the ReLU identities

    u = sigma(u) - sigma(-u)          (u = sigma(u) when u >= 0 is known)
    min(u, v) = u - sigma(u - v),     max(u, v) = v + sigma(u - v),

min/max trees are balanced (depth ceil(log2 k)), shallower branches are carried
forward by the identity above, and the deep ball uses Yarotsky's sawtooth:
tent(u) = 2 sigma(u) - 4 sigma(u - 1/2) + 2 sigma(u - 1),
q_N(u) = u - sum_{s=1..N} tent^{(s)}(u) / 4^s, u = |x_i| = sigma(x_i) + sigma(-x_i).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from .numbers import rational_text
from .targets import Affine, DeepBall, ExactBall, Level, Max, Min, uses_exact_ball

Q = sympy.Rational
HALF = Q(1, 2)


@dataclass(frozen=True)
class Layer:
    """One ReLU layer: h_out = sigma(weight @ h_in + bias), exact entries."""

    weight: tuple[tuple[sympy.Rational, ...], ...]
    bias: tuple[sympy.Rational, ...]

    @property
    def width(self) -> int:
        return len(self.bias)

    def nonzero_weights(self) -> int:
        return sum(1 for row in self.weight for v in row if v != 0)


@dataclass(frozen=True)
class Network:
    """The layered network of the module docstring; every fixed weight exact."""

    dim: int
    features: tuple[str, ...]
    hidden: tuple[Layer, ...]
    readout: tuple[sympy.Rational, ...]
    readout_bias: sympy.Rational
    head_bias: tuple[sympy.Rational, sympy.Rational] = (HALF, -HALF)
    head_out: tuple[sympy.Rational, sympy.Rational] = (Q(1), Q(-1))

    # ---------------------------------------------------------- exact forward
    def feature_values(self, x: Sequence[sympy.Rational]) -> list[sympy.Rational]:
        """h_0: the coordinates, then |x|^2 when the exact-ball transformation is used."""
        xs = [Q(v) for v in x]
        out = list(xs)
        if "sqnorm" in self.features:
            out.append(sum((v * v for v in xs), Q(0)))
        return out

    def hidden_values(self, x: Sequence[sympy.Rational]) -> list[list[sympy.Rational]]:
        """Post-activations h_1..h_L, exact."""
        h = self.feature_values(x)
        out = []
        for layer in self.hidden:
            h = [max(Q(0), sum((wij * hj for wij, hj in zip(row, h)), Q(0)) + b)
                 for row, b in zip(layer.weight, layer.bias)]
            out.append(h)
        return out

    def level(self, x: Sequence[sympy.Rational]) -> sympy.Rational:
        """g(x) computed by the network (exact)."""
        hs = self.hidden_values(x)
        last = hs[-1] if hs else self.feature_values(x)
        return sum((v * h for v, h in zip(self.readout, last)), Q(0)) + self.readout_bias

    def output(self, w: sympy.Rational, x: Sequence[sympy.Rational]) -> sympy.Rational:
        """f(w, x) = sum_k head_out[k] * sigma(w g(x) + head_bias[k]) (exact)."""
        g = self.level(x)
        return sum((o * max(Q(0), w * g + b) for o, b in zip(self.head_out, self.head_bias)), Q(0))

    # ---------------------------------------------------------- description
    @property
    def depth(self) -> int:
        """Number of ReLU layers including the head."""
        return len(self.hidden) + 1

    def nonzero_fixed_weights(self) -> int:
        return (sum(l.nonzero_weights() for l in self.hidden)
                + sum(1 for v in self.readout if v != 0))

    def table_rows(self) -> list[tuple[str, str, str, str, str]]:
        """The architecture, one row per layer: (layer, kind, width, nonzero weights, nonzero biases)."""
        rows = [("input", "features " + ", ".join(self.features), str(len(self.features)), "-", "-")]
        prev = len(self.features)
        for k, layer in enumerate(self.hidden, start=1):
            rows.append((f"layer {k}", "ReLU, fixed exact weights", str(layer.width),
                         f"{layer.nonzero_weights()} of {layer.width * prev}",
                         str(sum(1 for b in layer.bias if b != 0))))
            prev = layer.width
        rows.append(("readout", "level g (linear, fixed)", "1", f"{sum(1 for v in self.readout if v != 0)} of {prev}",
                     "1" if self.readout_bias != 0 else "0"))
        rows.append(("head", "f = sigma(w g + 1/2) - sigma(w g - 1/2); w trained", "2 -> 1", "w (shared, trainable)",
                     "2 (+1/2, -1/2)"))
        return rows

    def _repr_html_(self) -> str:
        """Jupyter: the architecture as an HTML table (:meth:`table_rows`) with the totals as its caption."""
        import html

        head = "".join(f"<th>{h}</th>" for h in ("layer", "kind", "width", "nonzero weights", "nonzero biases"))
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in self.table_rows())
        caption = (f"{self.depth} ReLU layers ({len(self.hidden)} fixed + head), "
                   f"{self.nonzero_fixed_weights()} nonzero fixed weights, 1 trainable parameter")
        return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")

    def describe(self) -> str:
        """Human-readable architecture: layers, widths, nonzero weights, where w enters."""
        lines = [f"input features ({len(self.features)}): {', '.join(self.features)}"
                 + ("   [|x|^2: the fixed, non-ReLU variable transformation]" if "sqnorm" in self.features else "")]
        prev = len(self.features)
        for k, layer in enumerate(self.hidden, start=1):
            dense = layer.width * prev
            lines.append(f"layer {k}: ReLU, width {layer.width}, {layer.nonzero_weights()} nonzero weights"
                         f" of {dense}, {sum(1 for b in layer.bias if b != 0)} nonzero biases (fixed, exact)")
            prev = layer.width
        terms = " + ".join(f"{rational_text(v)}*h{len(self.hidden)}[{i}]"
                           for i, v in enumerate(self.readout) if v != 0)
        lines.append(f"level readout: g = {terms} + {rational_text(self.readout_bias)}"
                     f"  ({sum(1 for v in self.readout if v != 0)} nonzero weights, fixed)")
        lines.append("head: f(w,x) = sigma(w*g + 1/2) - sigma(w*g - 1/2) = clamp(w*g + 1/2, 0, 1)")
        lines.append("trainable: the single slope w, the weight of g into both head neurons (shared)")
        lines.append(f"total: {self.depth} ReLU layers ({len(self.hidden)} fixed + head), "
                     f"{sum(l.width for l in self.hidden) + 2} ReLU neurons, "
                     f"{self.nonzero_fixed_weights()} nonzero fixed weights, 1 trainable parameter")
        return "\n".join(lines)

    def to_json(self) -> dict:
        """The weights as exact strings ``p/q`` (read back by :func:`network_from_json`)."""
        return {
            "features": list(self.features),
            "hidden": [{"weight": [[rational_text(v) for v in row] for row in l.weight],
                        "bias": [rational_text(b) for b in l.bias]} for l in self.hidden],
            "readout": [rational_text(v) for v in self.readout],
            "readout_bias": rational_text(self.readout_bias),
            "head_bias": [rational_text(b) for b in self.head_bias],
            "head_out": [rational_text(b) for b in self.head_out],
        }


# ---------------------------------------------------------------- builder

@dataclass(frozen=True)
class _Signal:
    """A linear form sum coeffs[i] * h_depth[i] + const, with a known-sign flag."""

    depth: int
    coeffs: tuple[tuple[int, sympy.Rational], ...]
    const: sympy.Rational
    nonneg: bool

    def scaled(self, a) -> _Signal:
        return _Signal(self.depth, tuple((i, a * c) for i, c in self.coeffs), a * self.const,
                       self.nonneg and a >= 0)


def _add(*terms: tuple[sympy.Rational, _Signal]) -> _Signal:
    depth = terms[0][1].depth
    acc: dict[int, sympy.Rational] = {}
    const = Q(0)
    for a, s in terms:
        assert s.depth == depth
        for i, c in s.coeffs:
            acc[i] = acc.get(i, Q(0)) + a * c
        const += a * s.const
    return _Signal(depth, tuple(sorted((i, c) for i, c in acc.items() if c != 0)), const, False)


class _Builder:
    def __init__(self) -> None:
        self.layers: list[list[tuple[tuple[tuple[int, sympy.Rational], ...], sympy.Rational]]] = []
        self.index: list[dict] = []

    def neuron(self, s: _Signal) -> int:
        """sigma(s) as a neuron of layer s.depth + 1 (deduplicated); returns its index."""
        while len(self.layers) <= s.depth:
            self.layers.append([])
            self.index.append({})
        key = (s.coeffs, s.const)
        table = self.index[s.depth]
        if key not in table:
            table[key] = len(self.layers[s.depth])
            self.layers[s.depth].append(key)
        return table[key]

    def relu(self, s: _Signal) -> _Signal:
        return _Signal(s.depth + 1, ((self.neuron(s), Q(1)),), Q(0), True)

    def lift(self, s: _Signal) -> _Signal:
        """The same value one layer deeper: sigma(u) if u >= 0, else sigma(u) - sigma(-u)."""
        if s.nonneg:
            return self.relu(s)
        return _Signal(s.depth + 1, ((self.neuron(s), Q(1)), (self.neuron(s.scaled(-1)), Q(-1))), Q(0), False)

    def lift_to(self, s: _Signal, depth: int) -> _Signal:
        while s.depth < depth:
            s = self.lift(s)
        return s

    def min2(self, u: _Signal, v: _Signal) -> _Signal:
        out = _add((Q(1), self.lift(u)), (Q(-1), self.relu(_add((Q(1), u), (Q(-1), v)))))
        return _Signal(out.depth, out.coeffs, out.const, u.nonneg and v.nonneg)

    def max2(self, u: _Signal, v: _Signal) -> _Signal:
        out = _add((Q(1), self.lift(v)), (Q(1), self.relu(_add((Q(1), u), (Q(-1), v)))))
        return _Signal(out.depth, out.coeffs, out.const, u.nonneg or v.nonneg)

    def tree(self, items: list[_Signal], op) -> _Signal:
        depth = max(s.depth for s in items)
        items = [self.lift_to(s, depth) for s in items]
        while len(items) > 1:
            nxt = [op(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
            if len(items) % 2:
                nxt.append(self.lift(items[-1]))
            items = nxt
        return items[0]

    def deep_square(self, u: _Signal, N: int) -> _Signal:
        """q_N(u) for a nonnegative signal u <= 1 (Yarotsky)."""
        t: _Signal = u
        acc: _Signal | None = None
        for s in range(1, N + 1):
            p = self.relu(t)
            h = self.relu(_add((Q(1), t), (Q(-1), _const(t.depth, HALF))))
            o = self.relu(_add((Q(1), t), (Q(-1), _const(t.depth, Q(1)))))
            acc = p if acc is None else self.lift(acc)  # sigma(u) = u on layer 1 of the sawtooth
            t = _add((Q(2), p), (Q(-4), h), (Q(2), o))
            t = _Signal(t.depth, t.coeffs, t.const, True)
            acc = _add((Q(1), acc), (-Q(1, 4**s), t))
            acc = _Signal(acc.depth, acc.coeffs, acc.const, True)  # q_s(u) >= u^2 >= 0
        if acc is None:   # N < 1: the target parser accepts N >= 1 only, so this is a bug
            raise ValueError(f"deep_square: N must be >= 1, got {N}")
        return acc


def _const(depth: int, c) -> _Signal:
    return _Signal(depth, (), Q(c), c >= 0)


def _compile(b: _Builder, level: Level, features: tuple[str, ...]) -> _Signal:
    if isinstance(level, Affine):
        return _Signal(0, tuple((i, Q(a)) for i, a in enumerate(level.coeffs) if a != 0), Q(level.const), False)
    if isinstance(level, ExactBall):
        return _Signal(0, ((features.index("sqnorm"), Q(-1)),), level.R2, False)
    if isinstance(level, DeepBall):
        squares = []
        for i in range(level.dim):
            xi = _Signal(0, ((i, Q(1)),), Q(0), False)
            absx = _add((Q(1), b.relu(xi)), (Q(1), b.relu(xi.scaled(-1))))
            absx = _Signal(absx.depth, absx.coeffs, absx.const, True)
            squares.append(b.deep_square(absx, level.N))
        total = _add(*[(Q(-1), s) for s in squares])
        return _Signal(total.depth, total.coeffs, total.const + level.R2, False)
    if isinstance(level, Min):
        return b.tree([_compile(b, c, features) for c in level.args], b.min2)
    if isinstance(level, Max):
        return b.tree([_compile(b, c, features) for c in level.args], b.max2)
    raise TypeError(f"unknown level node {level!r}")


def build_network(level: Level, dim: int) -> Network:
    """Compile a level-function tree into the layered network (exact weights)."""
    features = tuple(f"x{i + 1}" for i in range(dim)) + (("sqnorm",) if uses_exact_ball(level) else ())
    b = _Builder()
    g = _compile(b, level, features)
    widths = [len(features)] + [len(layer) for layer in b.layers]
    hidden = []
    for k, layer in enumerate(b.layers[: g.depth]):
        rows, bias = [], []
        for coeffs, const in layer:
            row = [Q(0)] * widths[k]
            for i, c in coeffs:
                row[i] = c
            rows.append(tuple(row))
            bias.append(const)
        hidden.append(Layer(tuple(rows), tuple(bias)))
    readout = [Q(0)] * widths[g.depth]
    for i, c in g.coeffs:
        readout[i] = c
    return Network(dim, features, tuple(hidden), tuple(readout), g.const)
