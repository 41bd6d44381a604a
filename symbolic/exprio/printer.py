"""The printer: canonical text that :func:`from_text` reads back to the identical expression."""
from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import S

from .grammar import _FUNCTIONS, _IDENT, _RESERVED, ExprSyntaxError
from .lexer import _int_to_digits
from .parser import from_text

# ---------------------------------------------------------------------------
# printer

_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class _Out:
    """Printed form: ``text`` binds at ``prec``; ``neg`` means text is ``"-" + body``
    for a body ``body`` of precedence ``body_prec`` (used after a binary minus)."""

    text: str
    prec: int
    neg: bool = False
    body: str = ""
    body_prec: int = _ATOM


def _wrap(out: _Out, prec: int) -> str:
    return out.text if out.prec >= prec else f"({out.text})"


class _Printer:
    def __init__(self, structural: bool) -> None:
        self.structural = structural
        self.names: dict[str, sympy.Symbol] = {}

    def p(self, e: sympy.Basic) -> _Out:
        if e.is_Integer:
            s = _int_to_digits(abs(e.p))
            if e.p < 0:
                return _Out(f"(-{s})", _ATOM) if self.structural else _Out("-" + s, _NEG, True, s)
            return _Out(s, _ATOM)
        if e.is_Rational:
            s = f"{_int_to_digits(abs(e.p))}/{_int_to_digits(e.q)}"
            if self.structural:
                return _Out(f"({'-' if e.p < 0 else ''}{s})", _ATOM)
            if e.p < 0:
                return _Out("-" + s, _MUL, True, s, _MUL)
            return _Out(s, _MUL)
        if e.is_Symbol:
            name = e.name
            if not _IDENT.fullmatch(name) or name in _RESERVED:
                raise ValueError(f"to_text: symbol name {name!r} cannot be written "
                                 "(not an identifier, or a reserved name)")
            if self.names.setdefault(name, e) != e:
                raise ValueError(f"to_text: two different symbols are named {name!r}")
            return _Out(name, _ATOM)
        if e is S.Pi:
            return _Out("pi", _ATOM)
        if e is S.Exp1:
            return _Out("E", _ATOM)
        if e is S.ImaginaryUnit:
            return _Out("sqrt(-1)", _ATOM)
        if e.is_Add:
            return self.add(e)
        if e.is_Mul:
            return self.mul(e)
        if e.is_Pow:
            return self.pow(e)
        for name, fn in _FUNCTIONS.items():
            if name != "sqrt" and type(e) is fn:
                args = ", ".join(self.p(a).text for a in e.args)
                return _Out(f"{name}({args})", _ATOM)
        if e.is_Float:
            raise ValueError(f"to_text: floats are not exact ({e}); use a Rational")
        raise ValueError(f"to_text: unsupported expression type {type(e).__name__}")

    def add(self, e: sympy.Add) -> _Out:
        if self.structural:
            return _Out("(" + " + ".join(self.p(a).text for a in e.args) + ")", _ATOM)
        parts: list[str] = []
        for i, term in enumerate(e.as_ordered_terms()):
            out = self.p(term)
            if i == 0:
                parts.append(out.text)
            elif out.neg:
                parts.append(" - " + (out.body if out.body_prec > _ADD else f"({out.body})"))
            else:
                parts.append(" + " + _wrap(out, _ADD + 1))
        return _Out("".join(parts), _ADD)

    def mul(self, e: sympy.Mul) -> _Out:
        args = list(e.args)
        if self.structural:
            return _Out("(" + "*".join(self.p(a).text for a in args) + ")", _ATOM)
        coeff = args.pop(0) if args[0].is_Rational else S.One
        neg = coeff < 0
        coeff = abs(coeff)
        num: list[sympy.Expr] = [sympy.Integer(coeff.p)] if coeff.p != 1 else []
        den: list[sympy.Expr] = [sympy.Integer(coeff.q)] if coeff.q != 1 else []
        for f in args:
            if f.is_Pow and f.exp.is_Rational and f.exp.is_negative:
                den.append(sympy.Pow(f.base, -f.exp))
            else:
                num.append(f)
        # keep an Add off the front: "-(x + 1)*y" would read as (-(x + 1))*y
        num.sort(key=lambda f: f.is_Add)
        num_outs = [self.p(f) for f in num]
        num_text = "*".join(_wrap(o, _POW) for o in num_outs) or "1"
        if neg and num and num[0].is_Add:
            num_text = "1*" + num_text
        den_texts = [_wrap(self.p(f), _POW) for f in den]
        if not den_texts:
            body = num_text
        elif len(den_texts) == 1:
            body = f"{num_text}/{den_texts[0]}"
        elif len(den) == 2 and any(f.is_Add for f in den):
            # "/(2*(x + 1))" would read as 1/(2*x + 2)
            body = f"{num_text}/" + "/".join(den_texts)
        else:
            body = f"{num_text}/({'*'.join(den_texts)})"
        if body == num_text and len(num_outs) == 1 and not num_text.startswith("1*"):
            body_prec = max(num_outs[0].prec, _POW)  # wrapped below _POW, so an atom
        else:
            body_prec = _MUL
        if neg:
            return _Out("-" + body, min(_NEG, body_prec), True, body, body_prec)
        return _Out(body, body_prec)

    def pow(self, e: sympy.Pow) -> _Out:
        base, exp = e.args
        if self.structural:
            return _Out(f"({self.p(base).text}**{self.p(exp).text})", _ATOM)
        if exp is S.Half:
            return _Out(f"sqrt({self.p(base).text})", _ATOM)
        if exp.is_Rational and exp.is_negative:
            inv = self.p(sympy.Pow(base, -exp))
            return _Out(f"1/{_wrap(inv, _POW)}", _MUL)
        # ** groups to the right, so a power needs no parentheses as an exponent
        return _Out(f"{_wrap(self.p(base), _ATOM)}**{_wrap(self.p(exp), _POW)}", _POW)


