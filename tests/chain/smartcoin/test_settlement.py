"""Black swans, global and individual settlement, settling from a fund, revival through collateral
bids, and delayed force settlement (``reference/bitshares.md`` §3.6–3.8).

Every amount is in the smallest unit and computed by hand in the comments: USD has precision 4,
GPX 5, so a feed ``10000 USD / 500000 GPX`` reads "1 USD = 5 GPX", i.e. 50 GPX units per USD unit.
Fees are the devnet's, paid in GPX.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphex.chain.errors import ChainError, InsufficientBalance, PermissionError_
from graphex.chain.evaluators.settlement import SettlementError
from graphex.chain.smartcoin.objects import CallOrder, CollateralBid, ForceSettlement
from graphex.protocol.fees import fee_for
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    BidCollateral,
    CallOrderUpdate,
    ExecuteBid,
    FillOrder,
    Transfer,
)
from graphex.protocol.operations.base import ExtendableOperationResult
from graphex.protocol.operations.smartcoin import AssetGlobalSettle, AssetSettle
from graphex.protocol.types import Asset, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse
from tests.chain.smartcoin.helpers import bitasset, create_mpa, price, publish_feed

LONG_LIFE = 30 * 86400
"""A feed lifetime that outlives the day-long waits for maintenance."""


# -- helpers ---------------------------------------------------------------------------------------
def fee_of(chain: DevChain, op: Any) -> int:
    return int(fee_for(chain.state.params.current_fees, op))


def borrow(chain: DevChain, who: str, usd: ObjectId, debt: int, collateral: int) -> None:
    push(chain, CallOrderUpdate(Asset(0, GPX), chain.account_id(who), Asset(collateral, GPX),
                                Asset(debt, usd)), [who])


def give(chain: DevChain, who: str, to: str, amount: Asset) -> None:
    push(chain, Transfer(Asset(0, GPX), chain.account_id(who), chain.account_id(to), amount), [who])


def settle_op(chain: DevChain, who: str, amount: Asset) -> AssetSettle:
    return AssetSettle(Asset(0, GPX), chain.account_id(who), amount)


def settle(chain: DevChain, who: str, amount: Asset) -> Any:
    """Settle in a block of its own; the operation's result value."""
    return push(chain, settle_op(chain, who, amount), [who]).operation_results[0].value


def bid_op(chain: DevChain, who: str, collateral: int, debt: Asset) -> BidCollateral:
    return BidCollateral(Asset(0, GPX), chain.account_id(who), Asset(collateral, GPX), debt)


def positions(chain: DevChain) -> list[tuple[str, int, int]]:
    """(borrower, debt, collateral) of every position, in id order."""
    state = chain.state
    return [(state.account(c.borrower).name, c.debt, c.collateral)
            for c in state.db.table(CallOrder)]


def advance_to(chain: DevChain, when_s: int) -> None:
    while chain.state.head_time < when_s:
        chain.produce(skip_slots=max(0, when_s - chain.next_slot_time()))


def vops(chain: DevChain, cls: type) -> list[Any]:
    """The last block's virtual operations of class ``cls``."""
    return [r.op for r in chain.state.block_ops if r.is_virtual and isinstance(r.op, cls)]


def supply(chain: DevChain, asset_id: ObjectId) -> int:
    return chain.state.asset_dynamic(chain.state.asset(asset_id)).current_supply


def collateral_fees(chain: DevChain, asset_id: ObjectId) -> int:
    return chain.state.asset_dynamic(chain.state.asset(asset_id)).accumulated_collateral_fees


def two_positions(chain: DevChain, **options: Any) -> ObjectId:
    """USD at 1 USD = 5 GPX; bob owes 100 USD on 1000 GPX (CR 2), carol 100 USD on 1500 GPX."""
    usd = create_mpa(chain, "USD", feed_lifetime_sec=LONG_LIFE, **options)
    publish_feed(chain, usd, price(10000, usd, 500000))
    borrow(chain, "bob", usd, 1_000_000, 100_000_000)
    borrow(chain, "carol", usd, 1_000_000, 150_000_000)
    return usd


