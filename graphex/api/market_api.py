"""The database API's market methods: open limit orders, the order book, market subscriptions.

Names, argument orders, limits and result shapes are bitshares-core's (libraries/app/
database_api.cpp, include/graphene/app/api_objects.hpp):

- ``get_limit_orders(a, b, limit)``: up to ``limit`` orders selling ``a`` for ``b``, best first,
  then up to ``limit`` selling ``b`` for ``a`` (``limit`` <= 300 per side);
- ``get_limit_orders_by_account(account, limit?, start_id?)``: the account's orders by id;
- ``get_account_limit_orders(account, base, quote, limit, ostart_id?, ostart_price?)``: the
  account's orders selling ``base`` for ``quote``, best (highest ``base/quote``) first, with
  core's paging by order id and/or price;
- ``get_order_book(base, quote, limit)``: ``{base, quote, bids, asks}`` with one entry per order
  (core does not aggregate price levels): ``{price, quote, base, id, owner_id, owner_name,
  expiration}``; bids sell ``base``, asks sell ``quote``; ``base`` and ``quote`` echo the
  arguments as given; prices and amounts are decimal strings as core prints them
  (:mod:`graphex.api.market_format`);
- ``subscribe_to_market(callback, a, b)``, ``unsubscribe_from_market(a, b)`` and
  ``cancel_all_subscriptions()``: per-block market notices (:mod:`graphex.api.market_feed`).

Assets are named by symbol or id. Open orders are chain objects (1.7.x), so ``get_objects`` and
``get_full_accounts`` serve them too.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any, ClassVar

from ..chain.market.objects import LimitOrder, market_key
from ..chain.market.objects import book_side as chain_book_side
from ..chain.market.price import price_rank
from ..chain.objects import AssetObject
from ..chain.state import ChainState
from ..node.node import Node
from ..protocol import ids
from ..protocol.codec import Json, format_time
from ..protocol.ids import ObjectId
from ..protocol.struct import from_json
from ..protocol.types import Price
from .errors import InvalidParams
from .market_feed import MarketFeed
from .market_format import amount_to_string, price_to_string
from .queries import (
    NotFound,
    QueryRefused,
    get_account,
    get_asset,
    limit_arg,
    object_json,
    parse_typed_id,
)
from .rpc import Session

# Limits, as bitshares-core's application options (application.hpp)
MAX_LIMIT_ORDERS = 300
"""api_limit_get_limit_orders: orders per side of one get_limit_orders call."""
MAX_LIMIT_ORDERS_BY_ACCOUNT = 101
"""api_limit_get_limit_orders_by_account (also the default limit)."""
MAX_ACCOUNT_LIMIT_ORDERS = 101
"""api_limit_get_account_limit_orders (also the default limit)."""
MAX_ORDER_BOOK = 50
"""api_limit_get_order_book: orders per side of one get_order_book call."""


# -- reading the book --------------------------------------------------------------------------
def book_side(state: ChainState, sell: ObjectId, receive: ObjectId) -> Iterator[LimitOrder]:
    """Open orders selling ``sell`` for ``receive``, best price first, oldest first at a price."""
    return chain_book_side(state.db, sell, receive)


def _account_price_key(order: LimitOrder) -> tuple[int, ObjectId]:
    """core's ``by_account_price`` order within one account and market: best price, then id."""
    return price_rank(order.sell_price), order.id


def order_book_entry(state: ChainState, order: LimitOrder, base: AssetObject,
                     quote: AssetObject) -> dict[str, Json]:
    """One ``order`` of core's ``order_book``: sizes in both assets at the order's price."""
    price = order.sell_price
    converted = order.for_sale * price.quote.amount // price.base.amount
    if price.base.asset_id == base.id:
        quote_amount, base_amount = converted, order.for_sale
    else:
        quote_amount, base_amount = order.for_sale, converted
    return {
        "price": price_to_string(price, base, quote),
        "quote": amount_to_string(quote_amount, quote.precision),
        "base": amount_to_string(base_amount, base.precision),
        "id": str(order.id),
        "owner_id": str(order.seller),
        "owner_name": state.account(order.seller).name,
        "expiration": format_time(order.expiration),
    }


def _limit(method: str, limit: Any, limit_name: str, maximum: int) -> int:
    return limit_arg(method, limit, "orders", limit_name, maximum)


def _market_assets(state: ChainState, method: str, base: str, quote: str
                   ) -> tuple[AssetObject, AssetObject]:
    found = get_asset(state, base), get_asset(state, quote)
    if found[0].id == found[1].id:
        raise QueryRefused(f"{method}: base and quote are the same asset ({found[0].symbol})")
    return found


