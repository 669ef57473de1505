"""The ``futures`` API set: the futures market over the node's head state (SPEC §7), reached with
``call ["futures", method, args]`` or through ``login``'s ``futures`` id.

Reads (shapes in :mod:`graphex.api.futures_views`; prices in ticks with a 6-decimal text):

- ``get_futures_products(limit?)`` — products by id, each with its ``symbol`` ``"GPX/USD"``;
- ``get_futures_series(product, include_delivered?)`` — a product's series by month, with
  ``name``, ``status`` (``trading``, ``closed`` from the cutoff on, ``delivered``),
  ``seconds_to_cutoff`` / ``seconds_to_delivery`` from the head block time, and the prices;
- ``get_futures_order_book(series, limit?)`` — ``{series, bids, asks}``: price levels
  ``{price, price_text, lots, orders}``, best first (longs bid, shorts ask);
- ``get_futures_orders(account, limit?)``, ``get_futures_positions(account, limit?)``;
- ``get_margin_account(account, asset)`` — balance, equity, requirements, free margin, ratio
  and positions at the marks (zeros when the account has none);
- ``get_futures_fee_pool(asset)``, ``get_delivery_prices(product)``;
- ``get_futures_trades(series, limit?)`` — matches newest first, each once (its taker side), and
  ``get_futures_ohlcv(series, bucket_seconds, start, end)`` — buckets oldest first: both from
  the node's history service (refused without it).

Notices (WebSocket only; :mod:`graphex.api.futures_feed`): ``subscribe_futures_book(callback,
series)`` / ``unsubscribe_futures_book(series)``, ``subscribe_futures_positions(callback,
account)`` / ``unsubscribe_futures_positions(account)``; they end with the connection.

A product is named by id (``1.100.x``) or pair (``"GPX/USD"``), a series by id (``1.101.x``) or
name (``"GPX/USD 2026-12"``), accounts and assets as in the database API. Unknown names are
refused as core refuses them (code 1), malformed ids as invalid params (-32602); every list is
bounded by a named limit.
"""

from __future__ import annotations

import sqlite3
from itertools import islice
from typing import ClassVar

from ..chain.futures.names import price_text
from ..chain.futures.objects import DELIVERED, FuturesOrder, FuturesProduct, FuturesSeries
from ..chain.state import ChainState
from ..node.history import HistoryService, HistoryUnavailable
from ..node.history.futures import futures_buckets, futures_trades
from ..node.node import Node
from ..protocol import ids
from ..protocol.codec import Json, format_time, parse_time
from .errors import InvalidParams
from .futures_feed import FuturesBookFeed, FuturesPositionFeed
from .futures_views import (
    book_json,
    fee_pool_json,
    margin_json,
    optional_price_text,
    order_json,
    positions_json,
    product_json,
    quote_text,
    series_json,
    series_of_product,
)
from .market_data import NOT_ENABLED
from .queries import (
    NotFound,
    QueryRefused,
    find_asset,
    get_account,
    get_asset,
    limit_arg,
    parse_typed_id,
    require_non_negative,
)
from .rpc import Session

MAX_FUTURES_PRODUCTS = 1000
"""Products per get_futures_products call."""
MAX_FUTURES_ORDER_BOOK = 50
"""Price levels per side of one get_futures_order_book call (as api_limit_get_order_book)."""
MAX_FUTURES_ORDERS = 300
"""Orders per get_futures_orders call."""
MAX_FUTURES_POSITIONS = 300
"""Positions per get_futures_positions call (and per margin account in get_margin_account)."""
MAX_FUTURES_TRADES = 1000
"""Trades per get_futures_trades call (a series keeps about max_order_his_records_per_market)."""
MAX_FUTURES_OHLCV = 200
"""Buckets per get_futures_ohlcv answer (as api_limit_get_market_history; more are cut off)."""


# -- naming products and series ------------------------------------------------------------------
def get_product(state: ChainState, text: str) -> FuturesProduct:
    """The product with id ``1.100.x`` or pair ``"U/Q"`` (symbols or asset ids)."""
    if not isinstance(text, str):
        raise InvalidParams(f"futures product must be an id or 'UNDERLYING/QUOTE', got {text!r}")
    if text[:1].isdigit() and "/" not in text:
        oid = parse_typed_id(text, ids.FUTURES_PRODUCT, "futures product id")
        found = state.db.find(oid, FuturesProduct)
    else:
        parts = text.split("/")
        if len(parts) != 2:
            raise InvalidParams(f"futures product {text!r}: expected 'UNDERLYING/QUOTE'")
        underlying, quote = find_asset(state, parts[0]), find_asset(state, parts[1])
        found = None if underlying is None or quote is None else \
            state.db.index(FuturesProduct, "by_pair").get((underlying.id, quote.id))
    if found is None:
        raise NotFound(f"no such futures product: {text!r}")
    return found


