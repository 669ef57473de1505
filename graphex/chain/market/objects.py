"""The limit order object (1.7.x) and its indexes, with BitShares' field names and order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from ...protocol import ids
from ...protocol.ids import ObjectId
from ...protocol.operations.market import AutoAction
from ...protocol.types import AccountId, Asset, Int64, LimitOrderId, Price, TimeSec, UInt128
from ..database import Database, GroupIndex, Object, OrderedIndex
from .price import SIDE_SHIFT, book_key, side_key

NO_FEE = Asset(0, ids.CORE_ASSET)


class LimitOrder(Object, kw_only=True):
    """1.7.x: an open order selling ``for_sale`` of ``sell_price.base`` at ``sell_price``.

    ``deferred_fee`` (core) and ``deferred_paid_fee`` (the asset the creation fee was paid in, when
    not core) are held on the order until its first fill (then they become fees) or its cancellation
    (then they are refunded), as core's hard fork 445/604 rules.
    """

    kind: ClassVar[tuple[int, int]] = ids.LIMIT_ORDER
    expiration: TimeSec
    seller: AccountId
    for_sale: Int64
    sell_price: Price
    filled_amount: UInt128 = 0
    deferred_fee: Int64 = 0
    deferred_paid_fee: Asset = NO_FEE
    is_settled_debt: bool = False
    on_fill: tuple[AutoAction, ...] = ()
    take_profit_order_id: LimitOrderId | None = None

    @property
    def sell_asset(self) -> ObjectId:
        return self.sell_price.base.asset_id

    @property
    def receive_asset(self) -> ObjectId:
        return self.sell_price.quote.asset_id

    def amount_for_sale(self) -> Asset:
        return Asset(self.for_sale, self.sell_price.base.asset_id)


ID_BITS = 48
"""Index keys end with the order's 48-bit instance, so every key is one unique int: the sorted
lists compare plain ints and never fall back to comparing ids on ties (many orders share a price
or never expire)."""


def register_market_tables(db: Database) -> None:
    db.register(
        LimitOrder,
        OrderedIndex("by_price", lambda o: book_key(o.sell_price) << ID_BITS | o.id.instance),
        OrderedIndex("by_expiration", lambda o: o.expiration << ID_BITS | o.id.instance),
        GroupIndex("by_account", lambda o: o.seller),
    )


def _side_bounds(sell: ObjectId, receive: ObjectId) -> tuple[int, int]:
    lo = side_key(sell, receive)
    return lo << ID_BITS, (lo + (1 << SIDE_SHIFT)) << ID_BITS


def book_side(db: Database, sell: ObjectId, receive: ObjectId) -> Iterator[LimitOrder]:
    """The orders selling ``sell`` for ``receive``, best price first, then oldest."""
    lo, hi = _side_bounds(sell, receive)
    return db.ordered(LimitOrder, "by_price").range(lo, hi)


def best_offer(db: Database, sell: ObjectId, receive: ObjectId) -> LimitOrder | None:
    """The best order selling ``sell`` for ``receive`` (the front of that side), or None."""
    lo, hi = _side_bounds(sell, receive)
    found = db.ordered(LimitOrder, "by_price").first_from(lo)
    if found is None or found[0] >= hi:
        return None
    return found[1]


def order_holdings(orders: Iterable[LimitOrder]) -> Iterable[tuple[ObjectId, int]]:
    """What open orders hold: the amount for sale and the deferred creation fees."""
    for order in orders:
        yield order.sell_price.base.asset_id, order.for_sale
        if order.deferred_fee:
            yield ids.CORE_ASSET, order.deferred_fee
        if order.deferred_paid_fee.amount:
            yield order.deferred_paid_fee.asset_id, order.deferred_paid_fee.amount


def market_key(a: ObjectId, b: ObjectId) -> tuple[ObjectId, ObjectId]:
    """A market's canonical (lower id, higher id) pair."""
    return (a, b) if a < b else (b, a)

