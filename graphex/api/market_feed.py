"""Market subscriptions: after each block, notices to every connection subscribed to a market
whose book the block changed (core's ``subscribe_to_market``, database_api.cpp).

A block that changes the a/b market sends the subscriber, in core's order, up to four notices
``{"method":"notice","params":[callback, [payload]]}``, each only when non-empty:

1. the block's ``fill_order`` operations in the market, ``[[[4, {fill}], [0, {}]], …]`` (core's
   ``on_applied_block``: ``vector<pair<operation, operation_result>>``);
2. the orders created in the block and still open, as full 1.7.x objects (core's new objects);
3. the orders that existed before the block, were changed by it and are still open (full
   objects; core's changed objects);
4. the ids (``"1.7.x"``) of orders that existed before the block and are gone: filled,
   cancelled, expired or culled (core's removed objects).

Orders created and gone within one block appear only through their fills, as in core. Lists are
in id order. Nothing is sent for pending transactions (core notifies per block only).

The feed learns what a block did from its applied operations (``state.block_ops``): order ids
from ``limit_order_create`` results, ``limit_order_update``/``limit_order_cancel`` (also the
chain's expiry and dust cancellations) and ``fill_order``. A gone order no longer says which
market it was in, so the feed remembers the market of every open order of a subscribed market
(from a scan of that market's book when it is first subscribed, and from each block after).
Operations run inside proposals are not recorded by the chain, so an order a proposal creates is
first seen when it is filled or changed.

Limits: at most :data:`MAX_MARKET_SUBSCRIPTIONS` markets per connection; a connection's
subscriptions end with it (``Session.on_close``) or with ``cancel_all_subscriptions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..chain.market.objects import LimitOrder, book_side, market_key
from ..node.node import Node
from ..protocol import ids
from ..protocol.block import SignedBlock
from ..protocol.codec import Json
from ..protocol.ids import ObjectId
from ..protocol.operations import (
    OPERATION,
    OPERATION_RESULT,
    FillOrder,
    LimitOrderCancel,
    LimitOrderCreate,
    LimitOrderUpdate,
)
from .queries import QueryRefused, object_json, require_count
from .rpc import Session

Market = tuple[ObjectId, ObjectId]
"""A market as its (lower asset id, higher asset id) pair."""

MAX_MARKET_SUBSCRIPTIONS = 100
"""Markets one connection may subscribe to at once (graphex; core has no limit)."""

_OBJECT_RESULT = 1  # operation_result's object_id_type arm


@dataclass
class MarketChanges:
    """What one block did to one market, as the four notice payloads."""

    fills: list[Json] = field(default_factory=list)
    new: list[Json] = field(default_factory=list)
    changed: list[Json] = field(default_factory=list)
    removed: list[Json] = field(default_factory=list)

    def notices(self) -> list[list[Json]]:
        return [p for p in (self.fills, self.new, self.changed, self.removed) if p]


class MarketFeed:
    """The market subscriptions of every connection to one node's API.

    Other per-block feeds reuse its bookkeeping by subclassing: a subscription key instead of a
    market (``_watch`` says which open orders belong to a key, ``block_changes`` what a block
    did per key, as objects with ``notices()``) and the names in the refusals below."""

    subscribe_method = "subscribe_to_market"
    subscriptions_what = "markets"
    subscriptions_limit_name = "MAX_MARKET_SUBSCRIPTIONS"
    subscriptions_limit = MAX_MARKET_SUBSCRIPTIONS

    def __init__(self, node: Node) -> None:
        self.node = node
        self._subscriptions: dict[Session, dict[Market, int]] = {}
        self._open_orders: dict[Market, set[ObjectId]] = {}
        """Open orders of each subscribed market (the markets watched)."""
        self._market_of: dict[ObjectId, Market] = {}
        node.block_listeners.append(self.on_block)
        node.pop_listeners.append(self.on_pop)

    # -- subscribers ---------------------------------------------------------------------------
    def subscribe(self, session: Session, callback: int, market: Market) -> None:
        if not session.streaming:
            raise QueryRefused(f"{self.subscribe_method} needs a WebSocket connection: "
                               "notifications cannot be pushed over HTTP")
        markets = self._subscriptions.get(session)
        if markets is None:
            session.on_close(lambda: self.drop_session(session))
            markets = self._subscriptions[session] = {}
        if market not in markets:
            require_count(self.subscribe_method, self.subscriptions_what, len(markets) + 1,
                          self.subscriptions_limit_name, self.subscriptions_limit)
        markets[market] = callback
        if market not in self._open_orders:
            self._watch(market)

    def unsubscribe(self, session: Session, market: Market) -> None:
        markets = self._subscriptions.get(session)
        if markets is not None and markets.pop(market, None) is not None:
            self._forget_unwatched()

    def drop_session(self, session: Session) -> None:
        """Forget every subscription of ``session`` (it closed or cancelled them all)."""
        markets = self._subscriptions.get(session)
        if markets is None:
            return
        if session.closed:
            del self._subscriptions[session]
        else:  # keep the entry: its close hook is registered already
            markets.clear()
        self._forget_unwatched()

    def subscribed_markets_count(self) -> int:
        """Subscriptions held, over every connection."""
        return sum(len(markets) for markets in self._subscriptions.values())

    def watched_orders(self) -> int:
        """Open orders whose market the feed remembers."""
        return len(self._market_of)

    # -- the open orders of watched markets ----------------------------------------------------
    def _watch(self, market: Market) -> None:
        self._open_orders[market] = set()
        db = self.node.state.db
        a, b = market
        for sell, receive in ((a, b), (b, a)):
            for order in book_side(db, sell, receive):
                self._remember(order.id, market)

    def _remember(self, order_id: ObjectId, market: Market) -> None:
        known = self._market_of.get(order_id)
        if known == market:
            return
        if known is not None:  # an id reused after pending transactions were dropped
            self._open_orders[known].discard(order_id)
        self._market_of[order_id] = market
        self._open_orders[market].add(order_id)

    def _forget(self, order_id: ObjectId) -> Market | None:
        market = self._market_of.pop(order_id, None)
        if market is not None:
            self._open_orders[market].discard(order_id)
        return market

    def _forget_unwatched(self) -> None:
        wanted = {m for markets in self._subscriptions.values() for m in markets}
        for market in [m for m in self._open_orders if m not in wanted]:
            for order_id in self._open_orders.pop(market):
                self._market_of.pop(order_id, None)

    def on_pop(self, block_num: int) -> None:
        """A fork switch popped a block: orders may have come back or gone; rescan the books."""
        watched = list(self._open_orders)
        self._open_orders.clear()
        self._market_of.clear()
        for market in watched:
            self._watch(market)

    # -- per block -----------------------------------------------------------------------------
    def on_block(self, block: SignedBlock, block_id: bytes) -> None:
        if not self._open_orders:
            return
        changes = self.block_changes()
        if not changes:
            return
        for session, markets in list(self._subscriptions.items()):
            for market, callback in markets.items():
                found = changes.get(market)
                if found is not None:
                    for payload in found.notices():
                        session.notify(callback, payload)

    def block_changes(self) -> dict[Market, MarketChanges]:
        """What the head block did to each watched market."""
        state = self.node.state
        changes: dict[Market, MarketChanges] = {}

        def of(market: Market) -> MarketChanges:
            return changes.setdefault(market, MarketChanges())

        created: set[ObjectId] = set()
        touched: set[ObjectId] = set()
        for record in state.block_ops:
            op = record.op
            if isinstance(op, FillOrder):
                market = market_key(op.pays.asset_id, op.receives.asset_id)
                if market in self._open_orders:
                    of(market).fills.append([OPERATION.to_json(op),
                                             OPERATION_RESULT.to_json(record.result)])
                if op.order_id[:2] == ids.LIMIT_ORDER:
                    touched.add(op.order_id)
            elif isinstance(op, LimitOrderCreate):
                if record.result.which == _OBJECT_RESULT:
                    created.add(record.result.value)
                    touched.add(record.result.value)
            elif isinstance(op, (LimitOrderCancel, LimitOrderUpdate)):
                touched.add(op.order)
        for order_id in sorted(touched):
            order = state.db.find(order_id, LimitOrder)
            if order is None:
                was_in = self._forget(order_id)
                if was_in is not None and order_id not in created:
                    of(was_in).removed.append(str(order_id))
                continue
            market = market_key(order.sell_asset, order.receive_asset)
            if market in self._open_orders:
                self._remember(order_id, market)
                found = of(market)
                (found.new if order_id in created else found.changed).append(object_json(order))
        return changes
