"""Proof obligations: each a function returning a checked :class:`Claim` for the spec at hand.

The package is split by concept: :mod:`.text` (claims and their exact text),
:mod:`.decide` (exact decision procedures), :mod:`.fullbatch` (the loss lemmas),
:mod:`.path` (path enclosures, entry, rate, T(x)), :mod:`.minibatch` and :mod:`.cyclic`;
every public name is re-exported here.

Notation (docs/mathematics.md, sections 3 and 6).  For g(x) != 0 and w >= 0 the error of the head
f(w,x) = sigma(w g + 1/2) - sigma(w g - 1/2) against f°(x) is e(w,x) = (1/2 - w|g(x)|)_+;
on g = 0, f(w,x) = 1/2 = f°(x) for every w.  With rho the density of |g| under mu
(piecewise polynomial, breaks 0 = u_0 < u_1 < ... < u_m),

    L(w)   = integral_0^oo (1/2 - w u)_+^r rho(u) du,
    -L'(w) = r integral_0^oo (1/2 - w u)_+^(r-1) u rho(u) du,                      (*)

and Phi(w) = w - eta L'(w).  The obligations, and how each is discharged:

* ``monotonicity``: rho >= 0 on every piece (exact real-root isolation of each density
  polynomial), and on every w-piece of the derivation the derived L'(w) equals (*)
  (an exact identity: rational functions, or rational powers of linear forms reduced
  modulo their defining relations).  The integrand of (*) is >= 0, so L' <= 0; and for
  every u the integrand is nonincreasing in w (r >= 1), so -L' is nonincreasing.  For
  integer r also directly: the sign of L' on each piece by root isolation.
* ``asymptotic``: for w >= w* = 1/(2 u_1), L(w) = sum_k c_k B(k+1, r+1) 2^-(r+k+1)
  w^-(k+1) with c_k the coefficients of rho on (0, u_1): an identity checked by SymPy.
* ``growth``: with L = sum_k a_k w^-(k+1) there, w L(w) = A(v) = sum a_k v^k and
  w^2 (-L'(w)) = B(v) = sum (k+1) a_k v^k, v = 1/w in (0, 1/w*]; c = min B and
  Cbar = max A on [0, 1/w*] (exactly, or rigorous rational bounds around irrational
  critical points), so -L'(w) >= c/w^2 and L(w) <= Cbar/w for w >= w*; and
  (w + b/w^2)^3 - w^3 - 3b = 3b^2/w^3 + b^3/w^6 >= 0 with b = eta w^2 (-L'(w)) >= eta c
  gives Phi(w)^3 - w^3 >= 3 eta c there.  Without a finite power sum (the exact ball in
  odd d) from bounds on the density instead: with u = s/(2w),
  w^2 (-L'(w)) = r 2^-(r+1) int_0^1 (1-s)^(r-1) s rho(s/(2w)) ds >= kappa min rho and
  w L(w) <= kappa max rho, kappa = 2^-(r+1)/(r+1), min/max over [0, 1/(2w*)].
* ``entry``: t* = the first step with w_t >= w* (enclosures of the path, or exact
  iteration), and the proved bound t* <= ceil((w* - w0) / (eta (-L'(w*)))): while
  w_t < w*, w_{t+1} - w_t = eta (-L'(w_t)) >= eta (-L'(w*)) because -L' is nonincreasing.
* ``rate``: for t >= t*, w_t^3 >= w_{t*}^3 + 3 eta c (t - t*) (growth, by induction; the
  path stays in w >= w* since it is nondecreasing), hence
  L(w_t) <= Cbar / w_t <= Cbar (w_{t*}^3 + 3 eta c (t - t*))^(-1/3).
* ``pointwise``: T(x) = min{t : w_t >= 1/(2|g(x)|)}; from then on f(w_t, x) = f°(x)
  exactly (w_t is nondecreasing), before it f(w_t, x) != f°(x).  Beyond the computed
  horizon T(x) <= t* + ceil(((2|g(x)|)^-3 - w_{t*}^3) / (3 eta c)).  On g(x) = 0 the
  network gives 1/2 = f°(x) for every t.
* ``cyclic:K``: the growth lemma per slab (c_k = 0 for a slab without boundary); from
  W* = max_k w*_k on, a cycle of K steps raises w^3 by >= G = 3 eta sum_k s c_k, so the
  rate and T(x) bounds hold with (t - t*) replaced by K floor((t - t*)/K).
* mini-batches: every batch loss is a mean of per-point errors, each nonincreasing in
  w, so every step is nondecreasing on every sample path (proved); ``sampled:M``
  certifies the realized path (enclosures) up to its last step; ``dataset:N,M``
  stalls: see :func:`dataset_stall`.

Statuses: "proved" (a symbolic identity or inequality checked exactly by SymPy),
"enclosed" (rigorous ball arithmetic or exact rational computation), "numerical"
(floats; evidence only), "failed".  Every number in ``data`` is an exact string:
a rational ``p/q`` or an expression in :mod:`symbolic.exprio`'s grammar.
"""

from __future__ import annotations

from .cyclic import cyclic_entry_claim, cyclic_growth_claim
from .decide import (
    derivative_qw,
    poly_extremum,
    poly_from_flint,
    radical_zero,
    rational_function,
    rational_poly,
    rational_zero,
    sign_on_interval,
    sign_poly,
)
from .fullbatch import (
    Growth,
    asymptotic_claim,
    construction_claim,
    growth_claim,
    monotonicity_claim,
)
from .minibatch import (
    batch_losses_claim,
    dataset_stall_claim,
    minibatch_monotonicity_claim,
    path_claim,
)
from .path import (
    Entry,
    PathBounds,
    entry_claim,
    merge_paths,
    nice_below,
    pointwise_claim,
    rate_claim,
)
from .text import (
    ENCLOSED,
    FAILED,
    HALF,
    NUMERICAL,
    PROVED,
    STATUSES,
    Claim,
    Q,
    ex,
    point_text,
    short,
    to_q,
    to_rat,
    weakest,
)

__all__ = [
    'ENCLOSED', 'FAILED', 'HALF', 'NUMERICAL', 'PROVED', 'STATUSES', 'Claim', 'Entry', 'Growth',
    'PathBounds', 'Q', 'asymptotic_claim', 'batch_losses_claim', 'construction_claim',
    'cyclic_entry_claim', 'cyclic_growth_claim', 'dataset_stall_claim', 'derivative_qw',
    'entry_claim', 'ex', 'growth_claim', 'merge_paths', 'minibatch_monotonicity_claim',
    'monotonicity_claim', 'nice_below', 'path_claim', 'point_text', 'pointwise_claim',
    'poly_extremum', 'poly_from_flint', 'radical_zero', 'rate_claim', 'rational_function',
    'rational_poly', 'rational_zero', 'short', 'sign_on_interval', 'sign_poly', 'to_q', 'to_rat',
    'weakest',
]
