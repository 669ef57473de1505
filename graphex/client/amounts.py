"""Exact conversion between decimal text and integer asset units (no floats anywhere).

- ``"12.5 GPX"`` at precision 5 is ``1250000`` units; more decimals than the asset's precision
  are refused, never rounded. A sign is accepted only where the caller allows it (debt and
  collateral changes of a debt position).
- A price ``"33333.33333"`` is an exact :class:`~fractions.Fraction` of whole units.
- :func:`format_units` is the inverse: ``1250000`` at precision 5 is ``"12.5"``.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .errors import AmountError

_DECIMAL = re.compile(r"^([+-]?)(\d+)(?:\.(\d+))?$|^([+-]?)\.(\d+)$")
MAX_PRECISION = 18


def split_amount(text: str) -> tuple[str, str]:
    """``"12.5 GPX"`` → ``("12.5", "GPX")``."""
    parts = text.split()
    if len(parts) != 2:
        raise AmountError(f"amount {text!r} is not '<number> <SYMBOL>' (as '12.5 GPX')")
    return parts[0], parts[1].upper()


def parse_decimal(text: str, what: str = "number") -> Fraction:
    """An exact non-float decimal: ``"1.25"`` → ``Fraction(5, 4)``."""
    match = _DECIMAL.match(text.strip())
    if match is None:
        raise AmountError(f"{what} {text!r} is not a decimal number")
    sign, whole, frac = (match.group(1), match.group(2), match.group(3) or "") \
        if match.group(2) is not None else (match.group(4), "0", match.group(5))
    value = Fraction(int(whole + frac), 10 ** len(frac))
    return -value if sign == "-" else value


def to_units(number: str, precision: int, *, symbol: str = "", signed: bool = False) -> int:
    """The integer units of decimal text ``number`` in an asset of ``precision`` decimals."""
    if not 0 <= precision <= MAX_PRECISION:
        raise AmountError(f"precision {precision} is outside 0..{MAX_PRECISION}")
    value = parse_decimal(number, "amount")
    if value < 0 and not signed:
        raise AmountError(f"amount {number} {symbol} is negative".replace("  ", " "))
    units = value * 10**precision
    if units.denominator != 1:
        raise AmountError(f"amount {number} {symbol} has more decimals than the asset's "
                          f"precision ({precision})".replace("  ", " "))
    return int(units.numerator)


def format_units(units: int, precision: int) -> str:
    """``1250000`` at precision 5 → ``"12.5"`` (no trailing zeros, no exponent)."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**precision)
    if precision == 0 or frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(frac).rjust(precision, '0').rstrip('0')}"


def format_ratio(value: Fraction, decimals: int) -> str:
    """``value`` as decimal text rounded down to ``decimals`` places (for display)."""
    scaled = value.numerator * 10**decimals // value.denominator
    return format_units(scaled, decimals)
