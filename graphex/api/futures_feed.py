"""Futures subscriptions: after each block, a notice to every connection subscribed to a series
whose book the block changed, or to an account whose positions or margin it changed.

Both reuse :class:`~graphex.api.market_feed.MarketFeed`'s bookkeeping (per-connection
subscriptions, limits, cleanup when the connection closes, the block and pop listeners) with
another key, and learn what a block did from its applied operations (``state.block_ops``):

- :class:`FuturesBookFeed`, key a series: ``futures_order_create`` (its series by product and
  month), ``futures_fill``, ``futures_delivery``, ``futures_series_list`` and
  ``futures_deleverage`` name the series; a cancelled order (``futures_order_cancel``, real or
  the chain's, and ``futures_order_cancelled``) no longer does, so the feed remembers the series
  of every open order of a watched series. Notice: ``{series, bids, asks}``, the top
  :data:`BOOK_NOTICE_LEVELS` price levels a side as ``get_futures_order_book`` gives them, sent
  only when that snapshot differs from the one sent before.
- :class:`FuturesPositionFeed`, key an account: every futures operation names its account
  (``futures_deleverage`` also the counterparty); an account holding a position in a series that
  traded in the block is touched too (its mark, so its equity, moved). Notice: ``{account,
  margin_accounts, positions}`` as ``get_margin_account`` / ``get_futures_positions`` give them.
  A mark that moves with a feed (``mark_price_source`` feed) is not followed.

Nothing is sent for pending transactions. Limits: :data:`MAX_FUTURES_SUBSCRIPTIONS` series and
as many accounts per connection.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..chain.futures.accounts import position_in
from ..chain.futures.objects import FuturesOrder, FuturesSeries
from ..node.node import Node
from ..protocol.codec import Json
from ..protocol.ids import ObjectId
from ..protocol.operations.futures import (
    LONG,
    SHORT,
    FuturesDeleverage,
    FuturesDelivery,
    FuturesFill,
    FuturesLiquidation,
    FuturesOrderCancel,
    FuturesOrderCancelled,
    FuturesOrderCreate,
    FuturesSeriesList,
    MarginDeposit,
    MarginWithdraw,
)
from .futures_views import book_json, book_orders, margin_accounts_json, positions_json
from .market_feed import MarketFeed

MAX_FUTURES_SUBSCRIPTIONS = 100
"""Series (and, separately, accounts) one connection may subscribe to at once."""
BOOK_NOTICE_LEVELS = 20
"""Price levels a side in a book notice."""
POSITION_NOTICE_LIMIT = 100
"""Positions a position notice lists at most (per margin account and in ``positions``)."""

_OBJECT_RESULT = 1  # operation_result's object_id_type arm
_SERIES_OPS = (FuturesFill, FuturesDelivery, FuturesSeriesList, FuturesDeleverage)
_ACCOUNT_OPS = (MarginDeposit, MarginWithdraw, FuturesOrderCreate, FuturesOrderCancel,
                FuturesOrderCancelled, FuturesFill, FuturesLiquidation, FuturesDeleverage,
                FuturesDelivery)


@dataclass
class Notice:
    """One key's notice for a block."""

    payload: Json

    def notices(self) -> list[Json]:
        return [self.payload]


class FuturesBookFeed(MarketFeed):
    """Book subscriptions by series (``subscribe_futures_book``)."""

    subscribe_method = "subscribe_futures_book"
    subscriptions_what = "series"
    subscriptions_limit_name = "MAX_FUTURES_SUBSCRIPTIONS"
    subscriptions_limit = MAX_FUTURES_SUBSCRIPTIONS

    def __init__(self, node: Node) -> None:
        self._sent: dict[ObjectId, Json] = {}
        """Per watched series, the snapshot subscribers saw last."""
        super().__init__(node)

    def _watch(self, series: ObjectId) -> None:  # type: ignore[override]
        self._open_orders[series] = set()  # type: ignore[index]
        for side in (LONG, SHORT):
            for order in book_orders(self.node.state, series, side):
                self._remember(order.id, series)  # type: ignore[arg-type]
        if series not in self._sent:
            self._sent[series] = self._snapshot(series)

    def _forget_unwatched(self) -> None:
        super()._forget_unwatched()
        for series in [s for s in self._sent if s not in self._open_orders]:
            del self._sent[series]

    def _snapshot(self, series: ObjectId) -> Json:
        return book_json(self.node.state, series, BOOK_NOTICE_LEVELS)

    def block_changes(self) -> dict[ObjectId, Notice]:  # type: ignore[override]
        state = self.node.state
        by_month = state.db.index(FuturesSeries, "by_month")
        touched: set[ObjectId] = set()
        orders: set[ObjectId] = set()
        for record in state.block_ops:
            op = record.op
            if isinstance(op, FuturesOrderCreate):
                listed = by_month.get((op.product, op.delivery_month))
                if listed is not None:
                    touched.add(listed.id)
                if record.result.which == _OBJECT_RESULT:
                    orders.add(record.result.value)
            elif isinstance(op, (FuturesOrderCancel, FuturesOrderCancelled)):
                orders.add(op.order)
            elif isinstance(op, _SERIES_OPS):
                touched.add(op.series)
                if isinstance(op, FuturesFill) and op.order is not None:
                    orders.add(op.order)
        for order_id in sorted(orders):
            order = state.db.find(order_id, FuturesOrder)
            if order is None:
                was_in = self._forget(order_id)
                if was_in is not None:
                    touched.add(was_in)  # type: ignore[arg-type]
            elif order.series in self._open_orders:
                self._remember(order_id, order.series)  # type: ignore[arg-type]
        changes: dict[ObjectId, Notice] = {}
        for series in sorted(touched):
            if series in self._open_orders:
                snapshot = self._snapshot(series)
                if snapshot != self._sent.get(series):
                    self._sent[series] = snapshot
                    changes[series] = Notice(snapshot)
        return changes


class FuturesPositionFeed(MarketFeed):
    """Position and margin subscriptions by account (``subscribe_futures_positions``)."""

    subscribe_method = "subscribe_futures_positions"
    subscriptions_what = "accounts"
    subscriptions_limit_name = "MAX_FUTURES_SUBSCRIPTIONS"
    subscriptions_limit = MAX_FUTURES_SUBSCRIPTIONS

    def _watch(self, account: ObjectId) -> None:  # type: ignore[override]
        self._open_orders[account] = set()  # type: ignore[index]  # no orders to follow

    def block_changes(self) -> dict[ObjectId, Notice]:  # type: ignore[override]
        state = self.node.state
        touched: set[ObjectId] = set()
        traded: set[ObjectId] = set()
        for record in state.block_ops:
            op = record.op
            if isinstance(op, _ACCOUNT_OPS):
                touched.add(op.account)
            if isinstance(op, FuturesDeleverage):
                touched.add(op.counterparty)
            if isinstance(op, FuturesFill):
                traded.add(op.series)
        watched = [a for a in self._open_orders if a not in touched]
        for account in watched:  # the marks of their positions moved
            if any(position_in(state, account, s) is not None  # type: ignore[arg-type]
                   for s in traded):
                touched.add(account)  # type: ignore[arg-type]
        return {account: Notice(self.notice(account)) for account in sorted(touched)
                if account in self._open_orders}

    def notice(self, account: ObjectId) -> Json:
        state = self.node.state
        return {"account": str(account),
                "margin_accounts": margin_accounts_json(state, account, POSITION_NOTICE_LIMIT),
                "positions": positions_json(state, account, POSITION_NOTICE_LIMIT)}
