"""The client's futures builders, without a node: the price cut of the seed, month and series
names, rates and amounts, and every futures operation built with the right fields (names resolved
by a scripted stand-in for the node's API)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from graphex.client import AmountError, AsyncClient, ClientError, NodeError
from graphex.client.futures_text import (
    check_product_name,
    format_month,
    format_ppm_percent,
    format_price_ticks,
    futures_flags,
    futures_price_ticks,
    futures_side,
    parse_month,
    parse_series_name,
    percent_ppm,
    price_cut_notice,
    smallest_contract_text,
    tick_value,
)
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    OPERATION,
    FuturesOrderCancel,
    FuturesOrderCreate,
    FuturesParameters,
    FuturesProductCreate,
    FuturesProductUpdate,
    MarginDeposit,
    MarginWithdraw,
)
from graphex.protocol.operations.futures import (
    IMMEDIATE_OR_CANCEL,
    MARK_FEED,
    POST_ONLY,
    REDUCE_ONLY,
)
from graphex.protocol.operations.market import MAX_EXPIRATION
from graphex.protocol.types import Asset

ALICE, BOB = ObjectId(1, 2, 17), ObjectId(1, 2, 18)
GPX, BTC, USD = ObjectId(1, 3, 0), ObjectId(1, 3, 1), ObjectId(1, 3, 2)
PRODUCT = ObjectId(1, 100, 0)
HEAD_TIME = "2026-11-02T10:00:00"
HEAD_TIME_S = 1793613600


# -- pure helpers ------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "ticks", "cut"), [
    ("0.0500019", 50001, True),
    ("0.05", 50000, False),
    ("0.050000", 50000, False),
    ("0.0500010", 50001, False),
    ("1", 1_000_000, False),
    ("0.000001", 1, False),
    ("0.0000019", 1, True),
    ("12345.6789999", 12_345_678_999, True),
    (".5", 500_000, False),
    ("+2.5", 2_500_000, False),
    (" 3 ", 3_000_000, False),
])
def test_prices_cut_decimals_beyond_six(text: str, ticks: int, cut: bool) -> None:
    assert futures_price_ticks(text) == (ticks, cut)


@pytest.mark.parametrize(("text", "message"), [
    ("0", "price 0 must be positive"),
    ("-0.05", "price -0.05 must be positive"),
    ("0.0000009", "price 0.0000009 is below one tick (0.000001)"),
    ("abc", "price 'abc' is not a decimal number"),
    ("", "price '' is not a decimal number"),
    ("1e-3", "is not a decimal number"),
    ("NaN", "is not a decimal number"),
    ("1,5", "is not a decimal number"),
    ("0.05 USD", "is not a decimal number"),
    ("10000000000000", "is too large"),
])
def test_bad_prices_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(AmountError, match=message.replace("(", r"\(").replace(")", r"\)")):
        futures_price_ticks(text)


def test_price_display_and_the_cut_notice() -> None:
    assert format_price_ticks(50001) == "0.050001"
    assert format_price_ticks(50_000) == "0.050000"
    assert format_price_ticks(12_345_678_999) == "12345.678999"
    assert format_price_ticks(-1) == "-0.000001"
    assert price_cut_notice("0.0500019", 50001) == \
        "price 0.0500019 has more than 6 decimals: cut to 0.050001 (seed rule)"


@pytest.mark.parametrize(("text", "month"), [
    ("2026-12", 202612), ("202612", 202612), (" 2027-01 ", 202701), ("197001", 197001),
    ("2105-12", 210512),
])
def test_months(text: str, month: int) -> None:
    assert parse_month(text) == month
    assert parse_month(format_month(month)) == month


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-12", "2026/12", "abc", "1969-12",
                                  "2106-01", "2026-1", ""])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(ClientError, match="delivery month"):
        parse_month(text)


@pytest.mark.parametrize(("text", "product", "month"), [
    ("GPX/USD 2026-12", "GPX/USD", 202612),
    ("GPX/USD:202612", "GPX/USD", 202612),
    ("gpx/usd:2026-12", "GPX/USD", 202612),
    ("GPX/USD : 2026-12", "GPX/USD", 202612),
    ("BTC/GPX   202603", "BTC/GPX", 202603),
    ("1.100.0 2026-12", "1.100.0", 202612),
    ("1.100.7:202701", "1.100.7", 202701),
])
def test_series_names(text: str, product: str, month: int) -> None:
    assert parse_series_name(text) == (product, month)


@pytest.mark.parametrize(("text", "message"), [
    ("GPX/USD", "is not '<product> <month>'"),
    ("GPX 2026-12", "is not 'UNDERLYING/QUOTE'"),
    ("/USD 2026-12", "is not 'UNDERLYING/QUOTE'"),
    ("GPX/USD/CNY 2026-12", "is not 'UNDERLYING/QUOTE'"),
    ("GPX/USD 2026-13", "is not a month"),
    ("GPX/USD 2026-12 extra", "is not '<product> <month>'"),
])
def test_bad_series_names_are_refused(text: str, message: str) -> None:
    with pytest.raises(ClientError, match=message):
        parse_series_name(text)
    assert check_product_name(" gpx/usd ") == "GPX/USD"


@pytest.mark.parametrize(("text", "ppm"), [
    ("10", 100_000), ("10%", 100_000), ("0.01", 100), ("0.5%", 5_000), ("0.0001", 1),
    ("0", 0), ("100", 1_000_000),
])
def test_percent_rates_in_ppm(text: str, ppm: int) -> None:
    assert percent_ppm(text, "rate") == ppm


@pytest.mark.parametrize(("text", "message"), [
    ("0.00001", "more than four decimals"), ("101", "between 0 and 100"),
    ("-1", "between 0 and 100"), ("ten", "not a decimal number"),
])
def test_bad_rates_are_refused(text: str, message: str) -> None:
    with pytest.raises(AmountError, match=message):
        percent_ppm(text, "initial margin")


def test_rate_display_sides_and_flags() -> None:
    assert format_ppm_percent(100_000) == "10%" and format_ppm_percent(100) == "0.01%"
    assert [futures_side(s) for s in ("long", "BUY", "short", "sell", 0, 1)] == [0, 0, 1, 1, 0, 1]
    with pytest.raises(ClientError, match="neither long nor short"):
        futures_side("sideways")
    assert futures_flags() == 0
    assert futures_flags(reduce_only=True, ioc=True) == REDUCE_ONLY | IMMEDIATE_OR_CANCEL
    assert futures_flags(post_only=True) == POST_ONLY
    with pytest.raises(ClientError, match="both post-only and immediate-or-cancel"):
        futures_flags(post_only=True, ioc=True)


def test_tick_values() -> None:
    # docs/futures.md: GPX (5) / USD (4), 1 000 GPX per lot: 10 USD units per tick
    assert tick_value(1000 * 10**5, 5, 4) == 10
    assert smallest_contract_text(5, 4) == "100"
    assert tick_value(100 * 10**5, 5, 4) == 1
    assert tick_value(10 * 10**5, 5, 4) < 1
    assert smallest_contract_text(8, 5) == "10"  # BTC/GPX: 10 BTC per lot at least
    assert smallest_contract_text(2, 8) == "0.01"


# -- operations, names resolved by a scripted node ----------------------------------------------
PARAMETERS = {"contract_size": 100_000_000, "initial_margin_ppm": 100_000,
              "maintenance_margin_ppm": 50_000, "trade_fee_ppm": 100,
              "liquidation_fee_ppm": 5_000, "delivery_fee_ppm": 100, "mark_price_source": 0,
              "extensions": [], "something_new": True}
PRODUCTS = [{"id": "1.100.0", "owner": "1.2.17", "underlying": "1.3.0", "quote": "1.3.2",
             "parameters": PARAMETERS, "tick_value": 10, "symbol": "GPX/USD", "extra": 1}]
SERIES = [{"id": "1.101.3", "product": "1.100.0", "delivery_month": 202612,
           "name": "GPX/USD 2026-12", "status": "trading", "mark_price": 50_000}]
ASSETS = {"GPX": ("1.3.0", 5), "BTC": ("1.3.1", 8), "USD": ("1.3.2", 4)}
ACCOUNTS = {"alice": "1.2.17", "bob": "1.2.18"}


def _asset(key: str) -> dict[str, Any] | None:
    for symbol, (asset_id, precision) in ASSETS.items():
        if key in (symbol, asset_id):
            return {"id": asset_id, "symbol": symbol, "precision": precision, "issuer": "1.2.0"}
    return None


def _account(key: str) -> dict[str, Any] | None:
    for name, account_id in ACCOUNTS.items():
        if key in (name, account_id):
            return {"id": account_id, "name": name}
    return None


def _series(product: str, include_delivered: bool) -> list[dict[str, Any]]:
    return [s for s in SERIES if s["product"] == product]


HANDLERS: dict[tuple[str, str], Callable[..., Any]] = {
    ("database", "get_assets"): lambda keys: [_asset(k) for k in keys],
    ("database", "get_accounts"): lambda keys: [_account(k) for k in keys],
    ("database", "get_dynamic_global_properties"): lambda: {"time": HEAD_TIME},
    ("futures", "get_futures_products"): lambda: PRODUCTS,
    ("futures", "get_futures_series"): _series,
}


class ScriptedRpc:
    """Answers the calls the builders make; records them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | int, str, tuple[Any, ...]]] = []

    async def call(self, api: str | int, method: str, *args: Any, timeout_s: float | None = None
                   ) -> Any:
        self.calls.append((api, method, args))
        handler = HANDLERS.get((str(api), method))
        if handler is None:
            raise NodeError(method, f"no such method {api}.{method}")
        return handler(*args)

    async def close(self) -> None:
        pass


