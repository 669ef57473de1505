"""call_order_update (3): borrow, repay, adjust and close a debt position, and every refusal
(``reference/bitshares.md`` §3.4), with amounts worked out by hand.

USD is a witness-fed smartcoin of precision 4 backed by GPX (precision 5). The feed is
F = 10000/500000 (1 USD = 5 GPX, i.e. 1 USD unit = 50 GPX units) with MCR 1600 and MSSR 1100, so:

- maintenance collateralization ~F * 1.6 = 80 GPX units per USD unit (8 GPX per USD);
- the squeeze price ~MSSP = ~F * 1.1 = 55 GPX units per USD unit;
- ICR = MCR unless a feed sets one (then ~F * ICR/1000).

Collateral/debt below is written "CR 90" for 90 GPX units per USD unit (9 GPX per USD).
"""

from __future__ import annotations

from typing import Any

import pytest

from graphex.chain.errors import InsufficientBalance, ValidationError
from graphex.chain.evaluators.call_order import DebtPositionError, NoPriceFeed
from graphex.chain.smartcoin.objects import CallOrder
from graphex.protocol.fees import fee_for
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import CallOrderUpdate
from graphex.protocol.operations.market import CallOrderUpdateOptions
from graphex.protocol.types import Asset, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse
from tests.chain.market.helpers import dyn, stats
from tests.chain.smartcoin.helpers import (
    WITNESS_FED,
    bitasset,
    create_mpa,
    price,
    publish_feed,
)

BTC = ObjectId(1, 3, 1)  # the devnet's user-issued BTC


def usd_chain(*, feed: bool = True, icr: int | None = None, **options: Any
              ) -> tuple[DevChain, ObjectId]:
    """A devnet with USD (MCFR 5%) and, unless ``feed`` is off, its feed F = 10000/500000."""
    chain = DevChain()
    usd = create_mpa(chain, "USD", margin_call_fee_ratio=50, **options)
    if feed:
        publish_feed(chain, usd, price(10000, usd, 500000), mcr=1600, mssr=1100, icr=icr)
    return chain, usd


def update_op(chain: DevChain, who: str, collateral: int, debt: int, asset: ObjectId, *,
              tcr: int | None = None, backing: ObjectId = GPX) -> CallOrderUpdate:
    return CallOrderUpdate(Asset(0, GPX), chain.account_id(who), Asset(collateral, backing),
                           Asset(debt, asset), CallOrderUpdateOptions(tcr))


def update(chain: DevChain, who: str, collateral: int, debt: int, asset: ObjectId, *,
           tcr: int | None = None) -> Any:
    """Push a call_order_update in its own block; the processed transaction."""
    return push(chain, update_op(chain, who, collateral, debt, asset, tcr=tcr), [who])


def position(chain: DevChain, who: str, asset: ObjectId) -> CallOrder | None:
    return chain.state.db.index(CallOrder, "by_account").get((chain.account_id(who), asset))


def op_fee(chain: DevChain) -> int:
    return fee_for(chain.state.params.current_fees, update_op(chain, "bob", 1, 1, GPX))


# --- borrow, adjust, repay, close ----------------------------------------------------------------


def test_borrow_adjust_and_repay() -> None:
    chain, usd = usd_chain()
    fee = op_fee(chain)
    gpx0 = chain.balance("bob")
    # bob borrows 100 USD (1 000 000 units) against 1000 GPX (100 000 000 units): CR 100 > 80
    processed = update(chain, "bob", 100_000_000, 1_000_000, usd)
    call = position(chain, "bob", usd)
    assert call is not None and processed.operation_results[0].value == call.id
    assert (call.collateral, call.debt, call.target_collateral_ratio) == (100_000_000, 1_000_000,
                                                                           None)
    assert call.call_price == Price(Asset(1, GPX), Asset(1, usd))  # core's 1/1 placeholder
    assert chain.balance("bob", usd) == 1_000_000
    assert chain.balance("bob") == gpx0 - 100_000_000 - fee
    assert dyn(chain, usd).current_supply == 1_000_000
    assert stats(chain, "bob").total_core_in_orders == 100_000_000

    # repay 40 USD and take 300 GPX back: 70 000 000 / 600 000 (CR 116.7); a target ratio is set
    update(chain, "bob", -30_000_000, -400_000, usd, tcr=1800)
    call = position(chain, "bob", usd)
    assert call is not None
    assert (call.collateral, call.debt, call.target_collateral_ratio) == (70_000_000, 600_000, 1800)
    assert chain.balance("bob", usd) == 600_000
    assert dyn(chain, usd).current_supply == 600_000
    assert stats(chain, "bob").total_core_in_orders == 70_000_000

    # add collateral only: the target ratio is replaced by the operation's (absent: cleared)
    update(chain, "bob", 5_000_000, 0, usd)
    call = position(chain, "bob", usd)
    assert call is not None
    assert (call.collateral, call.debt, call.target_collateral_ratio) == (75_000_000, 600_000, None)

    # close: repay all the debt and take all the collateral back
    call_id = call.id
    processed = update(chain, "bob", -75_000_000, -600_000, usd)
    assert processed.operation_results[0].value == call_id
    assert position(chain, "bob", usd) is None
    assert chain.balance("bob", usd) == 0
    assert chain.balance("bob") == gpx0 - 4 * fee
    assert dyn(chain, usd).current_supply == 0
    assert stats(chain, "bob").total_core_in_orders == 0