# -- a black swan, the fund, revival ---------------------------------------------------------------
def test_black_swan_global_settlement_settle_from_fund_and_revival_by_bids() -> None:
    chain = DevChain()
    usd = two_positions(chain)
    carol_gpx = chain.balance("carol")
    # 1 USD = 12 GPX: bob's 1000 GPX for 100 USD cannot pay even at the squeeze price
    # (~CR = 1e6/1e8 = 1/100 USD per GPX unit > MSSP = (1/120)/1.1 = 1/132) -> global settlement.
    publish_feed(chain, usd, price(10000, usd, 1_200_000))
    data = bitasset(chain, usd)
    # settle price = ~bob's CR = 1e6/1e8; the fund gets debt * settle price * MSSR/1000, i.e. at
    # 11/1000 USD per GPX unit: ceil(1e6 * 1000/11) = 90_909_091 per position. Both positions are
    # margin calls (CR 100 and 150 GPX units per USD unit <= 120 * 1.75 = 210): each pays
    # ceil(1e6 * 100) = 1e8; the rest, 9_090_909 each, is the owner's collateral fee.
    assert positions(chain) == []
    assert data.settlement_fund == 181_818_182
    assert data.settlement_price == Price(Asset(2_000_000, usd), Asset(181_818_182, GPX))
    assert collateral_fees(chain, usd) == 18_181_818
    assert supply(chain, usd) == 2_000_000
    assert chain.balance("carol") - carol_gpx == 50_000_000  # 1.5e8 - 1e8 back to carol
    fills = vops(chain, FillOrder)
    assert [(f.pays.amount, f.receives.amount, f.fee.amount) for f in fills] == \
        [(100_000_000, 1_000_000, 9_090_909)] * 2
    assert fills[0].fill_price == Price(Asset(11, usd), Asset(1000, GPX))

    # A feed of 1 USD = 6 GPX does not revive it: the fund's 181_818_182 / 2_000_000 = 90.9 GPX
    # units per USD unit is not above the initial collateralization 60 * 1.75 = 105.
    publish_feed(chain, usd, price(10000, usd, 600_000))
    assert bitasset(chain, usd).has_settlement()

    # Settling 30 USD from the fund: floor(300000 * 181818182 / 2e6) = 27_272_727 GPX units
    # leave the fund, for ceil(27272727 * 2e6 / 181818182) = 300_000 USD units. At MCOP
    # (1/60 / 1.1 = 1/66) 300_000 USD units are worth only 19_800_000: the difference,
    # 7_472_727, is a collateral fee; bob receives 19_800_000.
    bob_gpx = chain.balance("bob")
    op = settle_op(chain, "bob", Asset(300_000, usd))
    result = settle(chain, "bob", Asset(300_000, usd))
    assert result == ExtendableOperationResult(
        paid=(Asset(300_000, usd),), received=(Asset(19_800_000, GPX),),
        fees=(Asset(7_472_727, GPX), Asset(0, GPX)))
    assert chain.balance("bob") - bob_gpx == 19_800_000 - fee_of(chain, op)
    assert chain.balance("bob", usd) == 700_000
    assert supply(chain, usd) == 1_700_000
    assert bitasset(chain, usd).settlement_fund == 154_545_455
    assert collateral_fees(chain, usd) == 18_181_818 + 7_472_727

    # Bids: bob 600 GPX for 70 USD (85.7 GPX units per USD unit), dave 800 GPX for 100 USD (80),
    # carol 100 GPX for 100 USD (10). At maintenance, best first: bob's position would hold
    # 60_000_000 + floor(700000 * 181818182 / 2e6) = 123_636_363 for 700_000 (CR 176.6 > 105),
    # dave's 80_000_000 + 90_909_091 for 1e6 (170.9 > 105): together they cover the 1_700_000.
    dave_gpx, carol_gpx = chain.balance("dave"), chain.balance("carol")
    push(chain, bid_op(chain, "bob", 60_000_000, Asset(700_000, usd)), ["bob"])
    push(chain, bid_op(chain, "dave", 80_000_000, Asset(1_000_000, usd)), ["dave"])
    bid_fee = fee_of(chain, bid_op(chain, "carol", 10_000_000, Asset(1_000_000, usd)))
    push(chain, bid_op(chain, "carol", 10_000_000, Asset(1_000_000, usd)), ["carol"])
    assert chain.balance("dave") == dave_gpx - 80_000_000 - bid_fee
    assert len(list(chain.state.db.table(CollateralBid))) == 3

    advance_to(chain, chain.state.dgp.next_maintenance_time)
    data = bitasset(chain, usd)
    assert not data.has_settlement() and data.settlement_fund == 0
    # dave, the last, takes the rest of the fund: 154_545_455 - 63_636_363 = 90_909_092
    assert positions(chain) == [("bob", 700_000, 123_636_363), ("dave", 1_000_000, 170_909_092)]
    assert [(e.bidder, e.debt.amount, e.collateral.amount) for e in vops(chain, ExecuteBid)] == [
        (chain.account_id("bob"), 700_000, 123_636_363),
        (chain.account_id("dave"), 1_000_000, 170_909_092)]
    refunds = vops(chain, BidCollateral)
    assert [(r.bidder, r.additional_collateral.amount, r.debt_covered.amount)
            for r in refunds] == [(chain.account_id("carol"), 10_000_000, 0)]
    assert chain.balance("carol") == carol_gpx - bid_fee
    assert list(chain.state.db.table(CollateralBid)) == []