def build(method: str, *args: Any, **kwargs: Any) -> Any:
    async def run() -> Any:
        client = AsyncClient("http://scripted.invalid")
        client.rpc = ScriptedRpc()  # type: ignore[assignment]
        op = await getattr(client.ops, method)(*args, **kwargs)
        assert OPERATION.unpack(OPERATION.pack(op)) == op  # always a valid operation
        return op

    return asyncio.run(run())


def test_list_a_product_with_default_rates() -> None:
    op = build("futures_product_create", "alice", "GPX", "USD", "1000")
    assert op == FuturesProductCreate(Asset(0, GPX), ALICE, GPX, USD,
                                      FuturesParameters(100_000_000))


def test_list_a_product_with_every_parameter() -> None:
    op = build("futures_product_create", "bob", "btc", "GPX", "10 BTC", initial_margin="20",
               maintenance_margin="7.5%", trade_fee="0.02", liquidation_fee="1",
               delivery_fee="0", mark_price_source="feed")
    assert op == FuturesProductCreate(
        Asset(0, GPX), BOB, BTC, GPX,
        FuturesParameters(10 * 10**8, 200_000, 75_000, 200, 10_000, 0, MARK_FEED))


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (("GPX", "USD", "150"), {}, "use a multiple of 100 GPX"),
    (("GPX", "USD", "0.000001"), {}, "more decimals than the asset's precision"),
    (("GPX", "USD", "1000 BTC"), {}, "is not in the underlying GPX"),
    (("GPX", "GPX", "1000"), {}, "needs two assets"),
    (("GPX", "NOPE", "1000"), {}, "asset NOPE does not exist"),
    (("GPX", "USD", "1000"), {"trade_fee": "0.000001"}, "trade fee 0.000001 has more than four"),
    (("GPX", "USD", "1000"), {"mark_price_source": "oracle"}, "neither 'last'"),
    (("GPX", "USD", "1000"), {"funding": "1"}, "unknown futures rate 'funding'"),
])
def test_bad_products_are_refused(args: tuple[str, ...], kwargs: dict[str, str], message: str
                                  ) -> None:
    with pytest.raises(ClientError, match=message):
        build("futures_product_create", "alice", *args, **kwargs)


