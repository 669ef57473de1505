"""Decimal strings of amounts and prices exactly as bitshares-core's API prints them
(libraries/app/util.cpp, ``asset_object::amount_to_string``), from integers only.

- :func:`amount_to_string`: an asset amount, every decimal of the precision kept when any is
  non-zero (``150000`` at precision 5 → ``"1.50000"``; ``100000`` → ``"1"``).
- :func:`uint128_amount_to_string`: the same with trailing zeros dropped (volumes, prices).
- :func:`price_to_string`: ``base/quote`` in whole units to 19 significant decimals.
- :func:`price_diff_percent_string`: the change from one price to another in percent, two
  decimals at most, truncated toward zero.
"""

from __future__ import annotations

from ..chain.objects import AssetObject
from ..protocol.types import Price

INT64_MAX = (1 << 63) - 1
UINT128_MAX = (1 << 128) - 1
PRICE_DIGITS = 19
"""``price_to_string`` scales by 10**19 before dividing, as core."""


def amount_to_string(amount: int, precision: int) -> str:
    """core's ``asset_object::amount_to_string``."""
    scale = 10**precision
    whole, decimals = divmod(abs(amount), scale)
    text = str(-whole if amount < 0 else whole)
    if decimals:
        if amount < 0 and whole == 0:
            text = "-0"
        text += "." + str(scale + decimals)[1:]
    return text


def asset_amount_string(asset: AssetObject, amount: int) -> str:
    return amount_to_string(amount, asset.precision)


def uint128_amount_to_string(amount: int, precision: int) -> str:
    """core's ``uint128_amount_to_string``: ``amount / 10**precision``, no trailing zeros."""
    digits = str(amount)
    if precision == 0 or amount == 0:
        return digits
    last = len(digits.rstrip("0")) - 1  # index of the last non-zero digit
    if len(digits) > precision:
        left = len(digits) - precision
        return digits[:left] + ("." + digits[left:last + 1] if last >= left else "")
    return "0." + "0" * (precision - len(digits)) + digits[:last + 1]


def raw_price_to_string(base_amount: int, quote_amount: int, base_precision: int,
                        quote_precision: int) -> str:
    """core's ``price_to_string(price, base_precision, quote_precision)``."""
    if base_amount == 0:
        return "0"
    if quote_amount == 0:
        base_amount, quote_amount = INT64_MAX, 1
    scaled = base_amount * 10**PRICE_DIGITS // quote_amount
    return uint128_amount_to_string(scaled, PRICE_DIGITS + base_precision - quote_precision)


def price_to_string(price: Price, base: AssetObject, quote: AssetObject) -> str:
    """``price`` as units of ``base`` per unit of ``quote`` (inverted when it is quote/base)."""
    if (price.base.asset_id, price.quote.asset_id) == (base.id, quote.id):
        return raw_price_to_string(price.base.amount, price.quote.amount, base.precision,
                                   quote.precision)
    if (price.base.asset_id, price.quote.asset_id) == (quote.id, base.id):
        return raw_price_to_string(price.quote.amount, price.base.amount, base.precision,
                                   quote.precision)
    raise ValueError(f"price {price} is not a price of {base.symbol}/{quote.symbol}")


def _nonzero(base_amount: int, quote_amount: int) -> tuple[int, int]:
    if base_amount == 0:
        return 1, INT64_MAX
    if quote_amount == 0:
        return INT64_MAX, 1
    return base_amount, quote_amount


def price_diff_percent_string(old: tuple[int, int], new: tuple[int, int]) -> str:
    """core's ``price_diff_percent_string`` for prices given as ``(base, quote)`` amounts of the
    same market: ``(new/old - 1) * 100`` with at most two decimals."""
    old_base, old_quote = _nonzero(*old)
    new_base, new_quote = _nonzero(*new)
    new_cross = new_base * old_quote
    old_cross = old_base * new_quote
    diff = abs(new_cross - old_cross) * 10_000 // old_cross
    text = uint128_amount_to_string(min(diff, UINT128_MAX), 2)
    return text if new_cross >= old_cross or text == "0" else "-" + text