class MarketApi:
    """The market methods of the ``database`` API (mixed into :class:`DatabaseApi`)."""

    methods: ClassVar[frozenset[str]] = frozenset({
        "get_limit_orders", "get_limit_orders_by_account", "get_account_limit_orders",
        "get_order_book", "subscribe_to_market", "unsubscribe_from_market",
        "cancel_all_subscriptions",
    })

    node: Node
    _market_feed: MarketFeed | None = None

    # -- queries -------------------------------------------------------------------------------
    def get_limit_orders(self, a: str, b: str, limit: int) -> list[Json]:
        """Up to ``limit`` orders selling ``a`` for ``b``, then up to ``limit`` selling ``b`` for
        ``a``; each side best first."""
        count = _limit("get_limit_orders", limit, "api_limit_get_limit_orders", MAX_LIMIT_ORDERS)
        state = self.node.state
        asset_a, asset_b = get_asset(state, a), get_asset(state, b)
        orders = [*islice(book_side(state, asset_a.id, asset_b.id), count),
                  *islice(book_side(state, asset_b.id, asset_a.id), count)]
        return [object_json(order) for order in orders]

    def get_limit_orders_by_account(self, account_name_or_id: str, limit: int | None = None,
                                    start_id: str | None = None) -> list[Json]:
        """The account's open orders in all markets, by id, from ``start_id`` on."""
        method = "get_limit_orders_by_account"
        count = _limit(method, MAX_LIMIT_ORDERS_BY_ACCOUNT if limit is None else limit,
                       "api_limit_get_limit_orders_by_account", MAX_LIMIT_ORDERS_BY_ACCOUNT)
        state = self.node.state
        account = get_account(state, account_name_or_id)
        start = ObjectId(*ids.LIMIT_ORDER, 0) if start_id is None else \
            parse_typed_id(start_id, ids.LIMIT_ORDER, "start_id")
        owned = state.db.group(LimitOrder, "by_account").equal(account.id)
        return [object_json(o) for o in islice((o for o in owned if o.id >= start), count)]

    def get_account_limit_orders(self, account_name_or_id: str, base: str, quote: str,
                                 limit: int = MAX_ACCOUNT_LIMIT_ORDERS,
                                 ostart_id: str | None = None,
                                 ostart_price: dict[str, Any] | None = None) -> list[Json]:
        """The account's orders selling ``base`` for ``quote``, best first; pages start at the
        order ``ostart_id`` (its price, then ids from it on) or at ``ostart_price`` (orders at
        that price or worse) — both when the start order may have gone meanwhile."""
        method = "get_account_limit_orders"
        count = _limit(method, limit, "api_limit_get_account_limit_orders",
                       MAX_ACCOUNT_LIMIT_ORDERS)
        state = self.node.state
        account = get_account(state, account_name_or_id)
        base_asset, quote_asset = _market_assets(state, method, base, quote)
        start = self._account_orders_start(state, account.id, base_asset.id, quote_asset.id,
                                           ostart_id, ostart_price)
        owned = state.db.group(LimitOrder, "by_account").equal(account.id)
        in_market = sorted((o for o in owned if o.sell_asset == base_asset.id
                            and o.receive_asset == quote_asset.id), key=_account_price_key)
        if start is not None:
            in_market = [o for o in in_market if _account_price_key(o) >= start]
        return [object_json(order) for order in in_market[:count]]

    @staticmethod
    def _account_orders_start(state: ChainState, account: ObjectId, base: ObjectId,
                              quote: ObjectId, ostart_id: str | None,
                              ostart_price: dict[str, Any] | None
                              ) -> tuple[int, ObjectId] | None:
        """Where a page of get_account_limit_orders starts, as a (rank, id) key (None: first)."""
        price = None if ostart_price is None else from_json(Price, ostart_price)
        if price is not None and (price.base.asset_id, price.quote.asset_id) != (base, quote):
            raise QueryRefused("ostart_price must be a price of base/quote (base asset first)")
        if price is not None and (price.base.amount <= 0 or price.quote.amount <= 0):
            raise InvalidParams("ostart_price amounts must be positive")
        if ostart_id is None:
            if price is None:
                return None
            return price_rank(price), ObjectId(0, 0, 0)
        start_id = parse_typed_id(ostart_id, ids.LIMIT_ORDER, "ostart_id")
        order = state.db.find(start_id, LimitOrder)
        if order is None:
            if price is None:
                raise NotFound(f"order {ostart_id} does not exist (maybe just cancelled?) "
                               "and no ostart_price was given")
            return price_rank(price), start_id
        if (order.sell_asset, order.receive_asset) != (base, quote):
            raise QueryRefused(f"order {ostart_id} is not in the {base}/{quote} market")
        if order.seller != account:
            raise QueryRefused(f"order {ostart_id} is not owned by {account}")
        return _account_price_key(order)

    def get_order_book(self, base: str, quote: str, limit: int = MAX_ORDER_BOOK
                       ) -> dict[str, Json]:
        """``{base, quote, bids, asks}``: up to ``limit`` orders a side, best first."""
        method = "get_order_book"
        count = _limit(method, limit, "api_limit_get_order_book", MAX_ORDER_BOOK)
        state = self.node.state
        base_asset, quote_asset = _market_assets(state, method, base, quote)
        bids = islice(book_side(state, base_asset.id, quote_asset.id), count)
        asks = islice(book_side(state, quote_asset.id, base_asset.id), count)
        return {
            "base": base,
            "quote": quote,
            "bids": [order_book_entry(state, o, base_asset, quote_asset) for o in bids],
            "asks": [order_book_entry(state, o, base_asset, quote_asset) for o in asks],
        }

    # -- subscriptions -------------------------------------------------------------------------
    def _feed(self) -> MarketFeed:
        if self._market_feed is None:
            self._market_feed = MarketFeed(self.node)
        return self._market_feed

    def subscribe_to_market(self, callback: int, a: str, b: str, *, session: Session) -> None:
        """Notices to ``callback`` after every block that changes the a/b market (see
        :mod:`graphex.api.market_feed`); a later call for the same market replaces it."""
        if callback < 0:
            raise InvalidParams(f"subscribe_to_market: callback must be >= 0, got {callback}")
        asset_a, asset_b = _market_assets(self.node.state, "subscribe_to_market", a, b)
        self._feed().subscribe(session, callback, market_key(asset_a.id, asset_b.id))

    def unsubscribe_from_market(self, a: str, b: str, *, session: Session) -> None:
        asset_a, asset_b = _market_assets(self.node.state, "unsubscribe_from_market", a, b)
        if self._market_feed is not None:
            self._market_feed.unsubscribe(session, market_key(asset_a.id, asset_b.id))

    def cancel_all_subscriptions(self, *, session: Session) -> None:
        """Drop every market subscription of this connection."""
        if self._market_feed is not None:
            self._market_feed.drop_session(session)
