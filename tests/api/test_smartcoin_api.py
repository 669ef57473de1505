"""The smartcoin methods of the database API over a real node and server on loopback: debt
positions (least collateralised first), force settlements (soonest first), collateral bids on a
globally settled smartcoin (best first), their paging and ``start`` arguments, limits refused
naming the limit, non-smartcoins refused as core refuses them; ``get_full_accounts`` listing
positions and settlements, and ``get_objects`` serving bitasset data (2.4.x) in BitShares' shape.

The chain, built afresh for each test by :func:`build_smartcoins`; every amount is in the smallest
unit (the smartcoins have precision 4, GPX 5, so a feed ``10000 DOLLAR / 500000 GPX`` reads
1 DOLLAR = 5 GPX, i.e. 50 GPX units per DOLLAR unit). The symbols are five letters or longer
because shorter ones cost 300 000 GPX (four letters) or 500 000 GPX (three) to create, as on
BitShares.

- ``DOLLAR``, fed at 1 DOLLAR = 5 GPX: dave owes 50 DOLLAR on 1200 GPX (240 GPX units per DOLLAR
  unit), carol 100 on 1500 GPX (150), bob 100 on 1000 GPX (100, target ratio 2000) — created in
  that order, so id order is the reverse of collateral order;
- ``EUROS``, fed at 1 EUROS = 4 GPX: bob owes 10 EUROS on 200 GPX;
- force settlements, each in a block of its own: bob 10 DOLLAR, carol 5 DOLLAR, bob 2 EUROS,
  bob 3 DOLLAR (they wait the default day);
- ``SWANS``, fed at 1 SWANS = 5 GPX: carol and dave owe 100 SWANS each on 1000 and 1500 GPX; a feed
  of 1 SWANS = 12 GPX globally settles it (the numbers of ``tests/chain/smartcoin/
  test_settlement.py``: fund 181 818 182, settlement price 2 000 000 / 181 818 182); then bids:
  bob 600 GPX for 70 SWANS, alice 800 GPX for 100 SWANS, carol 100 GPX for 100 SWANS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graphex.api.smartcoin_api import MAX_CALL_ORDERS, MAX_COLLATERAL_BIDS, MAX_SETTLE_ORDERS
from graphex.chain.smartcoin.objects import CollateralBid
from graphex.node.node import Node
from graphex.protocol.bitasset import PriceFeed
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import AssetCreate, BidCollateral, CallOrderUpdate
from graphex.protocol.operations.market import CallOrderUpdateOptions
from graphex.protocol.operations.smartcoin import AssetPublishFeed, AssetSettle
from graphex.protocol.types import Asset, Price
from tests.api.test_database_api import open_node, produce
from tests.api.test_market_api import (
    EXECUTION_ERROR,
    INVALID_PARAMS,
    account,
    over_http,
    push,
    result,
)
from tests.chain.smartcoin.helpers import bitasset_options, mpa_common_options

GPX = ObjectId(1, 3, 0)
LONG_LIFE_S = 30 * 86400
"""A feed lifetime no test outlives."""
SETTLE_DELAY_S = 86400
"""The default force_settlement_delay_sec: the settle orders wait a day."""
MCR, MSSR = 1750, 1100
BITASSET_FIELDS = [
    "id", "asset_id", "feeds", "median_feed", "current_feed", "current_feed_publication_time",
    "current_maintenance_collateralization", "current_initial_collateralization", "options",
    "force_settled_volume", "is_prediction_market", "settlement_price", "settlement_fund",
    "individual_settlement_debt", "individual_settlement_fund", "asset_cer_updated",
    "feed_cer_updated",
]
"""asset_bitasset_data_object's JSON fields in core's FC_REFLECT order (with the object id)."""


# -- the chain -------------------------------------------------------------------------------------
@dataclass
class Smartcoins:
    node: Node
    usd: ObjectId = GPX
    eur: ObjectId = GPX
    swan: ObjectId = GPX
    calls: dict[str, ObjectId] = field(default_factory=dict)
    """Position ids by ``"who/SYMBOL"``."""
    settles: list[ObjectId] = field(default_factory=list)
    settle_times: list[int] = field(default_factory=list)
    """The head block time each settle order was applied at (its date is a day later)."""
    bids: dict[str, ObjectId] = field(default_factory=dict)
    feed_times: dict[str, int] = field(default_factory=dict)


def create(node: Node, symbol: str) -> ObjectId:
    """A witness-fed smartcoin backed by GPX, precision 4, issued by alice."""
    op = AssetCreate(Asset(0, GPX), account(node, "alice"), symbol, 4, mpa_common_options(),
                     bitasset_options(feed_lifetime_sec=LONG_LIFE_S))
    push(node, op, "alice")
    produce(node)
    found = node.state.asset_by_symbol(symbol)
    assert found is not None and found.bitasset_data_id is not None
    return found.id


def publish(sc: Smartcoins, asset: ObjectId, debt: int, collateral: int) -> None:
    """init0 publishes ``debt`` units of ``asset`` per ``collateral`` GPX units (CER the same)."""
    rate = Price(Asset(debt, asset), Asset(collateral, GPX))
    op = AssetPublishFeed(Asset(0, GPX), account(sc.node, "init0"), asset,
                          PriceFeed(rate, MCR, MSSR, rate))
    sc.feed_times[str(asset)] = sc.node.state.head_time
    push(sc.node, op, "init0")
    produce(sc.node)


def borrow(sc: Smartcoins, who: str, asset: ObjectId, debt: int, collateral: int,
           target_ratio: int | None = None) -> None:
    op = CallOrderUpdate(Asset(0, GPX), account(sc.node, who), Asset(collateral, GPX),
                         Asset(debt, asset), CallOrderUpdateOptions(target_ratio))
    symbol = sc.node.state.asset(asset).symbol
    sc.calls[f"{who}/{symbol}"] = push(sc.node, op, who).operation_results[0].value
    produce(sc.node)


def settle(sc: Smartcoins, who: str, amount: Asset) -> None:
    op = AssetSettle(Asset(0, GPX), account(sc.node, who), amount)
    sc.settle_times.append(sc.node.state.head_time)
    (new_id,) = push(sc.node, op, who).operation_results[0].value.new_objects
    sc.settles.append(new_id)
    produce(sc.node)


def bid(sc: Smartcoins, who: str, collateral: int, debt: int) -> None:
    op = BidCollateral(Asset(0, GPX), account(sc.node, who), Asset(collateral, GPX),
                       Asset(debt, sc.swan))
    push(sc.node, op, who)
    produce(sc.node)
    bidder = account(sc.node, who)
    (found,) = [b for b in sc.node.state.db.table(CollateralBid) if b.bidder == bidder]
    sc.bids[who] = found.id


def build_smartcoins(node: Node) -> Smartcoins:
    sc = Smartcoins(node)
    sc.usd, sc.eur, sc.swan = create(node, "DOLLAR"), create(node, "EUROS"), create(node, "SWANS")
    publish(sc, sc.usd, 10_000, 500_000)
    publish(sc, sc.eur, 10_000, 400_000)
    publish(sc, sc.swan, 10_000, 500_000)
    borrow(sc, "dave", sc.usd, 500_000, 120_000_000)
    borrow(sc, "carol", sc.usd, 1_000_000, 150_000_000)
    borrow(sc, "bob", sc.usd, 1_000_000, 100_000_000, target_ratio=2000)
    borrow(sc, "bob", sc.eur, 100_000, 20_000_000)
    settle(sc, "bob", Asset(100_000, sc.usd))
    settle(sc, "carol", Asset(50_000, sc.usd))
    settle(sc, "bob", Asset(20_000, sc.eur))
    settle(sc, "bob", Asset(30_000, sc.usd))
    borrow(sc, "carol", sc.swan, 1_000_000, 100_000_000)
    borrow(sc, "dave", sc.swan, 1_000_000, 150_000_000)
    publish(sc, sc.swan, 10_000, 1_200_000)  # a black swan: globally settled
    bid(sc, "bob", 60_000_000, 700_000)
    bid(sc, "alice", 80_000_000, 1_000_000)
    bid(sc, "carol", 10_000_000, 1_000_000)
    return sc


@pytest.fixture
def node(tmp_path: Path) -> Any:
    node = open_node(tmp_path / "node")
    produce(node, 2)
    yield node
    node.close()


@pytest.fixture
def sc(node: Node) -> Smartcoins:
    return build_smartcoins(node)


# -- JSON helpers ----------------------------------------------------------------------------------
def amount(units: int, asset: ObjectId) -> dict[str, Any]:
    return {"amount": units, "asset_id": str(asset)}


def price_json(base: int, base_asset: ObjectId, quote: int, quote_asset: ObjectId
               ) -> dict[str, Any]:
    return {"base": amount(base, base_asset), "quote": amount(quote, quote_asset)}


def ids_of(objects: list[dict[str, Any]]) -> list[str]:
    return [o["id"] for o in objects]


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


# -- debt positions --------------------------------------------------------------------------------
def test_call_orders_least_collateralised_first(sc: Smartcoins) -> None:
    node, usd = sc.node, sc.usd
    bob, carol, dave = (str(sc.calls[f"{who}/DOLLAR"]) for who in ("bob", "carol", "dave"))
    # created dave, carol, bob; collateral per debt unit 100 (bob) < 150 (carol) < 240 (dave)
    assert sorted([bob, carol, dave]) == [dave, carol, bob]
    calls = result(node, "get_call_orders", "DOLLAR", 10)
    assert ids_of(calls) == [bob, carol, dave]
    assert calls[0] == {
        "id": bob, "borrower": str(account(node, "bob")),
        "collateral": 100_000_000, "debt": 1_000_000,
        "call_price": price_json(1, GPX, 1, usd),  # core's 1/1 since it stopped caching it
        "target_collateral_ratio": 2000,
    }
    assert "target_collateral_ratio" not in calls[1]  # absent when unset, as fc omits it
    assert (calls[1]["collateral"], calls[1]["debt"]) == (150_000_000, 1_000_000)
    assert (calls[2]["collateral"], calls[2]["debt"]) == (120_000_000, 500_000)
    # by id too; the limit cuts from the least collateralised
    assert result(node, "get_call_orders", str(usd), 10) == calls
    assert ids_of(result(node, "get_call_orders", "DOLLAR", 2)) == [bob, carol]
    assert result(node, "get_call_orders", "DOLLAR", 0) == []
    assert ids_of(result(node, "get_call_orders", "EUROS", 10)) == [str(sc.calls["bob/EUROS"])]
    assert result(node, "get_call_orders", "SWANS", 10) == []  # closed by the global settlement
    # the same objects get_objects serves
    assert result(node, "get_objects", [bob, carol, dave]) == \
        [calls[0], calls[1], calls[2]]


def test_call_orders_by_account_and_margin_positions(sc: Smartcoins) -> None:
    node = sc.node
    usd_pos, eur_pos = str(sc.calls["bob/DOLLAR"]), str(sc.calls["bob/EUROS"])
    # by debt asset id from start
    both = result(node, "get_call_orders_by_account", "bob", "1.3.0", 10)
    assert ids_of(both) == [usd_pos, eur_pos]
    assert both == result(node, "get_objects", [usd_pos, eur_pos])
    assert ids_of(result(node, "get_call_orders_by_account", "bob", str(sc.eur), 10)) == \
        [eur_pos]
    assert ids_of(result(node, "get_call_orders_by_account", "bob", str(sc.usd), 1)) == \
        [usd_pos]
    assert result(node, "get_call_orders_by_account", "bob", str(sc.swan), 10) == []
    by_id = result(node, "get_call_orders_by_account", str(account(node, "bob")), "1.3.0", 10)
    assert by_id == both
    assert result(node, "get_call_orders_by_account", "alice", "1.3.0", 10) == []
    assert result(node, "get_margin_positions", "bob") == both
    assert ids_of(result(node, "get_margin_positions", "dave")) == [str(sc.calls["dave/DOLLAR"])]


# -- force settlements -----------------------------------------------------------------------------
def test_settle_orders_soonest_first_and_by_account(sc: Smartcoins) -> None:
    node, usd, eur = sc.node, sc.usd, sc.eur
    bob_usd, carol_usd, bob_eur, bob_usd_2 = (str(s) for s in sc.settles)
    bob, carol = str(account(node, "bob")), str(account(node, "carol"))
    # each waits force_settlement_delay_sec from the head block time it was applied at
    due = [iso(t + SETTLE_DELAY_S) for t in sc.settle_times]
    assert len(set(due)) == 4
    orders = result(node, "get_settle_orders", "DOLLAR", 10)
    assert orders == [
        {"id": bob_usd, "owner": bob, "balance": amount(100_000, usd),
         "settlement_date": due[0]},
        {"id": carol_usd, "owner": carol, "balance": amount(50_000, usd),
         "settlement_date": due[1]},
        {"id": bob_usd_2, "owner": bob, "balance": amount(30_000, usd),
         "settlement_date": due[3]},
    ]
    assert ids_of(result(node, "get_settle_orders", str(usd), 2)) == [bob_usd, carol_usd]
    assert result(node, "get_settle_orders", "EUROS", 10) == [
        {"id": bob_eur, "owner": bob, "balance": amount(20_000, eur), "settlement_date": due[2]}]
    # core answers for any asset: nothing settles in GPX or a settled smartcoin
    assert result(node, "get_settle_orders", "GPX", 10) == []
    assert result(node, "get_settle_orders", "SWANS", 10) == []
    # an account's, in id order from start (across assets)
    assert ids_of(result(node, "get_settle_orders_by_account", "bob", "1.4.0", 10)) == \
        [bob_usd, bob_eur, bob_usd_2]
    assert ids_of(result(node, "get_settle_orders_by_account", "bob", carol_usd, 10)) == \
        [bob_eur, bob_usd_2]
    assert ids_of(result(node, "get_settle_orders_by_account", "bob", "1.4.0", 1)) == [bob_usd]
    assert result(node, "get_settle_orders_by_account", "carol") == [orders[1]]
    assert result(node, "get_settle_orders_by_account", "dave", "1.4.0", 10) == []
    # the settled DOLLAR stays in circulation until executed: supply is everything borrowed
    dynamic = node.state.asset(usd).dynamic_asset_data_id
    assert result(node, "get_objects", [str(dynamic)])[0]["current_supply"] == 2_500_000
    assert node.state.balance(account(node, "bob"), usd) == 1_000_000 - 130_000


# -- global settlement and collateral bids --------------------------------------------------------
def test_collateral_bids_best_first_with_start(sc: Smartcoins) -> None:
    node, swan = sc.node, sc.swan
    bob, alice, carol = (str(sc.bids[who]) for who in ("bob", "alice", "carol"))
    # collateral per debt: bob 6e7/7e5 = 85.7 > alice 8e7/1e6 = 80 > carol 1e7/1e6 = 10
    bids = result(node, "get_collateral_bids", "SWANS", 10, 0)
    assert bids == [
        {"id": bob, "bidder": str(account(node, "bob")),
         "inv_swan_price": price_json(60_000_000, GPX, 700_000, swan)},
        {"id": alice, "bidder": str(account(node, "alice")),
         "inv_swan_price": price_json(80_000_000, GPX, 1_000_000, swan)},
        {"id": carol, "bidder": str(account(node, "carol")),
         "inv_swan_price": price_json(10_000_000, GPX, 1_000_000, swan)},
    ]
    assert all(b.startswith("2.17.") for b in (bob, alice, carol))
    assert result(node, "get_collateral_bids", str(swan), 2, 0) == bids[:2]
    assert result(node, "get_collateral_bids", "SWANS", 10, 1) == bids[1:]
    assert result(node, "get_collateral_bids", "SWANS", 1, 2) == bids[2:]
    assert result(node, "get_collateral_bids", "SWANS", 10, 3) == []
    assert result(node, "get_collateral_bids", "SWANS", 10) == bids  # start defaults to 0
    assert result(node, "get_objects", [bob, carol]) == [bids[0], bids[2]]
    assert result(node, "get_collateral_bids", "DOLLAR", 10, 0) == []  # not settled: no bids


def test_bitasset_data_in_bitshares_shape(sc: Smartcoins) -> None:
    node, usd, swan = sc.node, sc.usd, sc.swan
    usd_asset, swan_asset = result(node, "get_objects", [str(usd), str(swan)])
    usd_data_id, swan_data_id = usd_asset["bitasset_data_id"], swan_asset["bitasset_data_id"]
    assert usd_data_id.startswith("2.4.") and swan_data_id.startswith("2.4.")
    usd_data, swan_data = result(node, "get_objects", [usd_data_id, swan_data_id])
    assert list(usd_data) == BITASSET_FIELDS == list(swan_data)

    rate = price_json(10_000, usd, 500_000, GPX)
    feed = {"settlement_price": rate, "maintenance_collateral_ratio": MCR,
            "maximum_short_squeeze_ratio": MSSR, "core_exchange_rate": rate,
            "initial_collateral_ratio": MCR}  # ICR defaults to the MCR
    published = iso(sc.feed_times[str(usd)])
    null_price = price_json(0, GPX, 0, GPX)  # core's default price: 0/0 of 1.3.0
    assert usd_data == {
        "id": usd_data_id, "asset_id": str(usd),
        "feeds": [[str(account(node, "init0")), [published, feed]]],
        "median_feed": feed, "current_feed": feed,
        "current_feed_publication_time": published,
        # ~feed * MCR: 500000/10000 * 1750/1000 = 175/2 GPX units per DOLLAR unit, reduced
        "current_maintenance_collateralization": price_json(175, GPX, 2, usd),
        "current_initial_collateralization": price_json(175, GPX, 2, usd),
        "options": {"feed_lifetime_sec": LONG_LIFE_S, "minimum_feeds": 1,
                    "force_settlement_delay_sec": SETTLE_DELAY_S,
                    "force_settlement_offset_percent": 0,
                    "maximum_force_settlement_volume": 2000,
                    "short_backing_asset": "1.3.0", "extensions": {}},
        "force_settled_volume": 0, "is_prediction_market": False,
        "settlement_price": null_price, "settlement_fund": 0,
        "individual_settlement_debt": 0, "individual_settlement_fund": 0,
        "asset_cer_updated": False, "feed_cer_updated": False,
    }
    # SWANS, globally settled: its fund and settlement price, the 1 SWANS = 12 GPX feed current
    swan_rate = price_json(10_000, swan, 1_200_000, GPX)
    assert swan_data["settlement_price"] == price_json(2_000_000, swan, 181_818_182, GPX)
    assert swan_data["settlement_fund"] == 181_818_182
    assert swan_data["current_feed"]["settlement_price"] == swan_rate
    assert swan_data["median_feed"] == swan_data["current_feed"]
    # the supply stays; the owner took the margin-call premium
    dynamic = result(node, "get_objects", [swan_asset["dynamic_asset_data_id"]])[0]
    assert dynamic["current_supply"] == 2_000_000
    assert dynamic["accumulated_collateral_fees"] == 18_181_818
    # lookup by symbol serves the same asset, which names its bitasset data
    assert result(node, "lookup_asset_symbols", ["DOLLAR"])[0]["bitasset_data_id"] == usd_data_id


def test_full_accounts_list_positions_and_settlements(sc: Smartcoins) -> None:
    node = sc.node
    full = dict(result(node, "get_full_accounts", ["bob", "carol", "alice"], False))
    bob, carol, alice = full["bob"], full["carol"], full["alice"]
    bob_calls = [str(sc.calls["bob/DOLLAR"]), str(sc.calls["bob/EUROS"])]
    assert bob["call_orders"] == result(node, "get_objects", bob_calls)
    bob_settles = [str(sc.settles[i]) for i in (0, 2, 3)]
    assert bob["settle_orders"] == result(node, "get_objects", bob_settles)
    assert ids_of(carol["call_orders"]) == [str(sc.calls["carol/DOLLAR"])]
    assert ids_of(carol["settle_orders"]) == [str(sc.settles[1])]
    assert alice["call_orders"] == alice["settle_orders"] == []
    assert bob["more_data_available"]["call_orders"] is False
    assert bob["more_data_available"]["settle_orders"] is False


# -- refusals --------------------------------------------------------------------------------------
def test_limits_and_non_smartcoins_refused(sc: Smartcoins) -> None:
    node = sc.node
    replies = over_http(node, [
        ("get_call_orders", "DOLLAR", MAX_CALL_ORDERS + 1),
        ("get_call_orders", "DOLLAR", -1),
        ("get_call_orders", "GPX", 10),
        ("get_call_orders", "BTC", 10),
        ("get_call_orders", "NOPE", 10),
        ("get_call_orders_by_account", "bob", "1.3.0", MAX_CALL_ORDERS + 1),
        ("get_call_orders_by_account", "bob", "1.2.0", 10),
        ("get_call_orders_by_account", "nobody", "1.3.0", 10),
        ("get_margin_positions", "nobody"),
        ("get_settle_orders", "DOLLAR", MAX_SETTLE_ORDERS + 1),
        ("get_settle_orders", "NOPE", 10),
        ("get_settle_orders_by_account", "bob", "1.4.0", MAX_SETTLE_ORDERS + 1),
        ("get_settle_orders_by_account", "bob", "1.3.0", 10),
        ("get_collateral_bids", "SWANS", MAX_COLLATERAL_BIDS + 1, 0),
        ("get_collateral_bids", "SWANS", 10, -1),
        ("get_collateral_bids", "GPX", 10, 0),
        ("get_call_orders", "DOLLAR", "10"),
    ])
    expected = [
        (EXECUTION_ERROR,
         "get_call_orders: 301 results requested, more than api_limit_get_call_orders = 300"),
        (INVALID_PARAMS, "get_call_orders: limit must be >= 0, got -1"),
        (EXECUTION_ERROR, "get_call_orders: GPX (1.3.0) is not a market-pegged asset"),
        (EXECUTION_ERROR, "get_call_orders: BTC (1.3.1) is not a market-pegged asset"),
        (EXECUTION_ERROR, "no such asset: 'NOPE'"),
        (EXECUTION_ERROR, ("get_call_orders_by_account: 301 results requested, more than "
                           "api_limit_get_call_orders = 300")),
        (INVALID_PARAMS, "start '1.2.0' is not a 1.3.x id"),
        (EXECUTION_ERROR, "no such account: 'nobody'"),
        (EXECUTION_ERROR, "no such account: 'nobody'"),
        (EXECUTION_ERROR, ("get_settle_orders: 301 results requested, more than "
                           "api_limit_get_settle_orders = 300")),
        (EXECUTION_ERROR, "no such asset: 'NOPE'"),
        (EXECUTION_ERROR, ("get_settle_orders_by_account: 301 results requested, more than "
                           "api_limit_get_settle_orders = 300")),
        (INVALID_PARAMS, "start '1.3.0' is not a 1.4.x id"),
        (EXECUTION_ERROR, ("get_collateral_bids: 101 results requested, more than "
                           "api_limit_get_collateral_bids = 100")),
        (INVALID_PARAMS, "get_collateral_bids: start must be >= 0, got -1"),
        (EXECUTION_ERROR, "get_collateral_bids: GPX (1.3.0) is not a market-pegged asset"),
        (INVALID_PARAMS, "expects integer, got string"),
    ]
    assert len(replies) == len(expected)
    for reply, (code, text) in zip(replies, expected, strict=True):
        assert "error" in reply, reply
        assert reply["error"]["code"] == code, reply
        assert text in reply["error"]["message"], reply