def test_one_position_per_account_and_asset() -> None:
    chain, usd = usd_chain()
    update(chain, "bob", 100_000_000, 1_000_000, usd)
    update(chain, "bob", 50_000_000, 500_000, usd)  # the same position grows
    update(chain, "carol", 90_000_000, 1_000_000, usd)
    positions = list(chain.state.db.group(CallOrder, "by_debt").equal(usd))
    assert [(c.borrower, c.collateral, c.debt) for c in positions] == [
        (chain.account_id("bob"), 150_000_000, 1_500_000),
        (chain.account_id("carol"), 90_000_000, 1_000_000),
    ]
    # the by_collateral index lists carol (CR 90) before bob (CR 100)
    ordered = list(chain.state.db.ordered(CallOrder, "by_collateral"))
    assert [c.borrower for c in ordered] == [chain.account_id("carol"), chain.account_id("bob")]


def test_closing_needs_no_feed() -> None:
    """Without a feed nobody can borrow, but a position can still be closed (HF core-2467)."""
    chain, usd = usd_chain()
    update(chain, "bob", 100_000_000, 1_000_000, usd)
    # let the feed expire: a day (feed_lifetime_sec) of 1 s blocks, skipped in one go
    chain.produce(skip_slots=86_400)
    assert bitasset(chain, usd).current_feed.settlement_price.base.amount == 0
    refuse(chain, update_op(chain, "bob", 1_000_000, 0, usd), NoPriceFeed, "no price feed",
           ["bob"])
    update(chain, "bob", -100_000_000, -1_000_000, usd)
    assert position(chain, "bob", usd) is None


# --- the initial collateral ratio and the squeeze price ------------------------------------------


def test_icr_rule() -> None:
    """With ICR 2000 the initial collateralization is ~F * 2 = 100: a position must be above it,
    unless an update only raises its ratio without adding debt."""
    chain, usd = usd_chain()
    update(chain, "dave", 90_000_000, 1_000_000, usd)  # CR 90 > 80 (ICR = MCR for now)
    publish_feed(chain, usd, price(10000, usd, 500000), mcr=1600, mssr=1100, icr=2000)
    # CR 90: above MCR but not above ICR
    refuse(chain, update_op(chain, "bob", 90_000_000, 1_000_000, usd), DebtPositionError,
           r"not above the initial collateralization 100/1", ["bob"])
    # exactly 100 is not above it either
    refuse(chain, update_op(chain, "bob", 100_000_000, 1_000_000, usd), DebtPositionError,
           "initial collateralization", ["bob"])
    update(chain, "bob", 100_000_001, 1_000_000, usd)
    # dave (CR 90) may add collateral (CR 95, still below ICR): the ratio rises, no new debt
    update(chain, "dave", 5_000_000, 0, usd)
    # ... may repay with it too (95 000 000 / 900 000 = CR 105.6)
    update(chain, "dave", 0, -100_000, usd)
    # but adding debt below ICR is refused: 96 000 000 / 960 000 = CR 100
    refuse(chain, update_op(chain, "dave", 1_000_000, 60_000, usd), DebtPositionError,
           "initial collateralization", ["dave"])
    # and so is lowering the ratio without adding debt: 90 000 000 / 900 000 = CR 100
    refuse(chain, update_op(chain, "dave", -5_000_000, 0, usd), DebtPositionError,
           "initial collateralization", ["dave"])


