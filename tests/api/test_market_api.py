"""The market methods of the database API over a real node and server on loopback: limit orders,
the order book's strings (hand-checked), limits and bad arguments, and market subscriptions over
WebSocket (a new order, a fill, a cancel, an expiry, then nothing after unsubscribing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from graphex.api.app import build_registry
from graphex.api.market_api import MAX_LIMIT_ORDERS
from graphex.api.market_feed import MAX_MARKET_SUBSCRIPTIONS, MarketFeed
from graphex.api.market_format import amount_to_string, price_to_string
from graphex.api.market_format import uint128_amount_to_string as decimal_to_string
from graphex.api.queries import object_json
from graphex.api.rpc import ApiRegistry
from graphex.api.server import RunningServer, make_app, start_server
from graphex.chain.objects import AssetObject
from graphex.node.node import Node
from graphex.protocol.fees import fee_for
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    AssetCreate,
    AssetIssue,
    LimitOrderCancel,
    LimitOrderCreate,
)
from graphex.protocol.operations.base import Operation
from graphex.protocol.operations.market import MAX_EXPIRATION
from graphex.protocol.types import Asset, AssetOptions, Price
from tests.api.test_database_api import open_node, produce, signed

GPX = ObjectId(1, 3, 0)
NEW_ASSET = ObjectId(1, 3, 1)
"""asset_create's placeholder for the asset being created."""
UIA_PERMISSIONS = 0x01 | 0x02 | 0x04 | 0x08 | 0x40
TIMEOUT_S = 10.0
QUIET_S = 0.3
EXECUTION_ERROR = 1
INVALID_PARAMS = -32602


# -- a node with a user-issued asset -------------------------------------------------------------
def push(node: Node, op: Operation, signer: str) -> Any:
    """Push ``op`` with its exact core fee as a pending transaction; returns the processed tx."""
    op = msgspec.structs.replace(op, fee=Asset(fee_for(node.state.params.current_fees, op), GPX))
    return node.push_transaction(signed(node, [op], signer))


def account(node: Node, name: str) -> ObjectId:
    found = node.state.account_by_name(name)
    assert found is not None
    return found.id


def create_usd(node: Node) -> ObjectId:
    """USDX, precision 4, issued by alice; bob gets 1000 USDX."""
    usd = ObjectId(1, 3, sum(1 for _ in node.state.db.table(AssetObject)))
    options = AssetOptions(10**12, 0, 0, UIA_PERMISSIONS, 0,
                           Price(Asset(1, GPX), Asset(1, NEW_ASSET)), (), (), (), (), "")
    push(node, AssetCreate(Asset(0, GPX), account(node, "alice"), "USDX", 4, options), "alice")
    produce(node)
    push(node, AssetIssue(Asset(0, GPX), account(node, "alice"), Asset(10_000_000, usd),
                          account(node, "bob")), "alice")
    produce(node)
    return usd


def place(node: Node, who: str, sell: Asset, receive: Asset,
          expiration: int = MAX_EXPIRATION) -> ObjectId:
    """A limit order as a pending transaction (in the next block); returns its id."""
    op = LimitOrderCreate(Asset(0, GPX), account(node, who), sell, receive, expiration)
    order_id: ObjectId = push(node, op, who).operation_results[0].value
    return order_id


def cancel(node: Node, who: str, order_id: ObjectId) -> None:
    push(node, LimitOrderCancel(Asset(0, GPX), account(node, who), order_id), who)


@dataclass
class Book:
    """The test market: GPX (precision 5) against USDX (precision 4), four resting orders."""

    node: Node
    usd: ObjectId
    asks: list[ObjectId] = field(default_factory=list)  # alice sells GPX, best first
    bids: list[ObjectId] = field(default_factory=list)  # bob sells USDX, best first


