"""A bounded cache of :func:`symbolic.loss.derive`, for the engines' run calls.

Every ``Engine.run`` (exact, mp, arb: the full-batch derivation and each cyclic slab's)
used to re-derive the spec's loss: regions, densities, SymPy ``cancel`` of the pieces,
about 16 ms on the interval and seconds on deep networks, which swamped short runs.
:func:`derived` derives once per key and keeps the last :data:`MAXSIZE` derivations
(least recently used evicted first).

The key.  ``(spec, spec.network, prover)``: the spec (frozen, hashable: target, domain,
r, measure), the network it builds (the exact weights, so a network that is not the
spec's own construction never meets another's derivation), and ``prover``, the
identities of the functions :func:`symbolic.loss.derive` calls, looked up in their
modules at call time.  The last part matters for the mutation tests
(``tests/test_checker_mutations.py``): they replace a prover function by a wrong one
in every module; the key then changes, so a derivation cached before the injection is
never served after it.

Certification does not use this cache at all (``proofs.certificate`` calls ``derive``
itself and builds its batch plans with ``cache=False``): a certificate is always derived
afresh, whatever an earlier run in the same process left behind.

A cached :class:`Derivation` is shared between callers; nothing in the package mutates
one after ``derive`` (``symbolic.iterate.piece_forms`` keeps its forms beside the pieces,
keyed by the pieces' identity).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from .derivation import Derivation
from .spec import Spec

#: derivations kept (one per spec and slab; a cyclic:K run of one spec needs K + 1)
MAXSIZE = 64

_lock = threading.Lock()
_cache: OrderedDict[Hashable, Derivation] = OrderedDict()
stats = {"hits": 0, "misses": 0}


def _prover_identity() -> tuple[int, ...]:
    """The identities of the functions derive() calls, as its modules hold them now."""
    from . import ball, loss, network, pushforward, regions

    return (id(loss.derive), id(loss.linear_regions), id(loss.signed_density), id(loss.abs_density),
            id(loss.padded_at_zero), id(loss.loss_from_abs_density), id(loss.asymptotic_coefficients),
            id(loss.head_error_check), id(loss.check_region_estimate), id(network.build_network),
            id(regions.linear_regions), id(pushforward.signed_density), id(pushforward.abs_density),
            id(ball.derive_exact_ball))


def derived(spec: Spec) -> Derivation:
    """``symbolic.loss.derive(spec)``, derived once per (spec, network, prover functions)."""
    from . import loss

    key = (spec, spec.network, _prover_identity())
    with _lock:
        d = _cache.get(key)
        if d is not None:
            _cache.move_to_end(key)
            stats["hits"] += 1
            return d
    d = loss.derive(spec)     # outside the lock: derivations of different specs may overlap
    with _lock:
        stats["misses"] += 1
        _cache[key] = d
        _cache.move_to_end(key)
        while len(_cache) > MAXSIZE:
            _cache.popitem(last=False)
    return d


def clear() -> None:
    """Forget every cached derivation."""
    with _lock:
        _cache.clear()