def test_update_a_product_keeps_what_is_not_changed() -> None:
    op = build("futures_product_update", None, "GPX/USD", contract_size="2000",
               trade_fee="0.005")
    assert op == FuturesProductUpdate(
        Asset(0, GPX), ALICE, PRODUCT,
        FuturesParameters(200_000_000, trade_fee_ppm=50))
    same = build("futures_product_update", "bob", "1.100.0", initial_margin="15")
    assert same.owner == BOB and same.new_parameters == FuturesParameters(
        100_000_000, initial_margin_ppm=150_000)
    with pytest.raises(ClientError, match=r"no futures product BTC/GPX on this chain \(listed: "
                                          r"GPX/USD\)"):
        build("futures_product_update", None, "BTC/GPX", trade_fee="0")


def test_margin_deposit_and_withdraw() -> None:
    assert build("margin_deposit", "alice", "500 USD") == \
        MarginDeposit(Asset(0, GPX), ALICE, Asset(5_000_000, USD))
    assert build("margin_withdraw", "bob", "0.0001 usd") == \
        MarginWithdraw(Asset(0, GPX), BOB, Asset(1, USD))
    with pytest.raises(AmountError, match="more decimals than the asset's precision"):
        build("margin_deposit", "alice", "0.00001 USD")
    with pytest.raises(AmountError, match="must be positive"):
        build("margin_withdraw", "alice", "0 USD")
    with pytest.raises(AmountError, match="is negative"):
        build("margin_deposit", "alice", "-5 USD")
    with pytest.raises(AmountError, match="is not '<number> <SYMBOL>'"):
        build("margin_deposit", "alice", "500")
    with pytest.raises(ClientError, match="account 'carol' does not exist"):
        build("margin_deposit", "carol", "5 USD")


