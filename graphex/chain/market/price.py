"""Integer price arithmetic, exactly as BitShares' ``asset * price`` (core: protocol/asset.cpp).

A :class:`~graphex.protocol.types.Price` is ``base / quote`` and is never reduced. Multiplying an
amount by a price converts it into the price's other asset, rounding down (``mul_down``) or up
(``mul_up``); Python integers are unbounded, so the 128-bit intermediates of core need no care.
"""

from __future__ import annotations

from ...protocol.ids import ObjectId
from ...protocol.types import Asset, Price

RANK_SHIFT = 128
"""``rank = (quote << 128) // base`` orders prices exactly: amounts are below 2^63, so two different
ratios ``q1/b1 != q2/b2`` differ by at least ``1/(b1*b2) > 2^-126``, and scaled by 2^128 their
floors differ by at least 3; equal ratios give equal ranks. Comparisons stay in C (plain ints)."""


def price_rank(sell_price: Price) -> int:
    """The book rank of an order with ``sell_price``: ``quote/base`` scaled, ascending = best."""
    return (sell_price.quote.amount << RANK_SHIFT) // sell_price.base.amount


SIDE_SHIFT = 192
"""Ranks are below 2^191 (``quote < 2^63``), so a book key keeps the side in the bits above 192."""


def side_key(sell: ObjectId, receive: ObjectId) -> int:
    """The lowest book key of the orders selling ``sell`` for ``receive``; the side's keys are
    ``[side_key, side_key + 2^192)``."""
    return (sell.instance << 48 | receive.instance) << SIDE_SHIFT


def book_key(sell_price: Price) -> int:
    """The order book key of an order with ``sell_price``: its side, then its rank, in one int
    (plain-int comparisons keep the book's sorted list in C). Ascending is ``sell_price``
    descending within a side: the best offer first (core's ``by_price`` index)."""
    return side_key(sell_price.base.asset_id, sell_price.quote.asset_id) | price_rank(sell_price)


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