def build_book(node: Node) -> Book:
    usd = create_usd(node)
    book = Book(node, usd)
    # alice: 10 GPX at 2.5 USDX/GPX, 3 GPX at 3.1, 1.23456 GPX for 3.5 USDX (placed out of order)
    worst = place(node, "alice", Asset(300_000, GPX), Asset(93_000, usd))
    best = place(node, "alice", Asset(1_000_000, GPX), Asset(250_000, usd))
    odd = place(node, "alice", Asset(123_456, GPX), Asset(35_000, usd))
    # bob: 5 USDX for 3 GPX (1.666… USDX/GPX), 1.2345 USDX for 1 GPX
    low = place(node, "bob", Asset(12_345, usd), Asset(100_000, GPX))
    high = place(node, "bob", Asset(50_000, usd), Asset(300_000, GPX))
    produce(node)
    book.asks, book.bids = [best, odd, worst], [high, low]
    return book


@pytest.fixture
def node(tmp_path: Path) -> Any:
    node = open_node(tmp_path / "node")
    produce(node, 2)
    yield node
    node.close()


@pytest.fixture
def book(node: Node) -> Book:
    return build_book(node)


# -- JSON-RPC over a real server ------------------------------------------------------------------
@asynccontextmanager
async def serving(registry: ApiRegistry) -> AsyncIterator[RunningServer]:
    server = await start_server(make_app(registry), "127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop()


async def post(server: RunningServer, method: str, *args: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": [0, method, list(args)]}
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with (aiohttp.ClientSession(timeout=timeout) as client,
                client.post(server.url, data=json.dumps(body).encode()) as response):
        reply: dict[str, Any] = json.loads(await response.text())
        return reply


def over_http(node: Node, calls: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Each ``(method, *args)`` over HTTP to a server for ``node``; the raw replies."""
    async def scenario() -> list[dict[str, Any]]:
        async with serving(build_registry(node)) as server:
            return [await post(server, *call) for call in calls]

    return asyncio.run(scenario())


def result(node: Node, method: str, *args: Any) -> Any:
    reply = over_http(node, [(method, *args)])[0]
    assert "error" not in reply, reply
    return reply["result"]


def error(node: Node, method: str, *args: Any) -> dict[str, Any]:
    reply = over_http(node, [(method, *args)])[0]
    assert "error" in reply, reply
    return reply["error"]  # type: ignore[no-any-return]


class WsClient:
    """Sequential JSON-RPC over one WebSocket; notices that arrive meanwhile are kept in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.notices: list[list[Any]] = []
        self._next_id = 0

    async def _receive(self) -> dict[str, Any]:
        message = await self.ws.receive(timeout=TIMEOUT_S)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        data: dict[str, Any] = json.loads(message.data)
        return data

    async def call(self, method: str, *args: Any) -> dict[str, Any]:
        self._next_id += 1
        await self.ws.send_json({"jsonrpc": "2.0", "id": self._next_id, "method": "call",
                                 "params": [0, method, list(args)]})
        while True:
            data = await self._receive()
            if data.get("method") == "notice":
                self.notices.append(data["params"])
            elif data.get("id") == self._next_id:
                return data

    async def notice(self) -> list[Any]:
        """The next notice: ``[callback_id, [payload]]``."""
        if self.notices:
            return self.notices.pop(0)
        data = await self._receive()
        assert data.get("method") == "notice", data
        params: list[Any] = data["params"]
        return params

    async def quiet(self) -> None:
        """No notice is pending, nor arrives within QUIET_S."""
        assert not self.notices, self.notices
        with pytest.raises(asyncio.TimeoutError):
            await self.ws.receive(timeout=QUIET_S)


@asynccontextmanager
async def ws_client(server: RunningServer) -> AsyncIterator[WsClient]:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with (aiohttp.ClientSession(timeout=timeout) as session,
                session.ws_connect(server.ws_url) as ws):
        yield WsClient(ws)


def feed_of(registry: ApiRegistry) -> MarketFeed:
    feed = registry.get("database").obj._market_feed  # type: ignore[attr-defined]
    assert isinstance(feed, MarketFeed)
    return feed


# -- decimal strings --------------------------------------------------------------------------------
def test_amount_and_price_strings_follow_core(node: Node) -> None:
    # asset_object::amount_to_string: whole amounts bare, fractions keep every digit
    assert amount_to_string(100_000, 5) == "1"
    assert amount_to_string(150_000, 5) == "1.50000"
    assert amount_to_string(93_000, 4) == "9.3000"
    assert amount_to_string(5, 4) == "0.0005"
    assert amount_to_string(0, 4) == "0"
    assert amount_to_string(-5, 4) == "-0.0005"
    assert amount_to_string(7, 0) == "7"
    # uint128_amount_to_string: trailing zeros dropped, leading zeros kept
    assert decimal_to_string(2_500_000_000_000_000_000, 18) == "2.5"
    assert decimal_to_string(25, 18) == "0.000000000000000025"
    assert decimal_to_string(1000, 2) == "10"
    assert decimal_to_string(0, 18) == "0"
    usd, gpx = node.state.asset(create_usd(node)), node.state.asset(GPX)
    assert (usd.precision, gpx.precision) == (4, 5)
    selling_gpx = Price(Asset(1_000_000, GPX), Asset(250_000, usd.id))
    # base USDX per quote GPX: 250000 * 10**19 // 1000000 at 19 + 4 - 5 = 18 digits
    assert price_to_string(selling_gpx, usd, gpx) == "2.5"
    assert price_to_string(selling_gpx, gpx, usd) == "0.4"
    thirds = Price(Asset(50_000, usd.id), Asset(300_000, GPX))
    assert price_to_string(thirds, usd, gpx) == "1.666666666666666666"
    assert price_to_string(Price(Asset(0, GPX), Asset(5, usd.id)), gpx, usd) == "0"


# -- queries -----------------------------------------------------------------------------------------
def test_limit_orders_both_sides_best_first(book: Book) -> None:
    node, usd = book.node, book.usd
    orders = result(node, "get_limit_orders", "GPX", "USDX", 10)
    assert [o["id"] for o in orders] == [str(i) for i in (*book.asks, *book.bids)]
    best = orders[0]
    assert best == {
        "id": str(book.asks[0]),
        "expiration": "2106-02-07T06:28:15",
        "seller": str(account(node, "alice")),
        "for_sale": 1_000_000,
        "sell_price": {"base": {"amount": 1_000_000, "asset_id": "1.3.0"},
                       "quote": {"amount": 250_000, "asset_id": str(usd)}},
        "filled_amount": "0",
        "deferred_fee": best["deferred_fee"],
        "deferred_paid_fee": {"amount": 0, "asset_id": "1.3.0"},
        "is_settled_debt": False,
        "on_fill": [],
    }
    assert best["deferred_fee"] > 0
    # by id too, and the limit is per side
    by_id = result(node, "get_limit_orders", str(usd), "1.3.0", 1)
    assert [o["id"] for o in by_id] == [str(book.bids[0]), str(book.asks[0])]
    assert result(node, "get_limit_orders", "GPX", "USDX", 0) == []
    assert result(node, "get_limit_orders", "GPX", "BTC", 5) == []


def test_order_book_strings_hand_checked(book: Book) -> None:
    node = book.node
    alice, bob = str(account(node, "alice")), str(account(node, "bob"))
    never = "2106-02-07T06:28:15"
    assert result(node, "get_order_book", "USDX", "GPX", 50) == {
        "base": "USDX",
        "quote": "GPX",
        # bids sell the base (USDX): 5 USDX for 3 GPX, then 1.2345 USDX for 1 GPX
        "bids": [
            {"price": "1.666666666666666666", "quote": "3", "base": "5",
             "id": str(book.bids[0]), "owner_id": bob, "owner_name": "bob", "expiration": never},
            {"price": "1.2345", "quote": "1", "base": "1.2345",
             "id": str(book.bids[1]), "owner_id": bob, "owner_name": "bob", "expiration": never},
        ],
        # asks sell the quote (GPX), cheapest first; 35000 * 10**19 // 123456 = 2835018144116122343
        "asks": [
            {"price": "2.5", "quote": "10", "base": "25",
             "id": str(book.asks[0]), "owner_id": alice, "owner_name": "alice",
             "expiration": never},
            {"price": "2.835018144116122343", "quote": "1.23456", "base": "3.5000",
             "id": str(book.asks[1]), "owner_id": alice, "owner_name": "alice",
             "expiration": never},
            {"price": "3.1", "quote": "3", "base": "9.3000",
             "id": str(book.asks[2]), "owner_id": alice, "owner_name": "alice",
             "expiration": never},
        ],
    }
    # the other way round: prices in GPX per USDX (19 + 5 - 4 = 20 digits), sides swapped
    flipped = result(node, "get_order_book", "1.3.0", "USDX", 1)
    assert flipped["base"] == "1.3.0" and flipped["quote"] == "USDX"
    assert flipped["bids"] == [{
        "price": "0.4", "quote": "25", "base": "10", "id": str(book.asks[0]),
        "owner_id": alice, "owner_name": "alice", "expiration": never}]
    # 300000 * 10**19 // 50000 = 6 * 10**19 at 20 digits
    assert [(a["price"], a["quote"], a["base"]) for a in flipped["asks"]] == [("0.6", "5", "3")]


def test_order_book_rounds_the_converted_side_down(node: Node) -> None:
    usd = create_usd(node)
    alice = place(node, "alice", Asset(7, GPX), Asset(3, usd))  # 3/7 USDX sat per GPX sat
    produce(node)
    place(node, "bob", Asset(1, usd), Asset(2, GPX))  # takes 1 * 7 // 3 = 2 GPX sat of it
    produce(node)
    assert result(node, "get_objects", [str(alice)])[0]["for_sale"] == 5
    book = result(node, "get_order_book", "USDX", "GPX", 5)
    # 5 GPX sat left; its USDX side is 5 * 3 // 7 = 2 sat (2.14 rounded down)
    assert book["bids"] == []
    assert [(a["price"], a["quote"], a["base"]) for a in book["asks"]] == [
        ("4.285714285714285714", "0.00005", "0.0002")]


def test_account_orders_and_paging(book: Book) -> None:
    node, usd = book.node, book.usd
    by_account = result(node, "get_limit_orders_by_account", "alice")
    assert [o["id"] for o in by_account] == [str(i) for i in sorted(book.asks)]
    page = result(node, "get_limit_orders_by_account", "alice", 1, str(sorted(book.asks)[1]))
    assert [o["id"] for o in page] == [str(sorted(book.asks)[1])]
    assert result(node, "get_limit_orders_by_account", "bob", None, None) == \
        result(node, "get_limit_orders_by_account", str(account(node, "bob")))
    assert result(node, "get_limit_orders_by_account", "carol") == []
    # one market side, best first; pages by order id or by price
    orders = result(node, "get_account_limit_orders", "alice", "GPX", "USDX", 10)
    assert [o["id"] for o in orders] == [str(i) for i in book.asks]
    assert result(node, "get_account_limit_orders", "alice", "USDX", "GPX", 10) == []
    second = result(node, "get_account_limit_orders", "alice", "GPX", "USDX", 10,
                    str(book.asks[1]))
    assert [o["id"] for o in second] == [str(i) for i in book.asks[1:]]
    # orders priced at or below 1 GPX = 0.4 USDX … i.e. base/quote <= 100000/30000
    by_price = {"base": {"amount": 100_000, "asset_id": "1.3.0"},
                "quote": {"amount": 30_000, "asset_id": str(usd)}}
    cheaper = result(node, "get_account_limit_orders", "alice", "GPX", "USDX", 10, None, by_price)
    assert [o["id"] for o in cheaper] == [str(book.asks[2])]
    gone = str(ObjectId(1, 7, 999))
    assert [o["id"] for o in result(node, "get_account_limit_orders", "alice", "GPX", "USDX",
                                    10, gone, by_price)] == [str(book.asks[2])]
    assert "maybe just cancelled" in error(node, "get_account_limit_orders", "alice", "GPX",
                                           "USDX", 10, gone)["message"]
    assert "not owned by" in error(node, "get_account_limit_orders", "bob", "GPX", "USDX", 10,
                                   str(book.asks[0]))["message"]
    assert "not in the" in error(node, "get_account_limit_orders", "bob", "USDX", "GPX", 10,
                                 str(book.asks[0]))["message"]


def test_orders_in_get_objects_and_full_accounts(book: Book) -> None:
    node = book.node
    ids = [str(book.asks[0]), str(book.bids[1]), "1.7.999"]
    found = result(node, "get_objects", ids)
    assert [o and o["id"] for o in found] == [ids[0], ids[1], None]
    assert found[0]["seller"] == str(account(node, "alice"))
    full = dict(result(node, "get_full_accounts", ["alice", "bob"], False))
    assert [o["id"] for o in full["alice"]["limit_orders"]] == [str(i) for i in sorted(book.asks)]
    assert [o["id"] for o in full["bob"]["limit_orders"]] == [str(i) for i in sorted(book.bids)]
    assert full["alice"]["limit_orders"][0] == result(node, "get_objects",
                                                      [str(min(book.asks))])[0]
    assert full["alice"]["more_data_available"]["limit_orders"] is False


def test_limits_and_bad_arguments_refused(book: Book) -> None:
    node = book.node
    replies = over_http(node, [
        ("get_limit_orders", "GPX", "USDX", MAX_LIMIT_ORDERS + 1),
        ("get_limit_orders", "GPX", "USDX", -1),
        ("get_limit_orders", "GPX", "NOPE", 5),
        ("get_limit_orders", "GPX", "USDX", "5"),
        ("get_limit_orders", "GPX", "1.2.5", 5),
        ("get_order_book", "USDX", "GPX", 51),
        ("get_order_book", "USDX", "USDX", 5),
        ("get_order_book", "USDX", "1.3.77", 5),
        ("get_limit_orders_by_account", "alice", 102),
        ("get_limit_orders_by_account", "nobody", 5),
        ("get_limit_orders_by_account", "alice", 5, "1.2.3"),
        ("get_account_limit_orders", "alice", "GPX", "USDX", 102),
        ("get_account_limit_orders", "alice", "GPX", "USDX", 5, None, {"base": 1}),
        ("get_account_limit_orders", "alice", "GPX", "USDX", 5, None,
         {"base": {"amount": 1, "asset_id": str(book.usd)},
          "quote": {"amount": 1, "asset_id": "1.3.0"}}),
        ("subscribe_to_market", 1, "GPX", "USDX"),
    ])
    expected = [
        (EXECUTION_ERROR, "301 orders requested, more than api_limit_get_limit_orders = 300"),
        (INVALID_PARAMS, "get_limit_orders: limit must be >= 0, got -1"),
        (EXECUTION_ERROR, "no such asset: 'NOPE'"),
        (INVALID_PARAMS, "get_limit_orders argument 3 (limit) expects integer, got string"),
        (INVALID_PARAMS, "asset id '1.2.5' is not a 1.3.x id"),
        (EXECUTION_ERROR, "51 orders requested, more than api_limit_get_order_book = 50"),
        (EXECUTION_ERROR, "base and quote are the same asset (USDX)"),
        (EXECUTION_ERROR, "no such asset: '1.3.77'"),
        (EXECUTION_ERROR, "more than api_limit_get_limit_orders_by_account = 101"),
        (EXECUTION_ERROR, "no such account: 'nobody'"),
        (INVALID_PARAMS, "start_id '1.2.3' is not a 1.7.x id"),
        (EXECUTION_ERROR, "more than api_limit_get_account_limit_orders = 101"),
        (INVALID_PARAMS, "invalid parameter"),
        (EXECUTION_ERROR, "ostart_price must be a price of base/quote"),
        (EXECUTION_ERROR, "subscribe_to_market needs a WebSocket connection"),
    ]
    assert len(replies) == len(expected)
    for reply, (code, text) in zip(replies, expected, strict=True):
        assert "error" in reply, reply
        assert reply["error"]["code"] == code, reply
        assert text in reply["error"]["message"], reply


# -- subscriptions -------------------------------------------------------------------------------
def test_market_subscription_notices(book: Book) -> None:
    node, usd = book.node, book.usd
    registry = build_registry(node)
    alice, bob = str(account(node, "alice")), str(account(node, "bob"))

    async def scenario() -> None:
        async with serving(registry) as server, ws_client(server) as client:
            assert (await client.call("subscribe_to_market", 7, "USDX", "GPX"))["result"] is None
            # unrelated blocks send nothing
            produce(node)
            await client.quiet()

            # a new order (not crossing): one notice with the full object
            new_id = place(node, "alice", Asset(200_000, GPX), Asset(80_000, usd))
            produce(node)
            callback, [payload] = await client.notice()
            assert callback == 7
            assert payload == [result_in(node, new_id)]
            await client.quiet()

            # bob takes 5 USDX worth of alice's best ask (10 GPX at 2.5): two fills, the maker's
            # order changed, the taker's gone within the block (so only its fill shows)
            taker = place(node, "bob", Asset(50_000, usd), Asset(200_000, GPX))
            produce(node)
            _, [fills] = await client.notice()
            assert [f[0][0] for f in fills] == [4, 4] and [f[1] for f in fills] == [[0, {}]] * 2
            taker_fill, maker_fill = (f[0][1] for f in fills)
            assert taker_fill["order_id"] == str(taker) and taker_fill["account_id"] == bob
            assert taker_fill["pays"] == {"amount": 50_000, "asset_id": str(usd)}
            assert taker_fill["receives"] == {"amount": 200_000, "asset_id": "1.3.0"}
            assert taker_fill["is_maker"] is False
            assert maker_fill["order_id"] == str(book.asks[0]) and maker_fill["is_maker"] is True
            assert maker_fill["account_id"] == alice
            _, [changed] = await client.notice()
            assert [o["id"] for o in changed] == [str(book.asks[0])]
            assert changed[0]["for_sale"] == 800_000
            await client.quiet()

            # a cancel and a new order in one block: the new object, then the removed id
            cancel(node, "alice", book.asks[2])
            another = place(node, "bob", Asset(1_000, usd), Asset(200_000, GPX))
            produce(node)
            assert await client.notice() == [7, [[result_in(node, another)]]]
            assert await client.notice() == [7, [[str(book.asks[2])]]]
            await client.quiet()

            # an expiry: created (new), then removed by the chain a few blocks later
            expiring = place(node, "bob", Asset(1_000, usd), Asset(100_000, GPX),
                             expiration=node.state.head_time + 3)
            produce(node)
            _, [created] = await client.notice()
            assert [o["id"] for o in created] == [str(expiring)]
            produce(node, 4)
            assert await client.notice() == [7, [[str(expiring)]]]
            assert node.state.db.find(expiring) is None
            await client.quiet()

            # a fill that empties bob's best bid exactly (3 GPX for 5 USDX): fills, removed id
            taker = place(node, "alice", Asset(300_000, GPX), Asset(50_000, usd))
            produce(node)
            _, [fills] = await client.notice()
            assert [(f[0][1]["order_id"], f[0][1]["pays"]["amount"]) for f in fills] == [
                (str(taker), 300_000), (str(book.bids[0]), 50_000)]
            assert await client.notice() == [7, [[str(book.bids[0])]]]
            await client.quiet()

            # unsubscribed (either asset order): nothing more, and the feed forgets the market
            reply = await client.call("unsubscribe_from_market", "GPX", str(usd))
            assert reply["result"] is None
            place(node, "alice", Asset(100_000, GPX), Asset(90_000, usd))
            produce(node)
            cancel(node, "alice", book.asks[1])
            produce(node)
            await client.call("get_chain_id")
            await client.quiet()
            assert feed_of(registry).subscribed_markets_count() == 0

    asyncio.run(scenario())


def result_in(node: Node, order_id: ObjectId) -> Any:
    """The JSON of an open order, as get_objects gives it."""
    return object_json(node.state.db.get(order_id))


def result_of_book(node: Node, usd: ObjectId) -> list[Any]:
    """Every open order of the GPX/USDX market (both sides)."""
    orders: list[Any] = result_in_process(node, "get_limit_orders", "GPX", str(usd), 300)
    return orders


def result_in_process(node: Node, method: str, *args: Any) -> Any:
    """A database API call without a server (from inside a running event loop)."""
    return getattr(build_registry(node).get("database").obj, method)(*args)


def test_subscriptions_per_connection_and_cleanup(book: Book) -> None:
    node, usd = book.node, book.usd
    registry = build_registry(node)

    async def scenario() -> None:
        async with serving(registry) as server:
            async with ws_client(server) as first, ws_client(server) as second:
                await first.call("subscribe_to_market", 1, "GPX", "USDX")
                await second.call("subscribe_to_market", 2, str(usd), "GPX")
                # a new callback id for the same market replaces the old one
                await second.call("subscribe_to_market", 3, "GPX", "USDX")
                same = await first.call("subscribe_to_market", 4, "USDX", "USDX")
                assert "same asset" in same["error"]["message"]
                unknown = await first.call("subscribe_to_market", 4, "USDX", "NOPE")
                assert "no such asset" in unknown["error"]["message"]
                assert "callback must be >= 0" in \
                    (await first.call("subscribe_to_market", -1, "GPX", "USDX"))["error"]["message"]
                place(node, "bob", Asset(10_000, usd), Asset(900_000, GPX))
                produce(node)
                assert (await first.notice())[0] == 1
                assert (await second.notice())[0] == 3
                await first.quiet()
                await second.quiet()
                # the feed knows the market of every open order in it, also after a rescan
                feed = feed_of(registry)
                in_market = len(result_of_book(node, usd))
                assert feed.watched_orders() == in_market == len(book.asks) + len(book.bids) + 1
                feed.on_pop(node.state.head_num)  # what a fork switch triggers
                assert feed.watched_orders() == in_market
                # cancel_all_subscriptions ends the first connection's
                await first.call("cancel_all_subscriptions")
                place(node, "bob", Asset(10_000, usd), Asset(900_000, GPX))
                produce(node)
                assert (await second.notice())[0] == 3
                await first.quiet()
            # both connections closed: the feed holds nothing for them
            await asyncio.sleep(0.1)
            feed = feed_of(registry)
            assert feed.subscribed_markets_count() == 0 and feed.watched_orders() == 0
            produce(node)

    asyncio.run(scenario())


def test_subscription_limit_per_connection(node: Node) -> None:
    registry = build_registry(node)
    session = registry.new_session("test", streaming=True)
    feed = MarketFeed(node)
    for instance in range(MAX_MARKET_SUBSCRIPTIONS):
        feed.subscribe(session, instance, (GPX, ObjectId(1, 3, 100 + instance)))
    with pytest.raises(Exception, match="MAX_MARKET_SUBSCRIPTIONS = 100"):
        feed.subscribe(session, 0, (GPX, ObjectId(1, 3, 999)))
    feed.subscribe(session, 5, (GPX, ObjectId(1, 3, 100)))  # re-subscribing one is fine
    session.close()
    assert feed.subscribed_markets_count() == 0