def test_bids_wait_until_they_cover_the_supply_and_a_weak_bid_stops_the_walk() -> None:
    chain = DevChain()
    usd = two_positions(chain)
    publish_feed(chain, usd, price(10000, usd, 1_200_000))  # settled: fund 181_818_182
    publish_feed(chain, usd, price(10000, usd, 600_000))  # ICR collateralization 105
    # dave: 80_000_000 + floor(1e6 * 181818182 / 2e6) = 170_909_091 for 1e6 (170.9 > 105);
    # carol: 1_000 + 90_909_091 for 1e6 (90.9, not above 105): the walk stops there.
    push(chain, bid_op(chain, "dave", 80_000_000, Asset(1_000_000, usd)), ["dave"])
    push(chain, bid_op(chain, "carol", 1_000, Asset(1_000_000, usd)), ["carol"])
    advance_to(chain, chain.state.dgp.next_maintenance_time)
    assert bitasset(chain, usd).has_settlement()
    assert len(list(chain.state.db.table(CollateralBid))) == 2
    # bob's 60_000_000 for 1e6 ranks between them: dave and bob cover the 2e6; bob, last, takes
    # what is left of the fund, 181_818_182 - 90_909_091 = 90_909_091; carol is refunded.
    push(chain, bid_op(chain, "bob", 60_000_000, Asset(1_000_000, usd)), ["bob"])
    advance_to(chain, chain.state.dgp.next_maintenance_time)
    assert not bitasset(chain, usd).has_settlement()
    assert positions(chain) == [("dave", 1_000_000, 170_909_091), ("bob", 1_000_000, 150_909_091)]
    assert [r.bidder for r in vops(chain, BidCollateral)] == [chain.account_id("carol")]


def test_a_feed_revives_a_settled_asset_when_the_fund_suffices() -> None:
    chain = DevChain()
    usd = two_positions(chain)
    publish_feed(chain, usd, price(10000, usd, 1_200_000))
    assert bitasset(chain, usd).has_settlement()
    # 1 USD = 5 GPX: 181_818_182 / 2e6 = 90.9 GPX units per USD unit > 50 * 1.75 = 87.5 -> the
    # issuer (alice) takes the whole supply against the whole fund.
    publish_feed(chain, usd, price(10000, usd, 500_000))
    assert not bitasset(chain, usd).has_settlement()
    assert positions(chain) == [("alice", 2_000_000, 181_818_182)]


