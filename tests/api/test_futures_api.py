"""The ``futures`` API set over a real served node (loopback HTTP and WebSocket), the real futures
engine and the real history service: products and series, the aggregated book, orders, positions
and margin figures (hand-computed), the fee pool, trades and OHLCV from real fills, the cutoff and
delivery, refusals and limits, book and position notices per block, and pre-orders broadcast into
the node's waiting pool.

The market is GPX (1.3.0, precision 5) / BTC (1.3.1, precision 8), one GPX per lot: tick value
100 satoshis; alice and bob each keep 1 BTC of margin. The devnet starts on 2026-01-01 (T0).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from graphex.api.futures_api import MAX_FUTURES_ORDER_BOOK
from graphex.node.node import Node
from graphex.protocol.codec import format_time, parse_time
from graphex.protocol.operations import Transfer
from graphex.protocol.operations.base import Operation
from graphex.protocol.operations.futures import LONG, SHORT, FuturesOrderCreate, MarginDeposit
from graphex.protocol.struct import codec_of
from graphex.protocol.transaction import SignedTransaction
from graphex.protocol.types import Asset
from tests.api.test_market_api import WsClient
from tests.node.test_futures_history import deposit_both
from tests.node.test_history import T0, account, produce
from tests.node.test_waiting_pool import BTC, GPX, PRODUCT, list_product, signed
from tests.served import TIMEOUT_S, Served, serve

JANUARY = "GPX/BTC 2026-01"
EXECUTION_ERROR, INVALID_PARAMS = 1, -32602
BOOK_CB, POSITIONS_CB, BROADCAST_CB = 7, 8, 9
_SIGNED_TX = codec_of(SignedTransaction)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path)


@pytest.fixture
def market(served: Served) -> Served:
    served.on_loop(lambda node: (list_product(node), deposit_both(node)))
    return served


# -- helpers -----------------------------------------------------------------------------------
def call(served: Served, method: str, *args: Any) -> Any:
    return served.call(method, *args, api="futures")


def error(served: Served, method: str, *args: Any) -> dict[str, Any]:
    reply = served.reply(method, *args, api="futures")
    assert "error" in reply, reply
    return reply["error"]  # type: ignore[no-any-return]


def push(served: Served, who: str, op: Operation) -> Any:
    return served.on_loop(lambda node: node.push_transaction(signed(node, who, op)))


def order(served: Served, who: str, side: int, lots: int, price: int,
          month: int = 202601) -> None:
    push(served, who, FuturesOrderCreate(Asset(0, GPX), served.on_loop(
        lambda node: account(node, who)), PRODUCT, month, side, lots, price))


def produce_at(served: Served, when: str | None = None) -> None:
    served.on_loop(lambda node: produce(node, None if when is None else parse_time(when)))


def head_time(served: Served) -> int:
    return served.on_loop(lambda node: node.state.head_time)  # type: ignore[no-any-return]


def build_book(served: Served) -> None:
    """alice asks 2 + 1 lots at 0.051 and 1 at 0.052; bob bids 3 at 0.049 and 1 at 0.048."""
    for lots, price in ((2, 51_000), (1, 51_000), (1, 52_000)):
        order(served, "alice", SHORT, lots, price)
    for lots, price in ((3, 49_000), (1, 48_000)):
        order(served, "bob", LONG, lots, price)
    produce_at(served)


def level(price: int, lots: int, orders: int) -> dict[str, Any]:
    return {"price": price, "price_text": f"0.{price:06d}", "lots": lots, "orders": orders}


# -- products and series -----------------------------------------------------------------------
def test_the_futures_api_is_named_by_login_and_lists_products(served: Served) -> None:
    api_id = served.call("get_api_by_name", "futures", api=1)
    assert isinstance(api_id, int) and api_id >= 2
    assert served.call("futures", api=1) == api_id
    assert call(served, "get_futures_products") == []
    served.on_loop(list_product)
    assert call(served, "get_futures_products") == [{
        "id": "1.100.0", "owner": served.call("get_account_by_name", "alice")["id"],
        "underlying": "1.3.0", "quote": "1.3.1",
        "parameters": {"contract_size": 100_000, "initial_margin_ppm": 100_000,
                       "maintenance_margin_ppm": 50_000, "trade_fee_ppm": 100,
                       "liquidation_fee_ppm": 5_000, "delivery_fee_ppm": 100,
                       "mark_price_source": 0, "extensions": []},
        "tick_value": 100, "symbol": "GPX/BTC",
    }]


def test_a_products_series_with_names_status_and_times(market: Served) -> None:
    series = call(market, "get_futures_series", "GPX/BTC")
    now = head_time(market)
    assert [(s["id"], s["name"], s["delivery_month"], s["status"]) for s in series] == [
        ("1.101.0", "GPX/BTC 2026-01", 202601, "trading"),
        ("1.101.1", "GPX/BTC 2026-02", 202602, "trading"),
        ("1.101.2", "GPX/BTC 2026-03", 202603, "trading"),
        ("1.101.3", "GPX/BTC 2026-06", 202606, "trading"),
    ]
    january = series[0]
    assert january["cutoff_time"] == "2026-01-31T23:30:00"
    assert january["delivery_time"] == "2026-02-01T00:00:00"
    assert january["seconds_to_cutoff"] == parse_time("2026-01-31T23:30:00") - now
    assert january["seconds_to_delivery"] == parse_time("2026-02-01T00:00:00") - now
    assert (january["mark_price"], january["mark_price_text"]) == (0, None)
    assert (january["open_interest"], january["tick_value"]) == (0, 100)
    assert call(market, "get_futures_series", "1.100.0") == series
    assert call(market, "get_futures_series", "1.3.0/1.3.1", True) == series
    assert call(market, "get_delivery_prices", "GPX/BTC") == []


# -- the book and orders -----------------------------------------------------------------------
def test_the_book_aggregates_price_levels_best_first(market: Served) -> None:
    build_book(market)
    book = call(market, "get_futures_order_book", JANUARY)
    assert book == {"series": "1.101.0",
                    "bids": [level(49_000, 3, 1), level(48_000, 1, 1)],
                    "asks": [level(51_000, 3, 2), level(52_000, 1, 1)]}
    assert call(market, "get_futures_order_book", "1.101.0", 1) == {
        "series": "1.101.0", "bids": [level(49_000, 3, 1)], "asks": [level(51_000, 3, 2)]}
    assert call(market, "get_futures_order_book", "1.101.1") == {
        "series": "1.101.1", "bids": [], "asks": []}

    orders = call(market, "get_futures_orders", "alice")
    assert [(o["id"], o["side"], o["lots"], o["price_text"], o["name"]) for o in orders] == [
        ("1.102.0", SHORT, 2, "0.051000", JANUARY), ("1.102.1", SHORT, 1, "0.051000", JANUARY),
        ("1.102.2", SHORT, 1, "0.052000", JANUARY)]
    assert orders[0]["locked"] == 2 * 51_000 * 100 // 10  # initial margin 10% of notional
    assert [o["id"] for o in call(market, "get_futures_orders", "alice", 2)] == \
        ["1.102.0", "1.102.1"]


def test_a_trade_moves_positions_margin_fee_pool_trades_and_candles(market: Served) -> None:
    build_book(market)
    order(market, "bob", LONG, 3, 51_000)  # takes alice's 2 then 1 lots at 0.051
    produce_at(market)
    fees = (2 * 51_000 * 100 // 10_000, 1 * 51_000 * 100 // 10_000)  # 0.01% each side
    assert fees == (1020, 510)

    [bob] = call(market, "get_futures_positions", "bob")
    assert bob == {
        "id": bob["id"], "series": "1.101.0", "name": JANUARY, "lots": 3, "cost": 15_300_000,
        "average_entry_price_text": "0.051000", "mark_price": 51_000,
        "mark_price_text": "0.051000", "notional": 15_300_000, "unrealized_pnl": 0,
        "unrealized_pnl_text": "0", "realized_pnl": 0,
        "estimated_liquidation_price": None, "estimated_liquidation_price_text": None,
    }
    [alice] = call(market, "get_futures_positions", "alice")
    assert (alice["lots"], alice["cost"], alice["average_entry_price_text"]) == \
        (-3, -15_300_000, "0.051000")
    # alice's slack 99 233 470 spread over a short of 3 lots: mark + 315 027 ticks
    assert alice["estimated_liquidation_price"] == 366_027
    assert alice["estimated_liquidation_price_text"] == "0.366027"

    margin = call(market, "get_margin_account", "bob", "BTC")
    balance = 100_000_000 - sum(fees)
    locked = (3 * 49_000 + 48_000) * 100 // 10  # bob's two bids
    assert {k: v for k, v in margin.items() if k not in ("id", "positions")} == {
        "owner": bob_id(market), "asset": "1.3.1",
        "balance": balance, "balance_text": "0.99998470",
        "locked": locked, "locked_text": "0.01950000",
        "equity": balance, "equity_text": "0.99998470",
        "unrealized_pnl": 0, "unrealized_pnl_text": "0",
        "notional": 15_300_000, "maintenance_requirement": 765_000,
        "initial_requirement": 1_530_000,
        "free_margin": balance - 1_530_000 - locked, "free_margin_text": "0.96518470",
        "margin_ratio_ppm": balance * 1_000_000 // 15_300_000, "liquidating": False,
    }
    assert margin["positions"] == [bob]
    assert call(market, "get_margin_account", "carol", "BTC")["equity"] == 0
    assert call(market, "get_futures_fee_pool", "BTC") == {
        "asset": "1.3.1", "balance": 2 * sum(fees), "trade_fees": 2 * sum(fees),
        "liquidation_fees": 0, "delivery_fees": 0, "balance_text": "0.00003060"}
    assert call(market, "get_futures_fee_pool", "GPX")["balance"] == 0

    when = format_time(head_time(market))
    trades = call(market, "get_futures_trades", JANUARY)
    assert [(t["lots"], t["price_text"], t["taker_side"], t["time"]) for t in trades] == [
        (1, "0.051000", LONG, when), (2, "0.051000", LONG, when)]
    assert call(market, "get_futures_trades", "1.101.0", 1) == trades[:1]
    [candle] = call(market, "get_futures_ohlcv", JANUARY, 60, format_time(T0),
                    format_time(T0 + 3600))
    assert candle == {
        "series": "1.101.0", "seconds": 60, "open_time": format_time(T0),
        "open": 51_000, "high": 51_000, "low": 51_000, "close": 51_000,
        "open_text": "0.051000", "high_text": "0.051000", "low_text": "0.051000",
        "close_text": "0.051000", "volume": 3, "quote_volume": 15_300_000,
        "quote_volume_text": "0.15300000"}


def bob_id(served: Served) -> str:
    return str(served.call("get_account_by_name", "bob")["id"])


# -- the cutoff and delivery -------------------------------------------------------------------
def test_a_series_closes_at_its_cutoff_and_delivers_at_its_price(market: Served) -> None:
    order(market, "alice", SHORT, 1, 51_000)
    order(market, "bob", LONG, 1, 51_000)
    produce_at(market)
    produce_at(market, "2026-01-31T23:30:00")
    january = call(market, "get_futures_series", "GPX/BTC")[0]
    assert (january["status"], january["seconds_to_cutoff"], january["seconds_to_delivery"]) \
        == ("closed", 0, 1800)

    produce_at(market, "2026-02-01T00:00:00")
    assert [s["name"] for s in call(market, "get_futures_series", "GPX/BTC")] == [
        "GPX/BTC 2026-02", "GPX/BTC 2026-03", "GPX/BTC 2026-06", "GPX/BTC 2026-09"]
    delivered = call(market, "get_futures_series", "GPX/BTC", True)[0]
    assert (delivered["status"], delivered["seconds_to_delivery"]) == ("delivered", 0)
    # no spot trade and no series trade on the last day: the series' latest day, 0.051
    assert call(market, "get_delivery_prices", "GPX/BTC") == [{
        "series": "1.101.0", "name": JANUARY, "delivery_month": 202601,
        "delivery_price": 51_000, "delivery_price_text": "0.051000"}]
    assert call(market, "get_futures_positions", "bob") == []
    assert call(market, "get_futures_fee_pool", "BTC")["delivery_fees"] == 2 * 510


# -- refusals and limits -----------------------------------------------------------------------
def test_unknown_names_malformed_ids_and_limits_are_refused(market: Served) -> None:
    def refused(code: int, text: str, method: str, *args: Any) -> None:
        found = error(market, method, *args)
        assert found["code"] == code and text in found["message"], found

    refused(EXECUTION_ERROR, "no such futures product: 'BTC/GPX'", "get_futures_series",
            "BTC/GPX")
    refused(EXECUTION_ERROR, "no such futures product: 'GPX/XYZ'", "get_delivery_prices",
            "GPX/XYZ")
    refused(INVALID_PARAMS, "is not a 1.100.x id", "get_futures_series", "1.2.0")
    refused(INVALID_PARAMS, "expected 'UNDERLYING/QUOTE'", "get_futures_series", "GPX")
    refused(EXECUTION_ERROR, "no such futures series: '1.101.99'", "get_futures_order_book",
            "1.101.99")
    refused(EXECUTION_ERROR, "no such futures series: 'GPX/BTC 2027-01'",
            "get_futures_trades", "GPX/BTC 2027-01")
    refused(INVALID_PARAMS, "expected 'U/Q YYYY-MM'", "get_futures_order_book",
            "GPX/BTC 2026-1")
    refused(EXECUTION_ERROR, f"51 price levels requested, more than MAX_FUTURES_ORDER_BOOK = "
            f"{MAX_FUTURES_ORDER_BOOK}", "get_futures_order_book", JANUARY, 51)
    refused(INVALID_PARAMS, "limit must be >= 0", "get_futures_trades", JANUARY, -1)
    refused(EXECUTION_ERROR, "more than MAX_FUTURES_TRADES = 1000", "get_futures_trades",
            JANUARY, 1001)
    refused(EXECUTION_ERROR, "no such account: 'nobody'", "get_futures_orders", "nobody")
    refused(EXECUTION_ERROR, "no such asset: 'XYZ'", "get_margin_account", "bob", "XYZ")
    refused(EXECUTION_ERROR, "bucket_seconds 61 is not kept; the sizes kept are 60, 300",
            "get_futures_ohlcv", JANUARY, 61, format_time(T0), format_time(T0 + 60))
    refused(INVALID_PARAMS, "argument 2 (include_delivered) expects boolean",
            "get_futures_series", "GPX/BTC", "yes")
    refused(EXECUTION_ERROR, "subscribe_futures_book needs a WebSocket connection",
            "subscribe_futures_book", BOOK_CB, JANUARY)


def test_trades_and_candles_need_the_history_service(tmp_path: Path) -> None:
    for served in serve(tmp_path, with_history=False):
        served.on_loop(list_product)
        found = error(served, "get_futures_trades", JANUARY)
        assert found["code"] == EXECUTION_ERROR
        assert "Market history plugin is not enabled" in found["message"]
        assert call(served, "get_futures_order_book", JANUARY)["bids"] == []


# -- notices -----------------------------------------------------------------------------------
class FuturesWs(WsClient):
    """The market tests' WebSocket client, calling a named API set."""

    async def on(self, api: str, method: str, *args: Any) -> Any:
        self._next_id += 1
        await self.ws.send_json({"jsonrpc": "2.0", "id": self._next_id, "method": "call",
                                 "params": [api, method, list(args)]})
        while True:
            data = await self._receive()
            if data.get("method") == "notice":
                self.notices.append(data["params"])
            elif data.get("id") == self._next_id:
                assert "error" not in data, data
                return data["result"]

    async def notices_by_callback(self, count: int) -> dict[int, Any]:
        found = [await self.notice() for _ in range(count)]
        return {callback: payload for callback, [payload] in found}