def test_below_the_squeeze_price_refused() -> None:
    """A position at collateral/debt below ~MSSP (55) would be a black swan at once (core-2481)."""
    chain, usd = usd_chain()
    refuse(chain, update_op(chain, "bob", 54_999_999, 1_000_000, usd), DebtPositionError,
           r"below the squeeze price 55/1", ["bob"])


# --- refusals: nothing changes ---------------------------------------------------------------------


def test_refusals_of_bad_operations() -> None:
    chain, usd = usd_chain()
    update(chain, "carol", 300_000_000, 3_000_000, usd)
    update(chain, "bob", 100_000_000, 1_000_000, usd)
    cases: list[tuple[CallOrderUpdate, type[Exception], str]] = [
        (update_op(chain, "bob", 1_000, 1_000, GPX), ValidationError, "same asset"),
        (update_op(chain, "bob", 0, 0, usd), ValidationError, "both zero"),
        (update_op(chain, "alice", 100_000_000, 1_000_000, BTC), DebtPositionError,
         "BTC is not a market-pegged asset"),
        (update_op(chain, "alice", 100, 1_000_000, usd, backing=BTC), DebtPositionError,
         r"collateral must be USD's backing asset GPX \(1.3.0\)"),
        (update_op(chain, "alice", 100_000_000, 0, usd), DebtPositionError,
         "has no USD debt position; opening one needs positive"),
        (update_op(chain, "alice", 0, 1_000_000, usd), DebtPositionError,
         "opening one needs positive"),
        # bob owes 1 000 000: repaying 1 500 000 would leave -500 000 (the supply stays >= 0)
        (update_op(chain, "bob", 0, -1_500_000, usd), DebtPositionError,
         "both must stay positive unless it is closed"),
        (update_op(chain, "bob", -100_000_000, 0, usd), DebtPositionError,
         "both must stay positive"),
        (update_op(chain, "bob", -99_000_000, -1_000_000, usd), DebtPositionError,
         "must claim all its collateral"),
        (update_op(chain, "bob", 0, -5_000_000, usd), DebtPositionError,
         "would bring the supply of USD below zero"),
        (update_op(chain, "bob", 10**11, 1_000, usd), InsufficientBalance,
         "insufficient balance"),
    ]
    for op, error, match in cases:
        refuse(chain, op, error, match, [chain.state.account(op.funding_account).name])


def test_refused_without_feed_or_supply() -> None:
    chain, usd = usd_chain(feed=False)
    refuse(chain, update_op(chain, "bob", 100_000_000, 1_000_000, usd), NoPriceFeed,
           "USD has no price feed", ["bob"])
    chain, usd = usd_chain(max_supply=1_000_000)
    refuse(chain, update_op(chain, "bob", 100_000_000, 1_000_001, usd), DebtPositionError,
           "above its maximum", ["bob"])
    chain, usd = usd_chain(flags=WITNESS_FED | 0x400, issuer_permissions=0x1FF | 0x400)
    refuse(chain, update_op(chain, "bob", 100_000_000, 1_000_000, usd), DebtPositionError,
           "disable_new_supply", ["bob"])


@pytest.mark.parametrize("tcr", [None, 1001, 2500])
def test_target_collateral_ratio_is_stored(tcr: int | None) -> None:
    chain, usd = usd_chain()
    update(chain, "bob", 100_000_000, 1_000_000, usd, tcr=tcr)
    call = position(chain, "bob", usd)
    assert call is not None and call.target_collateral_ratio == tcr


def test_prediction_market_borrows_one_to_one_without_a_feed() -> None:
    chain = DevChain()
    pm = create_mpa(chain, "ELECTION", precision=5, is_prediction_market=True)
    refuse(chain, update_op(chain, "bob", 1_000_001, 1_000_000, pm), DebtPositionError,
           "prediction market; delta_collateral 1000001 must equal delta_debt 1000000", ["bob"])
    update(chain, "bob", 1_000_000, 1_000_000, pm)
    call = position(chain, "bob", pm)
    assert call is not None and (call.collateral, call.debt) == (1_000_000, 1_000_000)
    assert chain.balance("bob", pm) == 1_000_000
    update(chain, "bob", -1_000_000, -1_000_000, pm)
    assert position(chain, "bob", pm) is None