def test_issuer_global_settlement_pays_no_premium() -> None:
    chain = DevChain()
    usd = two_positions(chain)
    bob_gpx, carol_gpx = chain.balance("bob"), chain.balance("carol")
    # at 60 GPX units per USD unit: each position pays 1e6 * 60 = 60_000_000 into the fund
    op = AssetGlobalSettle(Asset(0, GPX), chain.account_id("alice"), usd,
                           Price(Asset(1, usd), Asset(60, GPX)))
    push(chain, op, ["alice"])
    data = bitasset(chain, usd)
    assert data.settlement_fund == 120_000_000
    assert data.settlement_price == Price(Asset(2_000_000, usd), Asset(120_000_000, GPX))
    assert collateral_fees(chain, usd) == 0
    assert chain.balance("bob") - bob_gpx == 40_000_000
    assert chain.balance("carol") - carol_gpx == 90_000_000
    # The whole supply takes the whole fund; but at MCOP (the feed 1/50 / 1.1 = 1/55) 2e6 USD
    # units are worth 110_000_000: the other 10_000_000 are the owner's collateral fee.
    give(chain, "carol", "bob", Asset(1_000_000, usd))
    bob_gpx = chain.balance("bob")
    result = settle(chain, "bob", Asset(2_000_000, usd))
    assert (result.paid, result.received, result.fees) == (
        (Asset(2_000_000, usd),), (Asset(110_000_000, GPX),),
        (Asset(10_000_000, GPX), Asset(0, GPX)))
    assert supply(chain, usd) == 0 and bitasset(chain, usd).settlement_fund == 0
    assert collateral_fees(chain, usd) == 10_000_000
    assert chain.balance("bob") - bob_gpx == 110_000_000 - fee_of(chain, settle_op(
        chain, "bob", Asset(1, usd)))


# -- individual settlement to the fund -------------------------------------------------------------
def test_individual_settlement_to_fund_closes_only_the_worst_position() -> None:
    chain = DevChain()
    usd = create_mpa(chain, "USD", feed_lifetime_sec=LONG_LIFE, black_swan_response_method=2,
                     margin_call_fee_ratio=50)
    publish_feed(chain, usd, price(10000, usd, 500000))
    borrow(chain, "bob", usd, 1_000_000, 100_000_000)
    borrow(chain, "carol", usd, 1_000_000, 250_000_000)
    # 1 USD = 12 GPX: bob (1/100 > MSSP 1/132) is settled alone. MCPR = (1100-50)/1100, so the
    # fund gets bob's debt at (1e6/1e8) * 1100/1050 = 11/1050 USD per GPX unit:
    # ceil(1e6 * 1050/11) = 95_454_546; the other 4_545_454 are the owner's fee.
    publish_feed(chain, usd, price(10000, usd, 1_200_000))
    data = bitasset(chain, usd)
    assert not data.has_settlement()
    assert positions(chain) == [("carol", 1_000_000, 250_000_000)]
    assert (data.individual_settlement_debt, data.individual_settlement_fund) == \
        (1_000_000, 95_454_546)
    assert collateral_fees(chain, usd) == 4_545_454
    # the current feed is capped at the fund's price times MCOR: 1e6/95454546 * 1050/1000,
    # reduced (by 6)
    assert data.current_feed.settlement_price == Price(Asset(175_000, usd),
                                                       Asset(15_909_091, GPX))

    # Settling 40 USD from the fund: floor(400000 * 95454546 / 1e6) = 38_181_818 GPX units for
    # ceil(38181818 * 1e6 / 95454546) = 400_000; at MCOP (the fund's price) that is worth
    # ceil(38_181_818.4) = 38_181_819 >= the payout: no collateral fee.
    give(chain, "carol", "dave", Asset(400_000, usd))
    result = settle(chain, "dave", Asset(400_000, usd))
    assert result == ExtendableOperationResult(
        paid=(Asset(400_000, usd),), received=(Asset(38_181_818, GPX),), fees=(Asset(0, GPX),))
    data = bitasset(chain, usd)
    assert (data.individual_settlement_debt, data.individual_settlement_fund) == \
        (600_000, 57_272_728)
    assert supply(chain, usd) == 1_600_000
    assert list(chain.state.db.table(ForceSettlement)) == []