@asynccontextmanager
async def ws_to(served: Served) -> AsyncIterator[FuturesWs]:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with (aiohttp.ClientSession(timeout=timeout) as session,
                session.ws_connect(served.ws_url) as ws):
        yield FuturesWs(ws)


def give_carol_margin(node: Node) -> None:
    node.push_transaction(signed(node, "alice", Transfer(
        Asset(0, GPX), account(node, "alice"), account(node, "carol"), Asset(10_000_000, BTC))))
    produce(node)
    node.push_transaction(signed(node, "carol", MarginDeposit(
        Asset(0, GPX), account(node, "carol"), Asset(10_000_000, BTC))))
    produce(node)


def test_book_and_position_notices_follow_each_block(market: Served) -> None:
    market.on_loop(give_carol_margin)

    async def scenario() -> None:
        async with ws_to(market) as client:
            assert await client.on("futures", "subscribe_futures_book", BOOK_CB, JANUARY) is None
            assert await client.on("futures", "subscribe_futures_positions", POSITIONS_CB,
                                   "bob") is None
            await client.quiet()

            order(market, "alice", SHORT, 2, 51_000)
            await client.quiet()  # nothing for a pending transaction
            produce_at(market)
            assert await client.notice() == [BOOK_CB, [{
                "series": "1.101.0", "bids": [], "asks": [level(51_000, 2, 1)]}]]
            await client.quiet()  # bob's positions did not change

            order(market, "bob", LONG, 2, 51_000)
            produce_at(market)
            found = await client.notices_by_callback(2)
            assert found[BOOK_CB] == {"series": "1.101.0", "bids": [], "asks": []}
            positions = found[POSITIONS_CB]
            assert positions["account"] == bob_id(market)
            assert [(p["name"], p["lots"], p["mark_price"]) for p in positions["positions"]] == \
                [(JANUARY, 2, 51_000)]
            assert [(m["asset"], m["notional"]) for m in positions["margin_accounts"]] == \
                [("1.3.1", 10_200_000)]
            produce_at(market)
            await client.quiet()  # an empty block changes nothing

            # carol buys from alice at 0.052: the mark of bob's series moves, so his equity
            order(market, "alice", SHORT, 1, 52_000)
            order(market, "carol", LONG, 1, 52_000)
            produce_at(market)
            [callback, [moved]] = await client.notice()
            assert callback == POSITIONS_CB
            assert [(p["mark_price"], p["unrealized_pnl"]) for p in moved["positions"]] == \
                [(52_000, 2 * 1_000 * 100)]
            await client.quiet()  # the book notice matches the last one sent: none

            assert await client.on("futures", "unsubscribe_futures_book", JANUARY) is None
            assert await client.on("futures", "unsubscribe_futures_positions", "bob") is None
            order(market, "bob", LONG, 1, 40_000)
            produce_at(market)
            await client.quiet()

    asyncio.run(scenario())


