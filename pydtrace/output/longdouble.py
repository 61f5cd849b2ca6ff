"""x87 ``long double`` arithmetic for the histogram bar scaling.

libdtrace scales histogram bars, packed-aggregation glyphs and the aggzoom
totals in ``long double`` (64-bit significand on x86).  Rounding decides
which glyph or how many bar characters a row gets, so the values that feed a
``(uint_t)(f + 0.5)`` are computed here exactly, as :class:`Fraction`, and
rounded to a 64-bit significand after every operation (round half to even).
"""

from __future__ import annotations

from fractions import Fraction

SIGNIFICAND_BITS = 64

#: ``1 / DTRACE_AGGZOOM_MAX`` as the C compiler folds it: a double.
ZOOM_FACTOR = Fraction(1 / 0.95)
_HALF = Fraction(1, 2)


def ld(x: Fraction | int) -> Fraction:
    """``x`` rounded to a long double (no overflow or subnormal handling)."""
    x = Fraction(x)
    if not x:
        return x
    n, d = abs(x.numerator), x.denominator
    shift = SIGNIFICAND_BITS - (n.bit_length() - d.bit_length())
    num, den = (n << shift, d) if shift >= 0 else (n, d << -shift)
    q, r = divmod(num, den)
    if q.bit_length() > SIGNIFICAND_BITS:
        shift -= 1
        num, den = (n << shift, d) if shift >= 0 else (n, d << -shift)
        q, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and q & 1):
        q += 1
    out = Fraction(q, 1 << shift) if shift >= 0 else Fraction(q << -shift)
    return out if x > 0 else -out


def div(a: Fraction | int, b: Fraction | int) -> Fraction:
    """``a / b`` in long double."""
    return ld(Fraction(a) / Fraction(b))


def round_index(a: Fraction | int, b: Fraction | int) -> int:
    """``(uint_t)(a / b + 0.5)`` for ``a, b >= 0``, in long double."""
    return int(ld(div(a, b) + _HALF))


def zoom(v: int) -> Fraction:
    """``(long double)|v| * (1 / DTRACE_AGGZOOM_MAX)``."""
    return ld(abs(v) * ZOOM_FACTOR)