# -- force settlement ------------------------------------------------------------------------------
def test_delayed_force_settlement_with_offset_fee_and_volume_cap() -> None:
    chain = DevChain()
    usd = two_positions(chain, force_settlement_delay_sec=60, force_settlement_offset_percent=500,
                        maximum_force_settlement_volume=2000, force_settle_fee_percent=100)
    give(chain, "bob", "dave", Asset(1_000_000, usd))
    dave_gpx, before = chain.balance("dave"), chain.state.head_time
    result = settle(chain, "dave", Asset(500_000, usd))
    settle_id = ObjectId(1, 4, 0)
    assert result == ExtendableOperationResult(new_objects=(settle_id,))
    order = chain.state.db.get(settle_id, ForceSettlement)
    due = order.settlement_date
    assert due == before + 60  # the head block time when the transaction was applied
    assert chain.balance("dave", usd) == 500_000
    dave_gpx -= fee_of(chain, settle_op(chain, "dave", Asset(1, usd)))

    advance_to(chain, due - 1)
    assert chain.state.db.find(settle_id, ForceSettlement) is not None
    assert positions(chain)[0] == ("bob", 1_000_000, 100_000_000)

    # Due: the cap is 20% of the supply, 400_000. The price is the feed less 5%:
    # (10000/500000) / 0.95 = 2/95 USD per GPX unit. Against bob (the least collateralised):
    # 400_000 USD units pay floor(400000 * 95/2) = 19_000_000 GPX units; the settler pays 1% of
    # it, 190_000, as the force-settlement fee.
    advance_to(chain, due)
    assert positions(chain) == [("bob", 600_000, 81_000_000), ("carol", 1_000_000, 150_000_000)]
    assert chain.state.db.get(settle_id, ForceSettlement).balance == Asset(100_000, usd)
    assert chain.balance("dave") - dave_gpx == 18_810_000
    assert bitasset(chain, usd).force_settled_volume == 400_000
    assert supply(chain, usd) == 1_600_000
    assert collateral_fees(chain, usd) == 190_000
    fills = vops(chain, FillOrder)
    assert [(f.order_id, f.pays, f.receives, f.fee) for f in fills] == [
        (ObjectId(1, 8, 0), Asset(19_000_000, GPX), Asset(400_000, usd), Asset(0, GPX)),
        (settle_id, Asset(400_000, usd), Asset(19_000_000, GPX), Asset(190_000, GPX))]
    assert fills[0].fill_price == Price(Asset(2, usd), Asset(95, GPX))

    # the cap is reached until the next maintenance
    chain.produce()
    assert chain.state.db.get(settle_id, ForceSettlement).balance == Asset(100_000, usd)

    # Maintenance resets the volume; the cap is then 20% of 1_600_000 = 320_000, and the last
    # 100_000 get floor(100000 * 95/2) = 4_750_000 less 1%: 4_702_500.
    advance_to(chain, chain.state.dgp.next_maintenance_time)
    assert chain.state.db.find(settle_id, ForceSettlement) is None
    assert positions(chain) == [("bob", 500_000, 76_250_000), ("carol", 1_000_000, 150_000_000)]
    assert chain.balance("dave") - dave_gpx == 18_810_000 + 4_702_500
    assert bitasset(chain, usd).force_settled_volume == 100_000
    assert collateral_fees(chain, usd) == 190_000 + 47_500


