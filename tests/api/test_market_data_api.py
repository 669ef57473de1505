"""Market data and history over the real API server (loopback HTTP and WebSocket): get_ticker,
get_24_volume, get_trade_history(_by_sequence) on the database API and the ``history`` API set,
with BitShares' shapes, strings and limits — checked by hand and through python-bitshares.

The chain is the devnet's: GPX (1.3.0, precision 5) and BTC (1.3.1, precision 8). Trade A at
T0+10 and trade B at T0+50: alice sells 0.001 BTC (the maker) for 10 and 12 GPX to bob.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import websocket
from bitshares import BitShares
from bitshares.account import Account
from bitshares.instance import SharedInstance
from bitshares.market import Market
from bitsharesbase.chains import known_chains
from graphenestorage import InRamConfigurationStore

from graphex.api.market_format import price_diff_percent_string, uint128_amount_to_string
from graphex.node.node import Node
from graphex.protocol.codec import format_time
from graphex.protocol.types import Asset
from tests.node.test_history import BTC, BTC_LOT, GPX, T0, order_op, produce, trade
from tests.node.test_history import signed as signed_tx
from tests.served import Served, serve

EPOCH = "1970-01-01T00:00:00"
T = TypeVar("T")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path)


def two_trades(node: Node) -> None:
    trade(node, T0 + 10, 1_000_000)  # A: 10 000 GPX per BTC
    trade(node, T0 + 50, 1_200_000)  # B: 12 000 GPX per BTC


def open_orders(node: Node) -> None:
    """An ask (alice sells 0.001 BTC for 13 GPX) and a bid (bob sells 9 GPX for 0.001 BTC)."""
    node.push_transaction(signed_tx(node, "alice", order_op(node, "alice", Asset(BTC_LOT, BTC),
                                                            Asset(1_300_000, GPX))))
    node.push_transaction(signed_tx(node, "bob", order_op(node, "bob", Asset(900_000, GPX),
                                                          Asset(BTC_LOT, BTC))))
    produce(node)


def account_id(served: Served, name: str) -> str:
    return str(served.call("get_account_by_name", name)["id"])


# -- ticker and volume -----------------------------------------------------------------------------
def test_ticker_of_a_market_without_trades_is_empty(served: Served) -> None:
    ticker = served.call("get_ticker", "GPX", "BTC")
    time = format_time(served.on_loop(lambda n: n.state.head_time))
    assert ticker == {
        "time": time, "base": "GPX", "quote": "BTC", "latest": "0", "lowest_ask": "0",
        "lowest_ask_base_size": "0", "lowest_ask_quote_size": "0", "highest_bid": "0",
        "highest_bid_base_size": "0", "highest_bid_quote_size": "0", "percent_change": "0",
        "base_volume": "0", "quote_volume": "0",
    }
    assert served.call("get_24_volume", "1.3.0", "1.3.1") == {
        "time": time, "base": "GPX", "quote": "BTC", "base_volume": "0", "quote_volume": "0"}


def test_ticker_prices_volumes_best_orders_and_change(served: Served) -> None:
    served.on_loop(two_trades)
    served.on_loop(open_orders)
    ticker = served.call("get_ticker", "GPX", "BTC")
    assert ticker == {
        "time": format_time(T0 + 51), "base": "GPX", "quote": "BTC", "latest": "12000",
        "lowest_ask": "13000", "lowest_ask_base_size": "13",
        "lowest_ask_quote_size": "0.00100000", "highest_bid": "9000",
        "highest_bid_base_size": "9", "highest_bid_quote_size": "0.00100000",
        "percent_change": "0", "base_volume": "22", "quote_volume": "0.002", "mto_id": "5.2.0",
    }
    inverse = served.call("get_ticker", "BTC", "1.3.0")  # the same market seen from BTC
    assert inverse["latest"] == "0.0000833333333333333333"
    assert (inverse["base_volume"], inverse["quote_volume"]) == ("0.002", "22")
    assert inverse["lowest_ask"] == "0.0001111111111111111111"  # bob's 9 GPX bid, inverted
    assert inverse["lowest_ask_quote_size"] == "9"
    assert served.call("get_24_volume", "GPX", "BTC") == {
        "time": ticker["time"], "base": "GPX", "quote": "BTC", "base_volume": "22",
        "quote_volume": "0.002"}

    served.on_loop(lambda n: produce(n, T0 + 50 + 86_400))  # A leaves the 24 h window
    ticker = served.call("get_ticker", "GPX", "BTC")
    assert (ticker["latest"], ticker["percent_change"]) == ("12000", "20")
    assert (ticker["base_volume"], ticker["quote_volume"]) == ("12", "0.001")
    assert served.call("get_ticker", "BTC", "GPX")["percent_change"] == "-16.66"


def test_market_reads_refuse_unknown_assets(served: Served) -> None:
    assert "Invalid quote asset symbol: NOPE" in served.error("get_ticker", "GPX", "NOPE")
    assert "Invalid base asset symbol: 1.3.99" in served.error("get_24_volume", "1.3.99", "GPX")


# -- trades ----------------------------------------------------------------------------------------
def test_trade_history_newest_first_with_core_fields(served: Served) -> None:
    served.on_loop(two_trades)
    alice, bob = account_id(served, "alice"), account_id(served, "bob")
    trades = served.call("get_trade_history", "GPX", "BTC", EPOCH, "2026-01-01T00:00:00", 10)
    assert trades == [
        {"sequence": 3, "date": format_time(T0 + 50), "price": "12000", "amount": "0.00100000",
         "value": "12", "type": "sell", "side1_account_id": alice, "side2_account_id": bob},
        {"sequence": 1, "date": format_time(T0 + 10), "price": "10000", "amount": "0.00100000",
         "value": "10", "type": "sell", "side1_account_id": alice, "side2_account_id": bob},
    ]
    # seen from BTC the maker received the quote asset: a "buy"; amount in GPX, value in BTC
    (latest, _) = served.call("get_trade_history", "BTC", "GPX", EPOCH, EPOCH, 10)
    assert (latest["type"], latest["amount"], latest["value"], latest["price"]) == \
        ("buy", "12", "0.00100000", "0.0000833333333333333333")
    # start and stop bound the time; limit the count
    assert [t["sequence"] for t in served.call(
        "get_trade_history", "GPX", "BTC", format_time(T0 + 30), EPOCH, 10)] == [1]
    assert [t["sequence"] for t in served.call(
        "get_trade_history", "GPX", "BTC", EPOCH, format_time(T0 + 30), 10)] == [3]
    assert [t["sequence"] for t in served.call(
        "get_trade_history", "GPX", "BTC", EPOCH, EPOCH, 1)] == [3]
    # paging by sequence, as python-bitshares does: older than the trade numbered `start`
    assert [t["sequence"] for t in served.call(
        "get_trade_history_by_sequence", "GPX", "BTC", 3, EPOCH, 10)] == [1]
    assert served.call("get_trade_history_by_sequence", "GPX", "BTC", 1, EPOCH, 10) == []


def test_trade_history_limits_are_named(served: Served) -> None:
    message = served.error("get_trade_history", "GPX", "BTC", EPOCH, EPOCH, 101)
    assert "api_limit_get_trade_history = 100" in message
    message = served.error("get_trade_history_by_sequence", "GPX", "BTC", 0, EPOCH, 101)
    assert "api_limit_get_trade_history_by_sequence = 100" in message
    assert "start must be >= 0" in served.error("get_trade_history_by_sequence", "GPX", "BTC",
                                                -1, EPOCH, 10)
    assert "expected 'YYYY-MM-DDTHH:MM:SS'" in served.error("get_trade_history", "GPX", "BTC",
                                                           "yesterday", EPOCH, 10)


# -- the history API -------------------------------------------------------------------------------
def test_history_api_market_history_and_fills(served: Served) -> None:
    served.on_loop(two_trades)
    assert served.call("get_market_history_buckets", api="history") == \
        [60, 300, 900, 3600, 14400, 86400, 604800]
    minute = served.call("get_market_history", "BTC", "GPX", 60, EPOCH, format_time(T0 + 3600),
                         api="history")
    assert minute == [{
        "id": "5.1.0", "key": {"base": "1.3.0", "quote": "1.3.1", "seconds": 60,
                               "open": format_time(T0)},
        "high_base": 1_200_000, "high_quote": BTC_LOT, "low_base": 1_000_000, "low_quote": BTC_LOT,
        "open_base": 1_000_000, "open_quote": BTC_LOT, "close_base": 1_200_000,
        "close_quote": BTC_LOT, "base_volume": 2_200_000, "quote_volume": 2 * BTC_LOT,
    }]
    assert served.call("get_market_history", "GPX", "BTC", 60, format_time(T0 + 60),
                       format_time(T0 + 3600), api="history") == []
    fills = served.call("get_fill_order_history", "GPX", "BTC", 3, api="history")
    assert [f["id"] for f in fills] == ["5.0.3", "5.0.2", "5.0.1"]
    assert fills[0]["key"] == {"base": "1.3.0", "quote": "1.3.1", "sequence": -3}
    assert fills[0]["time"] == format_time(T0 + 50)
    assert fills[0]["op"] == {
        "fee": {"amount": 0, "asset_id": "1.3.0"}, "order_id": "1.7.2",
        "account_id": account_id(served, "alice"), "pays": {"amount": BTC_LOT, "asset_id": "1.3.1"},
        "receives": {"amount": 1_200_000, "asset_id": "1.3.0"},
        "fill_price": {"base": {"amount": BTC_LOT, "asset_id": "1.3.1"},
                       "quote": {"amount": 1_200_000, "asset_id": "1.3.0"}},
        "is_maker": True,
    }


def test_history_api_account_history(served: Served) -> None:
    served.on_loop(two_trades)
    ops = served.call("get_account_history", "alice", "1.11.0", 100, "1.11.0", api="history")
    assert [(o["id"], o["op"][0]) for o in ops] == [
        ("1.11.7", 4), ("1.11.4", 1), ("1.11.3", 4), ("1.11.0", 1)]
    fill = ops[0]
    assert fill["is_virtual"] is True and fill["result"] == [0, {}]
    assert fill["block_time"] == format_time(T0 + 50) and fill["block_num"] == 2
    assert list(fill) == ["id", "op", "result", "block_num", "trx_in_block", "op_in_trx",
                          "virtual_op", "is_virtual", "block_time"]
    create = ops[1]
    assert create["result"] == [1, "1.7.2"] and create["is_virtual"] is False
    assert [o["id"] for o in served.call("get_account_history", account_id(served, "alice"),
                                         "1.11.3", 100, "1.11.0", api="history")] == \
        ["1.11.7", "1.11.4"]
    assert [o["id"] for o in served.call("get_relative_account_history", "alice", 1, 2, 3,
                                         api="history")] == ["1.11.4", "1.11.3"]
    assert [o["id"] for o in served.call("get_account_history_operations", "bob", 4, "1.11.0",
                                         "1.11.0", 100, api="history")] == ["1.11.6", "1.11.2"]
    assert served.call("get_account_history", "nobody", "1.11.0", 10, "1.11.0",
                       api="history") == []
    message = served.error("get_account_history", "alice", "1.11.0", 101, "1.11.0",
                           api="history")
    assert "api_limit_get_account_history = 100" in message
    assert "is not a 1.11.x id" in served.error("get_account_history", "alice", "1.2.0", 10,
                                                "1.11.0", api="history")


def test_history_api_through_the_websocket_login_handshake(served: Served) -> None:
    served.on_loop(two_trades)
    ws = websocket.create_connection(served.server.ws_url, timeout=10)
    try:
        def call(api: int | str, method: str, *args: Any) -> Any:
            ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "call",
                                "params": [api, method, list(args)]}))
            return json.loads(ws.recv())["result"]

        assert call(1, "login", "", "") is True
        history_id = call(1, "history", )
        assert isinstance(history_id, int) and history_id >= 2
        assert call(1, "get_api_by_name", "history") == history_id
        fills = call(history_id, "get_fill_order_history", "1.3.1", "1.3.0", 1)
        assert fills[0]["id"] == "5.0.3"
    finally:
        ws.close()


def test_market_data_refuses_without_the_history_service(tmp_path: Path) -> None:
    net = Served(tmp_path / "plain", with_history=False)
    try:
        assert "Market history plugin is not enabled" in net.error("get_ticker", "GPX", "BTC")
        assert "Market history plugin is not enabled" in net.error(
            "get_account_history", "alice", "1.11.0", 10, "1.11.0", api="history")
    finally:
        net.stop()


# -- python-bitshares reads the same data ------------------------------------------------------------
def test_python_bitshares_reads_ticker_trades_and_history(served: Served,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    served.on_loop(two_trades)
    served.on_loop(open_orders)
    chain_id = served.call("get_chain_properties")["chain_id"]
    monkeypatch.setitem(known_chains, "GPX",
                        {"chain_id": chain_id, "core_symbol": "GPX", "prefix": "GPX"})
    client = BitShares(node=served.server.ws_url, config_store=InRamConfigurationStore(),
                       num_retries=0)
    client.clear_cache()
    # FilledOrder builds its prices on the shared instance, whatever instance it is given
    monkeypatch.setattr(SharedInstance, "instance", client)
    market = Market("BTC:GPX", blockchain_instance=client)  # quote BTC, base GPX
    ticker = market.ticker()
    assert float(ticker["latest"]) == 12_000
    assert float(ticker["lowestAsk"]) == 13_000 and float(ticker["highestBid"]) == 9_000
    assert float(ticker["baseVolume"]) == 22 and float(ticker["quoteVolume"]) == 0.002
    volume = market.volume24h()
    assert float(volume["GPX"]) == 22 and float(volume["BTC"]) == 0.002
    trades = list(market.trades(limit=10, start=datetime(2025, 12, 31),
                                stop=datetime(2026, 1, 2)))
    assert [float(t["price"]) for t in trades] == [12_000, 10_000]
    assert [float(t["quote"]) for t in trades] == [0.001, 0.001]
    mine = market.accounttrades(account="alice", limit=10)
    assert len(mine) == 2 and all(t["account_id"] == account_id(served, "alice") for t in mine)
    history = list(Account("bob", blockchain_instance=client).history())
    assert [h["op"][0] for h in history] == [1, 4, 1, 4, 1]


def test_decimal_strings_as_core_prints_them() -> None:
    assert uint128_amount_to_string(22_00000, 5) == "22"
    assert uint128_amount_to_string(200_000, 8) == "0.002"
    assert uint128_amount_to_string(12_345, 2) == "123.45"
    assert uint128_amount_to_string(0, 8) == "0"
    # percent change: two decimals at most, truncated toward zero; no "-0"
    assert price_diff_percent_string((10, 1), (12, 1)) == "20"
    assert price_diff_percent_string((12, 1), (10, 1)) == "-16.66"
    assert price_diff_percent_string((100_000, 1), (99_999, 1)) == "0"
    assert price_diff_percent_string((3, 1), (4, 1)) == "33.33"
    assert price_diff_percent_string((0, 1), (1, 1)) == "922337203685477580600"  # from "zero"
