"""The database API's market-data reads over the history service: ``get_ticker``,
``get_24_volume``, ``get_trade_history`` and ``get_trade_history_by_sequence``.

Names, arguments and result shapes are bitshares-core's (libraries/app/database_api.cpp,
api_objects.cpp; ``reference/bitshares.md`` §6.2); every amount and price is a decimal string made
from integers (:mod:`.market_format`). ``base`` and ``quote`` are symbols or ids, in either
order; a market's data is shared by both orders and shown from the ``base`` side.

- The ticker: ``latest`` is the last maker fill's price ever; ``percent_change`` compares it with
  the last maker price more than 24 h before the head block; volumes are the makers' fills of the
  last 24 h; ``lowest_ask``/``highest_bid`` and their sizes are the best order on each side now. A
  market without fills gives the empty ticker (all ``"0"``, no ``mto_id``), as core.
- A trade is a pair of fills (maker and taker, one match): ``sequence`` is the maker fill's
  (positive), ``amount`` is in ``quote``, ``value`` in ``base``, ``type`` is ``"sell"`` when the
  maker received ``base``; ``side1`` is the maker, ``side2`` the taker. Newest first.
- ``get_trade_history(…, start, stop, …)`` covers ``stop <= time <= start``; a ``start`` of
  ``1970-01-01T00:00:00`` means now — the head block's time (core reads the wall clock; no trade
  is later than the head block).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from itertools import islice
from typing import ClassVar

from ..chain.market.objects import best_offer, market_key
from ..chain.objects import AssetObject
from ..node.history import HistoryService, HistoryUnavailable
from ..node.history.market_queries import TickerRow, fills_by_sequence, fills_by_time, ticker
from ..node.history.objects import OrderHistoryObject
from ..node.node import Node
from ..protocol import ids
from ..protocol.codec import Json, format_time, parse_time
from .market_format import (
    amount_to_string,
    price_diff_percent_string,
    price_to_string,
    raw_price_to_string,
    uint128_amount_to_string,
)
from .queries import QueryRefused, find_asset, require_count, require_non_negative

MAX_TRADE_HISTORY = 100
"""api_limit_get_trade_history: trades per get_trade_history call."""
MAX_TRADE_HISTORY_BY_SEQUENCE = 100
"""api_limit_get_trade_history_by_sequence."""
NULL_ACCOUNT = "1.2.3"
"""GRAPHENE_NULL_ACCOUNT: a trade side with no fill recorded."""
NOT_ENABLED = "Market history plugin is not enabled (this node runs without the history service)"


def market_assets(node: Node, base: str, quote: str) -> tuple[AssetObject, AssetObject]:
    """The two assets named (symbols or ids), refused as core refuses an unknown one."""
    found = []
    for side, key in (("base", base), ("quote", quote)):
        asset = find_asset(node.state, key)
        if asset is None:
            raise QueryRefused(f"Invalid {side} asset symbol: {key}")
        found.append(asset)
    return found[0], found[1]


def _oriented(pair: tuple[int, int], base: AssetObject, market_base: ids.ObjectId
              ) -> tuple[int, int]:
    """A (market base, market quote) price as (``base``, the other) amounts."""
    return pair if base.id == market_base else (pair[1], pair[0])


class MarketDataApi:
    """Mixed into the database API set: needs ``node`` and ``history`` (None: not enabled)."""

    methods: ClassVar[frozenset[str]] = frozenset({
        "get_ticker", "get_24_volume", "get_trade_history", "get_trade_history_by_sequence",
    })
    node: Node
    history: HistoryService | None

    def _history_db(self) -> sqlite3.Connection:
        if self.history is None:
            raise HistoryUnavailable(NOT_ENABLED)
        return self.history.reader()

    # -- ticker --------------------------------------------------------------------------------
    def get_ticker(self, base: str, quote: str) -> Json:
        return self._ticker(base, quote, with_book=True)

    def get_24_volume(self, base: str, quote: str) -> Json:
        full = self._ticker(base, quote, with_book=False)
        return {key: full[key] for key in ("time", "base", "quote", "base_volume",
                                           "quote_volume")}

    def _ticker(self, base: str, quote: str, *, with_book: bool) -> dict[str, Json]:
        base_asset, quote_asset = market_assets(self.node, base, quote)
        db = self._history_db()
        now = self.node.state.head_time
        market_base, market_quote = market_key(base_asset.id, quote_asset.id)
        result: dict[str, Json] = {
            "time": format_time(now), "base": base_asset.symbol, "quote": quote_asset.symbol,
            "latest": "0", "lowest_ask": "0", "lowest_ask_base_size": "0",
            "lowest_ask_quote_size": "0", "highest_bid": "0", "highest_bid_base_size": "0",
            "highest_bid_quote_size": "0", "percent_change": "0", "base_volume": "0",
            "quote_volume": "0",
        }
        row = ticker(db, market_base, market_quote, now)
        if row is None:
            return result
        result.update(self._ticker_prices(row, base_asset, quote_asset, market_base))
        if with_book:
            result.update(self._best_orders(base_asset, quote_asset))
        result["mto_id"] = str(row.id)
        return result

    @staticmethod
    def _ticker_prices(row: TickerRow, base: AssetObject, quote: AssetObject,
                       market_base: ids.ObjectId) -> dict[str, Json]:
        latest = _oriented(row.latest, base, market_base)
        fields: dict[str, Json] = {
            "latest": raw_price_to_string(*latest, base.precision, quote.precision),
        }
        if row.last_day[0] and row.last_day[1] and row.last_day != row.latest:
            last_day = _oriented(row.last_day, base, market_base)
            fields["percent_change"] = price_diff_percent_string(last_day, latest)
        base_volume, quote_volume = (row.base_volume, row.quote_volume) \
            if base.id == market_base else (row.quote_volume, row.base_volume)
        fields["base_volume"] = uint128_amount_to_string(base_volume, base.precision)
        fields["quote_volume"] = uint128_amount_to_string(quote_volume, quote.precision)
        return fields

    def _best_orders(self, base: AssetObject, quote: AssetObject) -> dict[str, Json]:
        """The best ask (an order selling ``quote``) and bid (selling ``base``), as core's
        ``get_order_book(base, quote, 1)`` prints them."""
        fields: dict[str, Json] = {}
        db = self.node.state.db
        for side, sells, receives in (("lowest_ask", quote, base), ("highest_bid", base, quote)):
            best = best_offer(db, sells.id, receives.id)
            if best is None:
                continue
            price = best.sell_price
            other = best.for_sale * price.quote.amount // price.base.amount
            base_amount, quote_amount = (other, best.for_sale) if sells is quote \
                else (best.for_sale, other)
            fields[side] = price_to_string(price, base, quote)
            fields[f"{side}_base_size"] = amount_to_string(base_amount, base.precision)
            fields[f"{side}_quote_size"] = amount_to_string(quote_amount, quote.precision)
        return fields

    # -- trades --------------------------------------------------------------------------------
    def get_trade_history(self, base: str, quote: str, start: str, stop: str, limit: int
                          ) -> list[Json]:
        """Trades with ``stop <= time <= start``, newest first, at most ``limit``."""
        require_non_negative("get_trade_history", "limit", limit)
        require_count("get_trade_history", "trades", limit, "api_limit_get_trade_history",
                      MAX_TRADE_HISTORY)
        base_asset, quote_asset = market_assets(self.node, base, quote)
        start_s, stop_s = parse_time(start), parse_time(stop)
        if start_s == 0:
            start_s = self.node.state.head_time
        market = market_key(base_asset.id, quote_asset.id)
        fills = fills_by_time(self._history_db(), *market, start_s, stop_s)
        return list(islice(self._trades(fills, base_asset, quote_asset, None), limit))

    def get_trade_history_by_sequence(self, base: str, quote: str, start: int, stop: str,
                                      limit: int) -> list[Json]:
        """Trades older than the one numbered ``start`` (and at ``stop`` or later), newest first,
        at most ``limit``; ``start`` is a trade's ``sequence`` from a previous page."""
        require_non_negative("get_trade_history_by_sequence", "limit", limit)
        require_count("get_trade_history_by_sequence", "trades", limit,
                      "api_limit_get_trade_history_by_sequence", MAX_TRADE_HISTORY_BY_SEQUENCE)
        require_non_negative("get_trade_history_by_sequence", "start", start)
        base_asset, quote_asset = market_assets(self.node, base, quote)
        stop_s = parse_time(stop)
        market = market_key(base_asset.id, quote_asset.id)
        fills = fills_by_sequence(self._history_db(), *market, -start, stop_s)
        return list(islice(self._trades(fills, base_asset, quote_asset, -start), limit))

    @staticmethod
    def _trades(fills: Iterator[OrderHistoryObject], base: AssetObject, quote: AssetObject,
                skip_sequence: int | None) -> Iterator[Json]:
        """Trades from fills in history order: a fill and the next one, when it is the other
        side of the same match (same time, the other maker flag), make one trade. The pair
        starting at ``skip_sequence`` is left out (the last trade of the previous page)."""
        current = next(fills, None)
        while current is not None:
            following = next(fills, None)
            pair = [current]
            if following is not None and following.time == current.time and \
                    following.op.is_maker != current.op.is_maker:
                pair.append(following)
                following = next(fills, None)
            if current.key.sequence != skip_sequence:
                yield _trade(pair, base, quote)
            current = following


def _trade(pair: list[OrderHistoryObject], base: AssetObject, quote: AssetObject) -> Json:
    first = pair[0].op
    if first.receives.asset_id == base.id:
        amount, value = first.pays.amount, first.receives.amount
    else:
        amount, value = first.receives.amount, first.pays.amount
    trade: dict[str, Json] = {
        "sequence": 0, "date": format_time(pair[0].time),
        "price": price_to_string(first.fill_price, base, quote),
        "amount": amount_to_string(amount, quote.precision),
        "value": amount_to_string(value, base.precision),
        "type": "", "side1_account_id": NULL_ACCOUNT, "side2_account_id": NULL_ACCOUNT,
    }
    for fill in pair:
        if fill.op.is_maker:
            trade["sequence"] = -fill.key.sequence
            trade["side1_account_id"] = str(fill.op.account_id)
            trade["type"] = "sell" if fill.op.receives.asset_id == base.id else "buy"
        else:
            trade["side2_account_id"] = str(fill.op.account_id)
    return trade
