"""Exact numbers at the feed tool's boundaries: parsing into :class:`~fractions.Fraction` and
formatting for display.

- Config and JSON files are parsed with ``parse_float=Decimal``, so ``0.205624768946542`` arrives
  as that exact decimal; strings ``"0.2056"``, ``"1e-5"`` and ``"1605/7816"`` are accepted too.
- A ``float`` is accepted only from an exchange client (:func:`from_source_number`), converted
  through its shortest decimal text (``repr``), so ``60000.1`` becomes ``600001/10``, never the
  binary value ``60000.1000000000058…``.
- Display helpers round half up (away from zero for the magnitude) to a fixed number of places
  or significant digits; they are never used for what goes on chain.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction


def exact(value: object, what: str) -> Fraction:
    """``value`` (int, Decimal, Fraction or numeric text) as a Fraction; ``what`` names it in
    the error. Floats and booleans are refused: they are not exact."""
    if isinstance(value, (bool, float)):
        raise ValueError(  # noqa: TRY004 (one error type for every bad value)
            f"{what}: {value!r} is not exact (write it as a decimal or a string)")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what}: {value} is not a finite number")
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value.strip().replace("_", ""))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{what}: {value!r} is not a number") from None
    raise ValueError(
        f"{what}: expected a number, got {type(value).__name__} {value!r}")


def from_source_number(value: object, what: str) -> Fraction:
    """A number from an exchange response: floats go through their decimal text."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what}: {value!r} is not a finite number")
        return Fraction(repr(value))
    return exact(value, what)


def round_half_up(value: Fraction) -> int:
    """The nearest integer to a non-negative ``value``, halves rounded up (``2.5`` → ``3``)."""
    if value < 0:
        raise ValueError(f"round_half_up of a negative value {value}")
    return math.floor(value + Fraction(1, 2))


def decimal_places(value: Fraction, places: int) -> str:
    """``value`` with exactly ``places`` decimals, rounded half up: ``1605/7816, 4`` → ``0.2053``."""
    scaled = round_half_up(abs(value) * 10**places)
    sign = "-" if value < 0 and scaled else ""
    whole, frac = divmod(scaled, 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def significant(value: Fraction, digits: int = 10) -> str:
    """``value`` to ``digits`` significant digits, plain notation, trailing zeros dropped."""
    if value == 0:
        return "0"
    context = Context(prec=digits, rounding=ROUND_HALF_UP)
    quotient = context.divide(Decimal(value.numerator), Decimal(value.denominator))
    text = format(quotient, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(value: Fraction, places: int = 2) -> str:
    """A ratio as a signed percent: ``Fraction(1, 200)`` → ``+0.50%``."""
    text = decimal_places(value * 100, places)
    return text + "%" if text.startswith("-") else "+" + text + "%"