# -- pre-orders through the broadcast API ------------------------------------------------------
def test_broadcast_pre_orders_wait_and_land_when_their_month_lists(market: Served) -> None:
    produce_at(market, "2026-01-31T12:00:00")

    def pre_order(lots: int) -> Any:
        def build(node: Node) -> Any:
            op = FuturesOrderCreate(Asset(0, GPX), account(node, "bob"), PRODUCT, 202609, LONG,
                                    lots, 50_000)
            return _SIGNED_TX.to_json(signed(node, "bob", op, 86_400))
        return market.on_loop(build)

    async def scenario() -> None:
        async with ws_to(market) as client:
            # accepted like any transaction; it waits in the node's waiting pool
            assert await client.on("network_broadcast", "broadcast_transaction",
                                   pre_order(1)) is None
            # the synchronous call says at once why it cannot confirm
            await send(client, "broadcast_transaction_synchronous", pre_order(2))
            reply = await reply_to(client)
            assert reply["error"]["code"] == EXECUTION_ERROR
            assert reply["error"]["data"]["name"] == "transaction_waiting"
            assert "GPX/BTC 2026-09 is not listed yet" in reply["error"]["message"]
            assert "waits in the node's pending pool until it applies or expires at " \
                   "2026-02-01T12:00:00" in reply["error"]["message"]
            # with a callback: notified once a block includes it
            assert await client.on("network_broadcast", "broadcast_transaction_with_callback",
                                   BROADCAST_CB, pre_order(3)) is None
            assert market.on_loop(lambda node: len(node.waiting)) == 3

            produce_at(market, "2026-02-01T00:00:00")  # lists 2026-09: the three apply
            assert market.on_loop(lambda node: (len(node.waiting), len(node.pending))) == (0, 3)
            produce_at(market)
            callback, [confirmed] = await client.notice()
            assert callback == BROADCAST_CB and confirmed["trx_num"] == 2

    asyncio.run(scenario())
    september = "GPX/BTC 2026-09"
    assert [o["lots"] for o in call(market, "get_futures_orders", "bob")] == [1, 2, 3]
    assert call(market, "get_futures_order_book", september)["bids"] == [level(50_000, 6, 3)]


async def send(client: FuturesWs, method: str, *args: Any) -> None:
    client._next_id += 1
    await client.ws.send_json({"jsonrpc": "2.0", "id": client._next_id, "method": "call",
                               "params": ["network_broadcast", method, list(args)]})


async def reply_to(client: FuturesWs) -> dict[str, Any]:
    while True:
        data = json.loads((await client.ws.receive(timeout=TIMEOUT_S)).data)
        if data.get("id") == client._next_id:
            return data  # type: ignore[no-any-return]
        client.notices.append(data["params"])
