"""Futures units: tick value, notional, rates in ppm (``docs/futures.md`` § Units)."""

from __future__ import annotations

from ...protocol.operations.futures import PPM, PRICE_SCALE


def tick_value(contract_size: int, underlying_precision: int, quote_precision: int) -> int | None:
    """Quote smallest units one lot gains per tick, or None when that is not a whole number ≥ 1
    (``contract_size × 10^Qp / (10^Up × 10^6)``)."""
    num: int = contract_size * 10**quote_precision
    den: int = 10**underlying_precision * PRICE_SCALE
    if contract_size <= 0 or num % den:
        return None
    return num // den


def smallest_contract_size(underlying_precision: int, quote_precision: int) -> int:
    """The smallest contract size (in U's smallest units) with a whole tick value."""
    den: int = 10**underlying_precision * PRICE_SCALE
    num: int = 10**quote_precision
    for size in range(1, 11):
        if (size * num) % den == 0:
            return size
    # den / gcd(den, num) is always a power of ten here
    return den // _gcd(den, num)


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def notional(lots: int, price: int, tv: int) -> int:
    """|lots| × price × tick value, in quote smallest units."""
    return abs(lots) * price * tv


def ppm_up(amount: int, ppm: int) -> int:
    """``ceil(amount × ppm / 10^6)`` for amount ≥ 0: requirements and fees round up."""
    return -(-amount * ppm // PPM)


def ppm_down(amount: int, ppm: int) -> int:
    return amount * ppm // PPM