def test_a_new_settle_order_meets_a_margin_call_at_once() -> None:
    chain = DevChain()
    usd = two_positions(chain, margin_call_fee_ratio=50)
    # 1 USD = 6 GPX: bob's CR (100 GPX units per USD unit) is below 60 * 1.75 = 105, not a
    # black swan (1/100 < MSSP 1/66); no order on the book, so he stays in margin call.
    publish_feed(chain, usd, price(10000, usd, 600_000))
    give(chain, "carol", "dave", Asset(100_000, usd))
    dave_gpx = chain.balance("dave")
    # Dave's order fills at once against bob: bob pays at MSSP (66 GPX units per USD unit),
    # 6_600_000; dave receives at MCOP ((1/60)/1.05 = 1/63), 6_300_000; 300_000 is the fee.
    result = settle(chain, "dave", Asset(100_000, usd))
    assert result.new_objects == (ObjectId(1, 4, 0),)
    assert list(chain.state.db.table(ForceSettlement)) == []
    assert positions(chain)[0] == ("bob", 900_000, 93_400_000)
    assert chain.balance("dave") - dave_gpx == 6_300_000 - fee_of(chain, settle_op(
        chain, "dave", Asset(1, usd)))
    assert collateral_fees(chain, usd) == 300_000


def test_margin_calls_take_a_waiting_settle_order() -> None:
    chain = DevChain()
    usd = two_positions(chain, margin_call_fee_ratio=50)
    give(chain, "carol", "dave", Asset(100_000, usd))
    settle(chain, "dave", Asset(100_000, usd))  # bob is not in margin call yet: it waits
    settle_id = ObjectId(1, 4, 0)
    assert chain.state.db.get(settle_id, ForceSettlement).balance == Asset(100_000, usd)
    dave_gpx = chain.balance("dave")
    # The feed moves to 1 USD = 6 GPX: bob is in margin call, the book is empty, so the margin
    # call takes the settle order (the order is the maker): the same amounts as above.
    publish_feed(chain, usd, price(10000, usd, 600_000))
    assert chain.state.db.find(settle_id, ForceSettlement) is None
    assert positions(chain)[0] == ("bob", 900_000, 93_400_000)
    assert chain.balance("dave") - dave_gpx == 6_300_000
    fills = vops(chain, FillOrder)
    assert [(f.order_id, f.pays.amount, f.fee.amount, f.is_maker) for f in fills] == [
        (ObjectId(1, 8, 0), 6_600_000, 300_000, False), (settle_id, 100_000, 0, True)]


def test_force_settlements_are_cancelled_after_a_global_settlement() -> None:
    chain = DevChain()
    usd = two_positions(chain)
    give(chain, "bob", "dave", Asset(500_000, usd))
    settle(chain, "dave", Asset(500_000, usd))
    assert chain.balance("dave", usd) == 0
    op = AssetGlobalSettle(Asset(0, GPX), chain.account_id("alice"), usd,
                           Price(Asset(1, usd), Asset(60, GPX)))
    push(chain, op, ["alice"])
    chain.produce()  # the next block's settlement step refunds it
    assert list(chain.state.db.table(ForceSettlement)) == []
    assert chain.balance("dave", usd) == 500_000


# -- refusals --------------------------------------------------------------------------------------
def test_settling_without_a_feed_is_refused() -> None:
    chain = DevChain()
    usd = create_mpa(chain, "USD", feed_lifetime_sec=100)
    publish_feed(chain, usd, price(10000, usd, 500000))
    borrow(chain, "bob", usd, 1_000_000, 100_000_000)
    advance_to(chain, chain.state.head_time + 200)
    assert bitasset(chain, usd).current_feed.is_null()
    refuse(chain, settle_op(chain, "bob", Asset(1000, usd)), SettlementError, "no price feed",
           ["bob"])


def test_settling_what_is_not_a_smartcoin_is_refused() -> None:
    chain = DevChain()
    refuse(chain, settle_op(chain, "bob", Asset(1000, GPX)), SettlementError,
           "not a market-pegged asset", ["bob"])


