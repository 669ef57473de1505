"""Integer price arithmetic, exactly as BitShares' ``asset * price`` (core: protocol/asset.cpp).

A :class:`~graphex.protocol.types.Price` is ``base / quote`` and is never reduced. Multiplying an
amount by a price converts it into the price's other asset, rounding down (``mul_down``) or up
(``mul_up``); Python integers are unbounded, so the 128-bit intermediates of core need no care.
"""

from __future__ import annotations

from ...protocol.ids import ObjectId
from ...protocol.types import Asset, Price


class PriceKey:
    """``num / den`` as a sort key compared by cross-multiplication (no division, no floats).

    The order book sorts an order selling ``base`` for ``quote`` by ``quote/base`` ascending, which
    is ``sell_price`` descending: the best offer first (core's ``by_price`` index).
    """

    __slots__ = ("den", "num")

    def __init__(self, num: int, den: int) -> None:
        self.num, self.den = num, den

    def __lt__(self, other: PriceKey) -> bool:
        return self.num * other.den < other.num * self.den

    def __le__(self, other: PriceKey) -> bool:
        return self.num * other.den <= other.num * self.den

    def __gt__(self, other: PriceKey) -> bool:
        return self.num * other.den > other.num * self.den

    def __ge__(self, other: PriceKey) -> bool:
        return self.num * other.den >= other.num * self.den

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PriceKey):
            return NotImplemented
        return self.num * other.den == other.num * self.den

    def __hash__(self) -> int:  # equal ratios hash alike
        from math import gcd

        g = gcd(self.num, self.den) or 1
        return hash((self.num // g, self.den // g))

    def __repr__(self) -> str:
        return f"PriceKey({self.num}/{self.den})"


def book_key(sell_price: Price) -> tuple[ObjectId, ObjectId, PriceKey]:
    """The order book key of an order with ``sell_price``: (sold asset, received asset, rank)."""
    return (sell_price.base.asset_id, sell_price.quote.asset_id,
            PriceKey(sell_price.quote.amount, sell_price.base.amount))


def mul_down(amount: int, asset_id: ObjectId, price: Price) -> Asset:
    """``asset(amount, asset_id) * price``: the other side of ``price``, rounded down."""
    if asset_id == price.base.asset_id:
        return Asset(amount * price.quote.amount // price.base.amount, price.quote.asset_id)
    return Asset(amount * price.base.amount // price.quote.amount, price.base.asset_id)


def mul_up(amount: int, asset_id: ObjectId, price: Price) -> Asset:
    """``asset.multiply_and_round_up(price)``: the other side of ``price``, rounded up."""
    if asset_id == price.base.asset_id:
        return Asset(-(-amount * price.quote.amount // price.base.amount), price.quote.asset_id)
    return Asset(-(-amount * price.base.amount // price.quote.amount), price.base.asset_id)


def crosses(taker: Price, maker: Price) -> bool:
    """Whether a maker selling ``maker.base`` at ``maker`` satisfies a taker selling ``taker.base``
    at ``taker`` (the maker offers at least the taker's asking rate): ``maker >= ~taker``."""
    return maker.base.amount * taker.base.amount >= taker.quote.amount * maker.quote.amount


def percent_of(value: int, percent_bp: int) -> int:
    """core's ``calculate_percent``: ``floor(value * pct / 10000)``, pct in basis points."""
    return value * percent_bp // 10000
