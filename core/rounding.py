"""Arithmetic and rounding rules of the scoring core.

Numbers from a policy file or from the database are read at their shortest decimal
spelling (0.4 is 0.4, not the binary float 0.40000000000000002). Arithmetic is `Decimal`
with 60 significant digits (`PRECISION`); every value is snapped to 30 decimal places
before it is rounded or compared for a tie, so a quotient such as 1/3 + 1/6 rounds as the
exact 0.5 would. Rounding happens once, at the end:

- a score is rounded to 0.01, half away from zero (87.125 → 87.13, -0.005 → -0.01);
- the lines of a breakdown are rounded so that they sum exactly to the rounded score:
  each line is cut down to whole cents, and the cents still missing go one each to the
  lines with the largest cut-off remainders (ties: the earlier line);
- money is split by the same largest-remainder method over whole fen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext

PRECISION = 60
CENT = Decimal("0.01")
SNAP = Decimal("1e-30")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
ZERO_CENTS = Decimal("0.00")
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(5)}

Number = int | float | Decimal


def arithmetic() -> AbstractContextManager[Context]:
    """The decimal context every scoring function runs in."""
    return localcontext(prec=PRECISION)


def dec(value: Number) -> Decimal:
    """`value` as a Decimal; a float is taken at its shortest decimal spelling."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Decimal(repr(value))
    return Decimal(value)


def snap(value: Decimal) -> Decimal:
    """`value` at 30 decimal places: the digits below are arithmetic noise."""
    return value.quantize(SNAP)


def to_decimal(value: Decimal, places: int = 2) -> Decimal:
    """`value` rounded half away from zero to `places` decimals."""
    quantum = _QUANTUM.get(places) or Decimal(1).scaleb(-places)
    return value.quantize(SNAP).quantize(quantum, ROUND_HALF_UP)


def to_cents(value: Decimal) -> int:
    """`value` rounded half away from zero to hundredths, as an integer count of them."""
    return int(to_decimal(value) * 100)


def cents(count: int) -> Decimal:
    """An integer number of hundredths as a two-place Decimal."""
    return Decimal(count).scaleb(-2)


def largest_remainder(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Split the integer `total` ≥ 0 in proportion to `weights` ≥ 0; the parts sum to `total`.

    Each part is first cut down to an integer; the units still missing go one each to the
    parts with the largest remainders, ties to the earlier part. All weights zero: all
    parts zero.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("largest_remainder needs a total and weights that are not negative")
    with arithmetic():
        whole = sum(weights, ZERO)
        if whole == 0:
            return [0] * len(weights)
        return _top_up([snap(total * w / whole) for w in weights], total)


def total_cents(parts: Sequence[Decimal]) -> int:
    """The sum of `parts` rounded half away from zero, in hundredths (in `arithmetic()`)."""
    total = sum(parts, ZERO).quantize(SNAP).quantize(CENT, ROUND_HALF_UP)
    return int(total.scaleb(2))


def rounded(total: Decimal) -> Decimal:
    """A sum of parts (from `ZERO`, in `arithmetic()`) as a score: `cents(total_cents(parts))`."""
    score = total.quantize(SNAP).quantize(CENT, ROUND_HALF_UP)
    return score if score else ZERO_CENTS  # −0.00 is 0.00 here, as in cents(0)


def split_cents(parts: Sequence[Decimal]) -> tuple[int, list[int]]:
    """The rounded total (in cents) of `parts`, and the parts in cents summing to it."""
    with arithmetic():
        total = total_cents(parts)
        return total, _top_up([snap(p * 100) for p in parts], total)


def _top_up(shares: list[Decimal], total: int) -> list[int]:
    floors = [int(s.to_integral_value(rounding=ROUND_FLOOR)) for s in shares]
    missing = total - sum(floors)
    # Largest remainder first; among equal remainders, the earlier part.
    order = sorted(range(len(floors)), key=lambda i: (floors[i] - shares[i], i))
    for i in order[:missing]:
        floors[i] += 1
    return floors