_REEVALUATIONS = 8


def _reevaluate(e: sympy.Basic) -> sympy.Basic:
    """``e`` rebuilt bottom-up with normal evaluation."""
    if not e.args:
        return e
    return e.func(*[_reevaluate(a) for a in e.args])


def _canonical(e: sympy.Basic) -> sympy.Basic:
    """Re-evaluate until SymPy's evaluation is stable: the form :func:`to_text` writes.

    Usually ``e`` itself; SymPy's merging of radicals is not always idempotent
    (``sqrt(sqrt(sqrt(-48*pi/5)))`` changes when rebuilt), nor is an
    ``evaluate=False`` expression stable.
    """
    for _ in range(_REEVALUATIONS):
        again = _reevaluate(e)
        if again == e:
            break
        e = again
    return e


def as_basic(value: object) -> sympy.Basic:
    """An in-memory number or expression as a SymPy object (ints, Fractions, mpq,
    Rationals, expressions).  Text is refused: text is read only by :func:`from_text`."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"as_basic: refusing {type(value).__name__}")
    if isinstance(value, int):
        return sympy.Integer(value)
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return sympy.Rational(int(value.numerator), int(value.denominator))
    raise TypeError(f"as_basic: cannot convert {type(value).__name__}")


def to_text(expr: sympy.Expr) -> str:
    """Canonical text of ``expr`` in the module grammar; ``from_text`` reads it back.

    Deterministic.  The result is verified before it is returned:
    ``from_text(to_text(e), names) == e`` (structural SymPy equality), where
    ``names`` maps each free symbol's name to that symbol, for every ``e`` in
    SymPy's evaluated form built from integers, rationals, ``pi``, ``E``, ``I``,
    symbols, ``+``, ``*``, ``**`` and the grammar's functions.  An expression
    not in stable evaluated form (built with ``evaluate=False``, or one of the
    nested products or radical groupings SymPy occasionally leaves, e.g.
    ``sqrt(sqrt(4/3))``) is written as its bottom-up re-evaluation, repeated
    until stable -- the same value -- and reads back as that.

    Raises ``ValueError`` for what the grammar cannot express exactly (floats,
    infinities, other functions, symbol names that are not plain identifiers
    or are reserved, literals over :data:`MAX_DIGITS` digits, text over the
    reader's limits) and ``TypeError`` for non-expressions.
    """
    if isinstance(expr, bool) or not isinstance(expr, (int, sympy.Expr)):
        raise TypeError(f"to_text: expected a sympy expression, got {type(expr).__name__}")
    if isinstance(expr, int):
        expr = sympy.Integer(expr)
    last_error: ExprSyntaxError | None = None
    target: sympy.Basic = expr
    for _ in range(_REEVALUATIONS):
        for structural in (False, True):
            printer = _Printer(structural)
            text = printer.p(target).text
            try:
                if from_text(text, printer.names) == target:
                    return text
            except ExprSyntaxError as exc:
                last_error = exc
        again = _reevaluate(target)
        if again == target:
            break
        target = again
    reason = f": {last_error}" if last_error else ""
    raise ValueError(f"to_text: cannot write {type(expr).__name__} expression so that it "
                     f"reads back exactly{reason}")



def rational_to_text(q: sympy.Rational | int) -> str:
    """Text of an exact rational: ``"1/2"``, ``"-3"`` (``rational_from_text`` reads it)."""
    if isinstance(q, bool) or not isinstance(q, (int, sympy.Rational)):
        raise TypeError(f"rational_to_text: expected a Rational or int, got {type(q).__name__}")
    q = sympy.Integer(q) if isinstance(q, int) else q
    if q.q == 1:
        return _int_to_digits(q.p)
    return f"{_int_to_digits(q.p)}/{_int_to_digits(q.q)}"