@pytest.mark.parametrize(("make", "error", "match"), [
    (lambda c, usd: settle_op(c, "bob", Asset(2_000_000, usd)), InsufficientBalance,
     "insufficient balance"),
    (lambda c, usd: bid_op(c, "dave", 1000, Asset(1000, usd)), SettlementError,
     "not globally settled"),
    (lambda c, usd: AssetGlobalSettle(Asset(0, GPX), c.account_id("bob"), usd,
                                      Price(Asset(1, usd), Asset(60, GPX))), PermissionError_,
     "only the issuer"),
    (lambda c, usd: AssetGlobalSettle(Asset(0, GPX), c.account_id("alice"), usd,
                                      Price(Asset(1, usd), Asset(101, GPX))), SettlementError,
     "least collateralized position"),
])
def test_refusals_with_positions(make: Any, error: type[ChainError], match: str) -> None:
    chain = DevChain()
    usd = two_positions(chain)
    op = make(chain, usd)
    signer = chain.state.account(op.fee_payer).name
    refuse(chain, op, error, match, [signer])


def test_global_settlement_needs_the_permission() -> None:
    chain = DevChain()
    usd = two_positions(chain, issuer_permissions=0x1FF & ~0x20)
    op = AssetGlobalSettle(Asset(0, GPX), chain.account_id("alice"), usd,
                           Price(Asset(1, usd), Asset(60, GPX)))
    refuse(chain, op, PermissionError_, "global_settle permission", ["alice"])


def test_force_settlement_can_be_disabled() -> None:
    chain = DevChain()
    usd = two_positions(chain, flags=0x80 | 0x10)
    refuse(chain, settle_op(chain, "bob", Asset(1000, usd)), SettlementError,
           "disable_force_settle", ["bob"])


def test_settled_asset_refusals_and_bid_replacement() -> None:
    chain = DevChain()
    usd = two_positions(chain)
    publish_feed(chain, usd, price(10000, usd, 1_200_000))
    refuse(chain, bid_op(chain, "dave", 0, Asset(0, usd)), SettlementError, "no bid .* to cancel",
           ["dave"])
    refuse(chain, AssetGlobalSettle(Asset(0, GPX), chain.account_id("alice"), usd,
                                    Price(Asset(1, usd), Asset(60, GPX))),
           SettlementError, "already globally settled", ["alice"])
    refuse(chain, CallOrderUpdate(Asset(0, GPX), chain.account_id("dave"), Asset(1000, GPX),
                                  Asset(10, usd)), ChainError, "settled", ["dave"])
    # a new bid replaces the old one: only the difference moves, no virtual refund
    dave_gpx = chain.balance("dave")
    push(chain, bid_op(chain, "dave", 50_000_000, Asset(1_000_000, usd)), ["dave"])
    fee = fee_of(chain, bid_op(chain, "dave", 1, Asset(1, usd)))
    push(chain, bid_op(chain, "dave", 70_000_000, Asset(1_000_000, usd)), ["dave"])
    assert vops(chain, BidCollateral) == []
    assert chain.balance("dave") == dave_gpx - 70_000_000 - 2 * fee
    bids = list(chain.state.db.table(CollateralBid))
    assert [(b.inv_swan_price.base.amount, b.inv_swan_price.quote.amount) for b in bids] == \
        [(70_000_000, 1_000_000)]
    # cancelling returns the collateral
    push(chain, bid_op(chain, "dave", 0, Asset(0, usd)), ["dave"])
    assert chain.balance("dave") == dave_gpx - 3 * fee
    assert list(chain.state.db.table(CollateralBid)) == []


def test_a_settlement_worth_nothing_is_refused() -> None:
    chain = DevChain()
    usd = two_positions(chain)
    # settled at 2 USD units per GPX unit: each position pays ceil(1e6 / 2) = 500_000 GPX units
    push(chain, AssetGlobalSettle(Asset(0, GPX), chain.account_id("alice"), usd,
                                  Price(Asset(2, usd), Asset(1, GPX))), ["alice"])
    assert bitasset(chain, usd).settlement_fund == 1_000_000
    # one USD unit is worth floor(1 * 1e6 / 2e6) = 0 GPX units
    refuse(chain, settle_op(chain, "bob", Asset(1, usd)), SettlementError, "too small", ["bob"])
    # two are worth one
    assert settle(chain, "bob", Asset(2, usd)).received == (Asset(1, GPX),)