@pytest.mark.parametrize("series", ["GPX/USD 2026-12", "GPX/USD:202612", "gpx/usd 2026-12",
                                    "1.100.0 2026-12", "1.101.3"])
def test_a_long_order_by_any_series_name(series: str) -> None:
    op = build("futures_order", "alice", series, "long", 3, "0.05")
    assert op == FuturesOrderCreate(Asset(0, GPX), ALICE, PRODUCT, 202612, 0, 3, 50_000,
                                    MAX_EXPIRATION, 0)


def test_a_short_order_with_every_option() -> None:
    op = build("futures_order", "bob", "GPX/USD", "short", 1, "0.0500019", month="2027-03",
               reduce_only=True, ioc=True, expiration_s=3600)
    assert op == FuturesOrderCreate(Asset(0, GPX), BOB, PRODUCT, 202703, 1, 1, 50_001,
                                    HEAD_TIME_S + 3600, REDUCE_ONLY | IMMEDIATE_OR_CANCEL)
    post = build("futures_order", "bob", "GPX/USD", 0, 2, "1", month=202701, post_only=True)
    assert (post.delivery_month, post.side, post.flags) == (202701, 0, POST_ONLY)


def test_an_order_for_a_month_not_yet_listed_is_built() -> None:
    # a pre-order: the node keeps it until the month lists
    op = build("futures_order", "alice", "GPX/USD 2027-06", "long", 1, "0.05")
    assert op.delivery_month == 202706


@pytest.mark.parametrize(("args", "message"), [
    (("GPX/USD 2026-12", "long", 0, "0.05"), "lots 0 must be a whole number of at least 1"),
    (("GPX/USD 2026-12", "long", -1, "0.05"), "lots -1 must be"),
    (("GPX/USD 2026-12", "long", True, "0.05"), "lots True must be"),
    (("GPX/USD 2026-12", "long", 1, "0"), "price 0 must be positive"),
    (("GPX/USD 2026-12", "long", 1, "cheap"), "price 'cheap' is not a decimal number"),
    (("GPX/USD 2026-12", "up", 1, "0.05"), "neither long nor short"),
    (("BTC/GPX 2026-12", "long", 1, "0.05"), "no futures product BTC/GPX"),
    (("GPX/USD", "long", 1, "0.05"), "is not '<product> <month>'"),
    (("1.101.99", "long", 1, "0.05"), "futures series 1.101.99 does not exist"),
])
def test_bad_orders_are_refused(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ClientError, match=message):
        build("futures_order", "alice", *args)


def test_cancel() -> None:
    assert build("futures_cancel", "alice", "1.102.42") == \
        FuturesOrderCancel(Asset(0, GPX), ALICE, ObjectId(1, 102, 42))
    for bad in ("1.7.42", "order-1"):
        with pytest.raises(ClientError, match="is not a futures order id"):
            build("futures_cancel", "alice", bad)


def test_series_lookups_through_the_client() -> None:
    async def run() -> None:
        client = AsyncClient("http://scripted.invalid")
        client.rpc = ScriptedRpc()  # type: ignore[assignment]
        assert await client.futures_series_ref("GPX/USD:202612") == (PRODUCT, 202612)
        found = await client.futures_series_object("GPX/USD 2026-12")
        assert found["id"] == "1.101.3"
        with pytest.raises(ClientError, match=r"not listed \(months listed: 2026-12\)"):
            await client.futures_series_object("GPX/USD 2027-01")
        assert (await client.futures_product("1.100.0"))["symbol"] == "GPX/USD"
        assert await client.product_name(PRODUCTS[0]) == "GPX/USD"

    asyncio.run(run())