def get_series(state: ChainState, text: str) -> FuturesSeries:
    """The series with id ``1.101.x`` or name ``"U/Q YYYY-MM"``."""
    if not isinstance(text, str):
        raise InvalidParams(f"futures series must be an id or 'U/Q YYYY-MM', got {text!r}")
    if " " not in text:
        oid = parse_typed_id(text, ids.FUTURES_SERIES, "futures series id")
        found = state.db.find(oid, FuturesSeries)
    else:
        pair, _, month = text.rpartition(" ")
        year, dash, mm = month.partition("-")
        if not (dash and year.isdigit() and mm.isdigit() and len(year) == 4 and len(mm) == 2):
            raise InvalidParams(f"futures series {text!r}: expected 'U/Q YYYY-MM'")
        product = get_product(state, pair)
        found = state.db.index(FuturesSeries, "by_month").get((product.id, int(year + mm)))
    if found is None:
        raise NotFound(f"no such futures series: {text!r}")
    return found


def _callback(method: str, callback: int) -> int:
    if callback < 0:
        raise InvalidParams(f"{method}: callback must be >= 0, got {callback}")
    return callback


class FuturesApi:
    """The ``futures`` API set over one node (and its history service, for trades and OHLCV)."""

    methods: ClassVar[frozenset[str]] = frozenset({
        "get_futures_products", "get_futures_series", "get_futures_order_book",
        "get_futures_orders", "get_futures_positions", "get_margin_account",
        "get_futures_fee_pool", "get_delivery_prices", "get_futures_trades", "get_futures_ohlcv",
        "subscribe_futures_book", "unsubscribe_futures_book", "subscribe_futures_positions",
        "unsubscribe_futures_positions",
    })

    def __init__(self, node: Node, history: HistoryService | None = None) -> None:
        self.node = node
        self.history = history
        self._book_feed: FuturesBookFeed | None = None
        self._position_feed: FuturesPositionFeed | None = None

    @property
    def state(self) -> ChainState:
        return self.node.state

    # -- products and series -------------------------------------------------------------------
    def get_futures_products(self, limit: int = MAX_FUTURES_PRODUCTS) -> list[Json]:
        count = limit_arg("get_futures_products", limit, "products", "MAX_FUTURES_PRODUCTS",
                          MAX_FUTURES_PRODUCTS)
        products = islice(self.state.db.table(FuturesProduct), count)
        return [product_json(self.state, p) for p in products]

    def get_futures_series(self, product: str, include_delivered: bool = False) -> list[Json]:
        found = get_product(self.state, product)
        return [series_json(self.state, s) for s in series_of_product(self.state, found.id)
                if include_delivered or s.status != DELIVERED]

    def get_delivery_prices(self, product: str) -> list[Json]:
        """``[{series, name, delivery_month, delivery_price, delivery_price_text}]`` of the
        product's delivered series, by month."""
        found = get_product(self.state, product)
        return [{"series": str(s.id), "name": series_json(self.state, s)["name"],
                 "delivery_month": s.delivery_month, "delivery_price": s.delivery_price,
                 "delivery_price_text": optional_price_text(s.delivery_price)}
                for s in series_of_product(self.state, found.id) if s.status == DELIVERED]

    # -- book and orders -----------------------------------------------------------------------
    def get_futures_order_book(self, series_id: str, limit: int = MAX_FUTURES_ORDER_BOOK
                               ) -> Json:
        count = limit_arg("get_futures_order_book", limit, "price levels",
                          "MAX_FUTURES_ORDER_BOOK", MAX_FUTURES_ORDER_BOOK)
        series = get_series(self.state, series_id)
        return book_json(self.state, series.id, count)

    def get_futures_orders(self, account: str, limit: int = MAX_FUTURES_ORDERS) -> list[Json]:
        """The account's open futures orders, by id."""
        count = limit_arg("get_futures_orders", limit, "orders", "MAX_FUTURES_ORDERS",
                          MAX_FUTURES_ORDERS)
        owner = get_account(self.state, account)
        owned = self.state.db.group(FuturesOrder, "by_account").equal(owner.id)
        return [order_json(self.state, o) for o in islice(owned, count)]

    # -- positions and margin ------------------------------------------------------------------
    def get_futures_positions(self, account: str, limit: int = MAX_FUTURES_POSITIONS
                              ) -> list[Json]:
        """The account's positions in every quote asset at the marks (by asset, oldest first)."""
        count = limit_arg("get_futures_positions", limit, "positions", "MAX_FUTURES_POSITIONS",
                          MAX_FUTURES_POSITIONS)
        owner = get_account(self.state, account)
        return positions_json(self.state, owner.id, count)

    def get_margin_account(self, account: str, asset: str) -> Json:
        owner = get_account(self.state, account)
        margin_asset = get_asset(self.state, asset)
        return margin_json(self.state, owner.id, margin_asset.id, MAX_FUTURES_POSITIONS)

    def get_futures_fee_pool(self, asset: str) -> Json:
        return fee_pool_json(self.state, get_asset(self.state, asset).id)

    # -- history -------------------------------------------------------------------------------
    def _history(self) -> sqlite3.Connection:
        if self.history is None:
            raise HistoryUnavailable(NOT_ENABLED)
        return self.history.reader()

    def get_futures_trades(self, series_id: str, limit: int = 100) -> list[Json]:
        """``[{sequence, series, block_num, time, price, price_text, lots, taker_side}]``,
        newest first (``taker_side`` 0: the taker bought, 1: it sold)."""
        count = limit_arg("get_futures_trades", limit, "trades", "MAX_FUTURES_TRADES",
                          MAX_FUTURES_TRADES)
        series = get_series(self.state, series_id)
        trades = futures_trades(self._history(), series.id.instance, count)
        return [{"sequence": t.id, "series": str(series.id), "block_num": t.block_num,
                 "time": format_time(t.time), "price": t.price, "price_text": price_text(t.price),
                 "lots": t.lots, "taker_side": t.taker_side} for t in trades]

    def get_futures_ohlcv(self, series_id: str, bucket_seconds: int, start: str, end: str
                          ) -> list[Json]:
        """Buckets of ``bucket_seconds`` opening in ``[start, end]``, oldest first, at most
        MAX_FUTURES_OHLCV: prices in ticks (and text), ``volume`` in lots, ``quote_volume`` in
        the quote asset's smallest units."""
        method = "get_futures_ohlcv"
        require_non_negative(method, "bucket_seconds", bucket_seconds)
        series = get_series(self.state, series_id)
        db = self._history()
        kept = self.history.config.bucket_sizes_s  # type: ignore[union-attr]
        if bucket_seconds not in kept:
            raise QueryRefused(f"{method}: bucket_seconds {bucket_seconds} is not kept; "
                               f"the sizes kept are {', '.join(map(str, kept))}")
        found = futures_buckets(db, series.id.instance, bucket_seconds, parse_time(start),
                                parse_time(end), MAX_FUTURES_OHLCV)
        tv = series.tick_value
        return [{
            "series": str(series.id), "seconds": b.seconds, "open_time": format_time(b.open_time),
            **{name: getattr(b, name) for name in ("open", "high", "low", "close")},
            **{f"{name}_text": price_text(getattr(b, name))
               for name in ("open", "high", "low", "close")},
            "volume": b.volume, "quote_volume": b.price_volume * tv,
            "quote_volume_text": quote_text(self.state, series.quote, b.price_volume * tv),
        } for b in found]

    # -- subscriptions -------------------------------------------------------------------------
    def _books(self) -> FuturesBookFeed:
        if self._book_feed is None:
            self._book_feed = FuturesBookFeed(self.node)
        return self._book_feed

    def _positions(self) -> FuturesPositionFeed:
        if self._position_feed is None:
            self._position_feed = FuturesPositionFeed(self.node)
        return self._position_feed

    def subscribe_futures_book(self, callback: int, series_id: str, *, session: Session) -> None:
        """``{series, bids, asks}`` (top levels) to ``callback`` after every block that changes
        them; a later call for the same series replaces the callback."""
        cb = _callback("subscribe_futures_book", callback)
        series = get_series(self.state, series_id)
        self._books().subscribe(session, cb, series.id)  # type: ignore[arg-type]

    def unsubscribe_futures_book(self, series_id: str, *, session: Session) -> None:
        series = get_series(self.state, series_id)
        if self._book_feed is not None:
            self._book_feed.unsubscribe(session, series.id)  # type: ignore[arg-type]

    def subscribe_futures_positions(self, callback: int, account: str, *,
                                    session: Session) -> None:
        """``{account, margin_accounts, positions}`` to ``callback`` after every block that
        changes the account's futures positions or margin."""
        cb = _callback("subscribe_futures_positions", callback)
        owner = get_account(self.state, account)
        self._positions().subscribe(session, cb, owner.id)  # type: ignore[arg-type]

    def unsubscribe_futures_positions(self, account: str, *, session: Session) -> None:
        owner = get_account(self.state, account)
        if self._position_feed is not None:
            self._position_feed.unsubscribe(session, owner.id)  # type: ignore[arg-type]

    def subscription_counts(self) -> dict[str, int]:
        """Futures subscriptions held over every connection (for tests and metrics)."""
        books, positions = self._book_feed, self._position_feed
        return {"futures_books": 0 if books is None else books.subscribed_markets_count(),
                "futures_positions": 0 if positions is None
                else positions.subscribed_markets_count()}
