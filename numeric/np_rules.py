"""Quadrature rules of the float64 engine: Gauss-Legendre on [0, 1], the graded composite
rule for non-integer r, the collapsed (Duffy) rule on simplices, the cosine-mapped outer rule.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["line_rule", "simplex_rule"]


def _gl(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, wts = np.polynomial.legendre.leggauss(n)
    return (x + 1.0) / 2.0, wts / 2.0


def _graded_rule(sigma: float = 0.15, levels: int = 16, n: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Composite GL on [0,1], cells graded geometrically towards both ends (for |e|^(r-1))."""
    left = 0.5 * np.concatenate([[0.0], sigma ** np.arange(levels, -1, -1)])
    xs, ws = [], []
    gx, gw = _gl(n)
    for a, b in itertools.pairwise(left):
        xs.append(a + (b - a) * gx)
        ws.append((b - a) * gw)
    x = np.concatenate(xs)
    wv = np.concatenate(ws)
    x = np.concatenate([x, 1.0 - x[::-1]])
    wv = np.concatenate([wv, wv[::-1]])
    return x, wv


def line_rule(r: float, p: int) -> tuple[np.ndarray, np.ndarray]:
    """The rule used on every final piece of a line: exact for degree p*r when r is an integer."""
    if float(r).is_integer():
        return _gl(max(1, math.ceil((p * int(r) + 1) / 2)))
    return _graded_rule()


def simplex_rule(d: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Collapsed (Duffy) tensor Gauss-Legendre on the d-simplex: barycentric nodes (Q, d+1), weights sum 1.

    x_1 = u_1, x_2 = (1 - u_1) u_2, x_3 = (1 - u_1)(1 - u_2) u_3, Jacobian prod_k (1 - u_k)^(d-1-k):
    exact for polynomials of total degree <= 2n - d.
    """
    import itertools

    gx, gw = _gl(n)
    lams, wts = [], []
    for idx in itertools.product(range(n), repeat=d):
        u = gx[list(idx)]
        x = np.empty(d)
        rem, jac = 1.0, 1.0
        for k in range(d):
            x[k] = rem * u[k]
            jac *= (1.0 - u[k]) ** (d - 1 - k)
            rem *= 1.0 - u[k]
        lams.append(np.concatenate([[1.0 - x.sum()], x]))
        wts.append(float(np.prod(gw[list(idx)])) * jac)
    wt = np.array(wts)
    return np.array(lams), wt / wt.sum()


def _cos_rule(n: int):
    """GL in u on [0,1] pushed through x = (1 - cos(pi u)) / 2 (square-root ends become smooth)."""
    u, wu = _gl(n)
    x = 0.5 * (1.0 - np.cos(np.pi * u))
    wx = wu * 0.5 * np.pi * np.sin(np.pi * u)
    return x, wx
