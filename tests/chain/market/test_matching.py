"""The spot matching engine against hand-computed cases (BitShares' rules after the rounding hard
forks: BSIP35, core-184, core-342, core-555, core-625; BSIP81/85/86 market fees and discounts).

Every expectation is worked out in the comments from the rules, never read off the engine:

- a fill is at the maker's ``sell_price`` p (maker sells Y, taker sells X; p = Y/X);
- with T the taker's and M the maker's amount for sale: if ``T <= floor(M*p→X)`` the taker is the
  smaller order: it receives ``floor(T*p→Y)`` and pays ``ceil(that→X)``, and a remainder that would
  receive nothing at its own price is cancelled; otherwise the maker is smaller: it receives
  ``floor(M*p→X)`` and pays ``ceil(that→Y)``, and matching goes on with the next maker;
- a maker left unable to buy one unit at its own price is cancelled (culled) too.

Amounts are in the smallest units: GPX (the core asset) has 5 decimals; the test assets have 4.
The devnet's limit_order_create fee is 5 GPX = 500000, limit_order_update 37500, cancel 0.
Each ``sell`` is one transaction in its own block, so ``fills(chain)`` are that block's fills.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphex.chain.errors import OrderError
from graphex.protocol.ids import PROXY_TO_SELF_ACCOUNT, ObjectId
from graphex.protocol.operations import AccountCreate, Transfer
from graphex.protocol.types import AccountOptions, Asset, Authority, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, with_fee
from tests.chain.market.helpers import (
    CREATE_FEE,
    book,
    cancel,
    changes,
    create_op,
    dyn,
    fill,
    fills,
    for_sale,
    fund_fee_pool,
    issue,
    ledger,
    market_chain,
    new_uia,
    order,
    pending,
    sell,
    stats,
    update_op,
    virtual_cancels,
)

UPDATE_FEE = 37_500
TRADERS = ("alice", "bob", "carol", "dave")


def usd_market(chain: DevChain | None = None, **asset_options: Any) -> tuple[DevChain, ObjectId]:
    """A chain with a user-issued USD, 1 000 000 units of it held by each trader."""
    chain = chain or DevChain()
    usd = new_uia(chain, "USDCOIN", **asset_options)
    issue(chain, usd, {name: 1_000_000 for name in TRADERS})
    return chain, usd


def gpx(amount: int) -> Asset:
    return Asset(amount, GPX)


def vcancel_fee_and_refund(chain: DevChain, order_id: ObjectId) -> tuple[Asset, Asset]:
    [(op, refund)] = [(op, r) for op, r in virtual_cancels(chain) if op.order == order_id]
    return op.fee, refund


# --- BSIP35 -----------------------------------------------------------------------------------


def test_bsip35_worked_example() -> None:
    """BSIP35 example 1: Alice sells CORE at $3/8 (800 GPX for 300 USD); Bob buys $10 worth
    (10 USD for at least 26 GPX: 10/26 USD per GPX, the integer form of his $19/50 limit)."""
    chain, usd = usd_market()
    alice = sell(chain, "alice", gpx(800), Asset(300, usd))
    before = ledger(chain, GPX, usd)
    pending_before = pending(chain, "alice"), pending(chain, "bob")
    bob = sell(chain, "bob", Asset(10, usd), gpx(26))
    # Crosses: maker.base*taker.base = 800*10 = 8000 >= taker.quote*maker.quote = 26*300 = 7800.
    # p = 800 GPX / 300 USD.  T = 10 USD <= floor(800*300/800) = 300: Bob is the smaller order.
    # Bob receives floor(10*800/300) = floor(26.67) = 26 GPX;
    # Alice receives ceil(26*300/800) = ceil(9.75) = 10 USD.  Bob's order is gone (pays all 10).
    p = Price(gpx(800), Asset(300, usd))
    assert fills(chain) == [
        fill(chain, bob, "bob", Asset(10, usd), gpx(26), p, is_maker=False),
        fill(chain, alice, "alice", gpx(26), Asset(10, usd), p, is_maker=True),
    ]
    assert order(chain, bob) is None
    assert for_sale(chain, alice) == 800 - 26 == 774  # 774*300/800 = 290 > 0: not culled
    assert changes(chain, before) == {
        ("bob", usd): -10, ("bob", GPX): 26 - CREATE_FEE, ("alice", usd): 10,
    }
    # Both deferred creation fees become paid fees at their orders' first fill.
    assert pending(chain, "alice") == pending_before[0] + CREATE_FEE
    assert pending(chain, "bob") == pending_before[1] + CREATE_FEE
    remaining = order(chain, alice)
    assert remaining is not None and remaining.deferred_fee == 0
    assert stats(chain, "alice").total_core_in_orders == 774


# --- partial fills ----------------------------------------------------------------------------


def test_maker_filled_taker_rests_with_the_remainder() -> None:
    chain, usd = usd_market()
    alice = sell(chain, "alice", Asset(100, usd), gpx(300))
    before = ledger(chain, GPX, usd)
    bob = sell(chain, "bob", gpx(1000), Asset(250, usd))
    # Crosses: 100*1000 = 100000 >= 250*300 = 75000.  p = 100 USD / 300 GPX.
    # T = 1000 > floor(100*300/100) = 300: Alice (maker) is smaller.  She receives 300 GPX,
    # Bob receives ceil(300*100/300) = 100 USD.  Bob keeps 700 GPX for sale:
    # 700*250/1000 = 175 > 0, so it rests.
    p = Price(Asset(100, usd), gpx(300))
    assert fills(chain) == [
        fill(chain, bob, "bob", gpx(300), Asset(100, usd), p, is_maker=False),
        fill(chain, alice, "alice", Asset(100, usd), gpx(300), p, is_maker=True),
    ]
    assert order(chain, alice) is None
    rest = order(chain, bob)
    assert rest is not None and rest.for_sale == 700 and rest.deferred_fee == 0
    assert rest.sell_price == Price(gpx(1000), Asset(250, usd))
    assert changes(chain, before) == {
        ("bob", GPX): -1000 - CREATE_FEE, ("bob", usd): 100, ("alice", GPX): 300,
    }
    assert stats(chain, "bob").total_core_in_orders == 700
    assert [o.id for o in book(chain, GPX, usd)] == [bob] and book(chain, usd, GPX) == []


def test_taker_filled_and_its_dust_remainder_cancelled() -> None:
    chain, usd = usd_market()
    alice = sell(chain, "alice", Asset(1000, usd), gpx(3000))
    before = ledger(chain, GPX, usd)
    bob = sell(chain, "bob", gpx(100), Asset(30, usd))
    # Crosses: 1000*100 = 100000 >= 30*3000 = 90000.  p = 1000 USD / 3000 GPX.
    # T = 100 <= floor(1000*3000/1000) = 3000: Bob is smaller.  He receives
    # floor(100*1000/3000) = 33 USD and pays ceil(33*3000/1000) = 99 GPX.  His last 1 GPX would
    # receive floor(1*30/100) = 0 at his own price: cancelled, refunded, virtual cancel (fee 0: the
    # deferred fee became a paid fee at the fill).
    p = Price(Asset(1000, usd), gpx(3000))
    assert fills(chain) == [
        fill(chain, bob, "bob", gpx(99), Asset(33, usd), p, is_maker=False),
        fill(chain, alice, "alice", Asset(33, usd), gpx(99), p, is_maker=True),
    ]
    assert vcancel_fee_and_refund(chain, bob) == (gpx(0), gpx(1))
    assert order(chain, bob) is None
    assert for_sale(chain, alice) == 967
    assert changes(chain, before) == {
        ("bob", GPX): -99 - CREATE_FEE, ("bob", usd): 33, ("alice", GPX): 99,
    }
    assert stats(chain, "bob").total_core_in_orders == 0


def test_maker_remainder_too_small_to_buy_anything_is_cancelled() -> None:
    chain, usd = usd_market()
    alice = sell(chain, "alice", gpx(1000), Asset(3, usd))
    bob = sell(chain, "bob", Asset(1, usd), gpx(300))
    # Crosses: 1000*1 >= 300*3.  p = 1000 GPX / 3 USD.  T = 1 <= floor(1000*3/1000) = 3:
    # Bob receives floor(1*1000/3) = 333 GPX, Alice ceil(333*3/1000) = ceil(0.999) = 1 USD.
    # Alice keeps 667 GPX: floor(667*3/1000) = 2 > 0, she stays.
    assert order(chain, bob) is None and for_sale(chain, alice) == 667
    alice_pending = pending(chain, "alice")
    before = ledger(chain, GPX, usd)
    carol = sell(chain, "carol", Asset(2, usd), gpx(600))
    # T = 2 <= floor(667*3/1000) = 2: Carol receives floor(2*1000/3) = 666 GPX, Alice
    # ceil(666*3/1000) = ceil(1.998) = 2 USD.  Alice keeps 1 GPX: floor(1*3/1000) = 0, culled
    # (virtual cancel, fee 0 as her deferred fee was paid at her first fill), 1 GPX refunded.
    p = Price(gpx(1000), Asset(3, usd))
    assert fills(chain) == [
        fill(chain, carol, "carol", Asset(2, usd), gpx(666), p, is_maker=False),
        fill(chain, alice, "alice", gpx(666), Asset(2, usd), p, is_maker=True),
    ]
    assert vcancel_fee_and_refund(chain, alice) == (gpx(0), gpx(1))
    assert order(chain, alice) is None
    assert changes(chain, before) == {
        ("carol", usd): -2, ("carol", GPX): 666 - CREATE_FEE, ("alice", usd): 2, ("alice", GPX): 1,
    }
    assert pending(chain, "alice") == alice_pending  # the creation fee is paid once
    assert stats(chain, "alice").total_core_in_orders == 0


def test_a_taker_that_cannot_buy_one_unit_at_the_next_price_is_cancelled() -> None:
    """core-184: no fill where one side would pay something for nothing."""
    chain, usd = usd_market()
    m1 = sell(chain, "alice", Asset(1, usd), gpx(3))
    m2 = sell(chain, "carol", Asset(10, usd), gpx(40))
    before = ledger(chain, GPX, usd)
    bob = sell(chain, "bob", gpx(5), Asset(1, usd))
    # m1 (1/3 USD per GPX) is better than m2 (1/4).  Both cross Bob's 1/5.
    # m1: T = 5 > floor(1*3/1) = 3: Alice receives 3 GPX, Bob ceil(3*1/3) = 1 USD.  T = 2.
    # m2: T = 2 <= floor(10*40/10) = 40, Bob would receive floor(2*10/40) = 0 USD: no fill; his
    # 2 GPX would receive floor(2*1/5) = 0 at his own price: cancelled and refunded.
    p1 = Price(Asset(1, usd), gpx(3))
    assert fills(chain) == [
        fill(chain, bob, "bob", gpx(3), Asset(1, usd), p1, is_maker=False),
        fill(chain, m1, "alice", Asset(1, usd), gpx(3), p1, is_maker=True),
    ]
    assert vcancel_fee_and_refund(chain, bob) == (gpx(0), gpx(2))
    assert order(chain, m1) is None and for_sale(chain, m2) == 10
    assert changes(chain, before) == {
        ("bob", GPX): -3 - CREATE_FEE, ("bob", usd): 1, ("alice", GPX): 3,
    }


# --- priority and price levels ----------------------------------------------------------------


def test_best_price_first_then_oldest_first_at_equal_prices() -> None:
    chain, usd = usd_market()
    alice = sell(chain, "alice", Asset(100, usd), gpx(300))  # 1/3 USD per GPX
    carol = sell(chain, "carol", Asset(200, usd), gpx(600))  # 1/3 too (same ratio), placed later
    dave = sell(chain, "dave", Asset(100, usd), gpx(290))  # 100/290: the best, placed last
    assert [o.id for o in book(chain, usd, GPX)] == [dave, alice, carol]
    before = ledger(chain, GPX, usd)
    bob = sell(chain, "bob", gpx(500), Asset(100, usd))
    # dave: T = 500 > floor(100*290/100) = 290: Dave receives 290 GPX, Bob ceil(290*100/290) =
    #   100 USD; T = 210.
    # alice (older than carol at the same price): T = 210 <= floor(100*300/100) = 300: Bob
    #   receives floor(210*100/300) = 70 USD, pays ceil(70*300/100) = 210 GPX, which is all.
    #   Alice keeps 30 USD (30*300/100 = 90 > 0).  Carol is untouched.
    pd, pa = Price(Asset(100, usd), gpx(290)), Price(Asset(100, usd), gpx(300))
    assert fills(chain) == [
        fill(chain, bob, "bob", gpx(290), Asset(100, usd), pd, is_maker=False),
        fill(chain, dave, "dave", Asset(100, usd), gpx(290), pd, is_maker=True),
        fill(chain, bob, "bob", gpx(210), Asset(70, usd), pa, is_maker=False),
        fill(chain, alice, "alice", Asset(70, usd), gpx(210), pa, is_maker=True),
    ]
    assert order(chain, bob) is None and order(chain, dave) is None
    assert for_sale(chain, alice) == 30 and for_sale(chain, carol) == 200
    assert changes(chain, before) == {
        ("bob", GPX): -500 - CREATE_FEE, ("bob", usd): 170, ("dave", GPX): 290,
        ("alice", GPX): 210,
    }


def test_one_taker_consumes_many_small_makers_at_several_prices() -> None:
    chain, usd = usd_market()
    m1 = sell(chain, "alice", Asset(7, usd), gpx(20))  # 0.35 USD per GPX
    m2 = sell(chain, "carol", Asset(11, usd), gpx(33))  # 0.3333
    m3 = sell(chain, "dave", Asset(13, usd), gpx(40))  # 0.325
    m4 = sell(chain, "alice", Asset(9, usd), gpx(28))  # 0.3214
    before = ledger(chain, GPX, usd)
    bob = sell(chain, "bob", gpx(120), Asset(30, usd))  # 0.25: crosses all (9*120 >= 30*28)
    # m1: T = 120 > floor(7*20/7) = 20: m1 receives 20 GPX, Bob ceil(20*7/20) = 7.   T = 100
    # m2: T = 100 > 33: m2 receives 33 GPX, Bob 11.                                 T = 67
    # m3: T = 67 > 40: m3 receives 40 GPX, Bob 13.                                  T = 27
    # m4: T = 27 <= floor(9*28/9) = 28: Bob receives floor(27*9/28) = floor(8.68) = 8 USD and
    #     pays ceil(8*28/9) = ceil(24.9) = 25 GPX; his last 2 GPX would receive
    #     floor(2*30/120) = 0: cancelled.  m4 keeps 1 USD (floor(1*28/9) = 3 > 0).
    prices = [Price(Asset(7, usd), gpx(20)), Price(Asset(11, usd), gpx(33)),
              Price(Asset(13, usd), gpx(40)), Price(Asset(9, usd), gpx(28))]
    legs = [(m1, "alice", 20, 7), (m2, "carol", 33, 11), (m3, "dave", 40, 13), (m4, "alice", 25, 8)]
    expected = []
    for (maker, who, gpx_paid, usd_paid), p in zip(legs, prices, strict=True):
        expected += [
            fill(chain, bob, "bob", gpx(gpx_paid), Asset(usd_paid, usd), p, is_maker=False),
            fill(chain, maker, who, Asset(usd_paid, usd), gpx(gpx_paid), p, is_maker=True),
        ]
    assert fills(chain) == expected
    assert vcancel_fee_and_refund(chain, bob) == (gpx(0), gpx(2))
    assert [o.id for o in book(chain, usd, GPX)] == [m4] and for_sale(chain, m4) == 1
    assert changes(chain, before) == {
        ("bob", GPX): -(20 + 33 + 40 + 25) - CREATE_FEE, ("bob", usd): 7 + 11 + 13 + 8,
        ("alice", GPX): 20 + 25, ("carol", GPX): 33, ("dave", GPX): 40,
    }


def test_a_taker_stops_at_its_limit_price_and_rests() -> None:
    chain, usd = usd_market()
    level1 = sell(chain, "alice", Asset(100, usd), gpx(300))
    level2 = sell(chain, "alice", Asset(100, usd), gpx(320))
    level3 = sell(chain, "alice", Asset(100, usd), gpx(350))
    before = ledger(chain, GPX, usd)
    bob = sell(chain, "bob", gpx(1000), Asset(310, usd))  # pays at most 1000/310 = 3.23 GPX/USD
    # level1: T = 1000 > 300: Alice receives 300 GPX, Bob 100 USD.          T = 700
    # level2: T = 700 > floor(100*320/100) = 320: 320 GPX for 100 USD.      T = 380
    # level3: 100*1000 = 100000 < 310*350 = 108500: does not cross; Bob rests with 380 GPX
    #   (floor(380*310/1000) = 117 > 0).
    p1, p2 = Price(Asset(100, usd), gpx(300)), Price(Asset(100, usd), gpx(320))
    assert fills(chain) == [
        fill(chain, bob, "bob", gpx(300), Asset(100, usd), p1, is_maker=False),
        fill(chain, level1, "alice", Asset(100, usd), gpx(300), p1, is_maker=True),
        fill(chain, bob, "bob", gpx(320), Asset(100, usd), p2, is_maker=False),
        fill(chain, level2, "alice", Asset(100, usd), gpx(320), p2, is_maker=True),
    ]
    assert [o.id for o in book(chain, usd, GPX)] == [level3]
    assert [o.id for o in book(chain, GPX, usd)] == [bob] and for_sale(chain, bob) == 380
    assert changes(chain, before) == {
        ("bob", GPX): -1000 - CREATE_FEE, ("bob", usd): 200, ("alice", GPX): 620,
    }
    assert stats(chain, "bob").total_core_in_orders == 380


# --- fill or kill -----------------------------------------------------------------------------


def test_fill_or_kill() -> None:
    chain, usd = usd_market()
    alice = sell(chain, "alice", Asset(100, usd), gpx(300))
    # 600 GPX for 150 USD would take all 100 USD for 300 GPX and leave 300 GPX (worth
    # floor(300*150/600) = 75 USD, not dust): the whole transaction is refused.
    kill = with_fee(chain, create_op(chain, "bob", gpx(600), Asset(150, usd), fill_or_kill=True))
    state_before, head = chain.state.state_hash(), chain.state.head_num
    with pytest.raises(OrderError, match=r"fill_or_kill order not completely filled"):
        chain.push([kill], ["bob"])
    assert chain.state.state_hash() == state_before and chain.state.head_num == head
    assert for_sale(chain, alice) == 100

    before = ledger(chain, GPX, usd)
    bob = sell(chain, "bob", gpx(151), Asset(40, usd), fill_or_kill=True)
    # T = 151 <= 300: Bob receives floor(151*100/300) = 50 USD, pays ceil(50*300/100) = 150 GPX;
    # the last 1 GPX (floor(1*40/151) = 0) is culled: the order is gone, so it counts as filled.
    p = Price(Asset(100, usd), gpx(300))
    assert fills(chain) == [
        fill(chain, bob, "bob", gpx(150), Asset(50, usd), p, is_maker=False),
        fill(chain, alice, "alice", Asset(50, usd), gpx(150), p, is_maker=True),
    ]
    assert vcancel_fee_and_refund(chain, bob) == (gpx(0), gpx(1))
    assert changes(chain, before) == {
        ("bob", GPX): -150 - CREATE_FEE, ("bob", usd): 50, ("alice", GPX): 150,
    }
    carol = sell(chain, "carol", gpx(150), Asset(50, usd), fill_or_kill=True)
    # 50*300 >= 150*100... equal prices cross.  T = 150 <= floor(50*300/100) = 150: Carol
    # receives floor(150*100/300) = 50 USD (all Alice has), pays ceil(50*300/100) = 150: both gone.
    assert fills(chain) == [
        fill(chain, carol, "carol", gpx(150), Asset(50, usd), p, is_maker=False),
        fill(chain, alice, "alice", Asset(50, usd), gpx(150), p, is_maker=True),
    ]
    assert order(chain, alice) is None and order(chain, carol) is None
    assert book(chain, usd, GPX) == [] and book(chain, GPX, usd) == []


# --- expiration and cancellation --------------------------------------------------------------


def advance_to(chain: DevChain, when_s: int) -> None:
    while chain.state.head_time < when_s:
        chain.produce()


def test_orders_expire_at_the_block_whose_time_reaches_their_expiration() -> None:
    chain, usd = usd_market(market_chain(cancel_fee=100_000))
    before = ledger(chain, GPX, usd)
    pending_before = pending(chain, "alice")
    expiration = chain.state.head_time + 5
    alice = sell(chain, "alice", Asset(100, usd), gpx(300), expiration=expiration)
    advance_to(chain, expiration - 1)
    assert order(chain, alice) is not None
    chain.produce()
    assert chain.state.head_time == expiration
    # Cancelled by the chain in this block: 100 USD back, and the deferred 500000 GPX less the
    # cancel fee 100000, which becomes a paid fee; a virtual limit_order_cancel records it.
    assert order(chain, alice) is None
    assert vcancel_fee_and_refund(chain, alice) == (gpx(100_000), Asset(100, usd))
    assert [r.is_virtual for r in chain.state.block_ops] == [True]
    assert changes(chain, before) == {("alice", GPX): -100_000}
    assert pending(chain, "alice") == pending_before + 100_000


def test_expiry_over_skipped_slots_and_of_a_partly_filled_order() -> None:
    chain, usd = usd_market(market_chain(cancel_fee=100_000))
    before = ledger(chain, GPX, usd)
    carol = sell(chain, "carol", gpx(300), Asset(100, usd), expiration=chain.state.head_time + 3)
    assert stats(chain, "carol").total_core_in_orders == 300
    dave = sell(chain, "dave", Asset(100, usd), gpx(300), expiration=chain.state.head_time + 3)
    # Dave's 100/300 crosses Carol's 300/100 exactly (100*300 >= 100*300): Carol is the maker,
    # p = 300 GPX / 100 USD, T = 100 <= floor(300*100/300) = 100: Dave receives
    # floor(100*300/100) = 300 GPX and pays ceil(300*100/300) = 100 USD: both filled.  Carol's
    # order is gone before it can expire; her fee was paid.
    assert order(chain, carol) is None and order(chain, dave) is None
    bob = sell(chain, "bob", gpx(1000), Asset(100, usd), expiration=chain.state.head_time + 3)
    alice = sell(chain, "alice", Asset(50, usd), gpx(400), expiration=chain.state.head_time + 30)
    # Alice's 50 USD for 400 GPX (0.125 USD per GPX) crosses Bob's 1000 GPX for 100 USD
    # (0.1): 1000*50 = 50000 >= 400*100 = 40000.  Maker Bob, p = 1000 GPX / 100 USD.
    # T = 50 <= floor(1000*100/1000) = 100: Alice receives floor(50*1000/100) = 500 GPX, pays
    # ceil(500*100/1000) = 50 USD: gone.  Bob keeps 500 GPX, his deferred fee paid.
    assert order(chain, alice) is None and for_sale(chain, bob) == 500
    bob_pending = pending(chain, "bob")
    chain.produce(skip_slots=10)  # far past Bob's expiration
    # Bob's remainder is refunded; no deferred fee is left, so the cancel fee is 0.
    assert vcancel_fee_and_refund(chain, bob) == (gpx(0), gpx(500))
    assert order(chain, bob) is None and pending(chain, "bob") == bob_pending
    assert stats(chain, "bob").total_core_in_orders == 0
    assert changes(chain, before) == {
        ("carol", GPX): -300 - CREATE_FEE, ("carol", usd): 100,
        ("dave", GPX): 300 - CREATE_FEE, ("dave", usd): -100,
        ("bob", GPX): -500 - CREATE_FEE, ("bob", usd): 50,
        ("alice", GPX): 500 - CREATE_FEE, ("alice", usd): -50,
    }


def test_an_order_may_expire_in_the_block_that_places_it() -> None:
    chain, usd = usd_market(market_chain(cancel_fee=100_000))
    before = ledger(chain, GPX, usd)
    # Expiration equal to the head block time is accepted (>=), and the new block's later time
    # reaches it at once: placed and cancelled in one block, the cancel fee kept.
    alice = sell(chain, "alice", Asset(100, usd), gpx(300), expiration=chain.state.head_time)
    assert order(chain, alice) is None
    assert vcancel_fee_and_refund(chain, alice) == (gpx(100_000), Asset(100, usd))
    assert changes(chain, before) == {("alice", GPX): -100_000}


def test_owner_cancel_refunds_the_amount_and_the_whole_deferred_fee() -> None:
    chain, usd = usd_market(market_chain(cancel_fee=100_000))
    before = ledger(chain, GPX, usd)
    alice_pending = pending(chain, "alice")
    alice = sell(chain, "alice", gpx(3000), Asset(1000, usd))
    assert stats(chain, "alice").total_core_in_orders == 3000
    assert cancel(chain, "alice", alice) == gpx(3000)  # the operation's result: the refund
    # The owner pays the cancel fee (100000) with the operation and gets all 500000 back.
    assert virtual_cancels(chain) == []
    assert order(chain, alice) is None
    assert changes(chain, before) == {("alice", GPX): -100_000}
    assert pending(chain, "alice") == alice_pending + 100_000
    assert stats(chain, "alice").total_core_in_orders == 0


def test_cancel_after_a_partial_fill_refunds_only_the_remainder() -> None:
    chain, usd = usd_market()
    alice = sell(chain, "alice", Asset(100, usd), gpx(300))
    sell(chain, "bob", gpx(150), Asset(50, usd))  # takes 50 USD for 150 GPX (T=150 <= 300)
    before = ledger(chain, GPX, usd)
    alice_pending = pending(chain, "alice")
    assert cancel(chain, "alice", alice) == Asset(50, usd)
    assert changes(chain, before) == {("alice", usd): 50}  # nothing deferred is left
    assert pending(chain, "alice") == alice_pending


# --- market fees ------------------------------------------------------------------------------


def test_maker_pays_the_market_fee_percent_in_the_asset_it_receives() -> None:
    chain, usd = usd_market(market_fee_percent=100, taker_fee_percent=300, max_market_fee=50)
    alice = sell(chain, "alice", gpx(30_000), Asset(10_000, usd))
    before = ledger(chain, GPX, usd)
    bob = sell(chain, "bob", Asset(4000, usd), gpx(12_000))
    # Equal prices cross (30000*4000 == 12000*10000).  p = 30000 GPX / 10000 USD.
    # T = 4000 <= floor(30000*10000/30000) = 10000: Bob receives floor(4000*30000/10000) = 12000
    # GPX (no fee: GPX charges none), Alice ceil(12000*10000/30000) = 4000 USD, of which the maker
    # fee min(floor(4000*100/10000), 50) = 40 goes to USD's accumulated fees.
    p = Price(gpx(30_000), Asset(10_000, usd))
    assert fills(chain) == [
        fill(chain, bob, "bob", Asset(4000, usd), gpx(12_000), p, is_maker=False),
        fill(chain, alice, "alice", gpx(12_000), Asset(4000, usd), p, is_maker=True, fee=40),
    ]
    assert changes(chain, before) == {
        ("bob", usd): -4000, ("bob", GPX): 12_000 - CREATE_FEE, ("alice", usd): 4000 - 40,
    }
    assert dyn(chain, usd).accumulated_fees == 40


def test_taker_pays_the_taker_fee_percent_capped_with_a_network_share() -> None:
    chain, usd = usd_market(market_chain(market_fee_network_percent=2000),
                            market_fee_percent=100, taker_fee_percent=300, max_market_fee=50)
    dave = sell(chain, "dave", Asset(5000, usd), gpx(15_000))
    before = ledger(chain, GPX, usd)
    c1 = sell(chain, "carol", gpx(6000), Asset(1900, usd))
    # Crosses: 5000*6000 = 30e6 >= 1900*15000 = 28.5e6.  p = 5000 USD / 15000 GPX.
    # T = 6000 <= 15000: Carol receives floor(6000*5000/15000) = 2000 USD, pays
    # ceil(2000*15000/5000) = 6000 GPX.  Taker fee: floor(2000*300/10000) = 60, capped at 50.
    # Network share floor(50*2000/10000) = 10 to committee-account, 40 to accumulated fees.
    p = Price(Asset(5000, usd), gpx(15_000))
    assert fills(chain) == [
        fill(chain, c1, "carol", gpx(6000), Asset(2000, usd), p, is_maker=False, fee=50),
        fill(chain, dave, "dave", Asset(2000, usd), gpx(6000), p, is_maker=True),
    ]
    c2 = sell(chain, "carol", gpx(900), Asset(250, usd))
    # Dave has 3000 USD left.  T = 900 <= floor(3000*15000/5000) = 9000: Carol receives
    # floor(900*5000/15000) = 300 USD, pays 900 GPX; fee floor(300*300/10000) = 9 (under the
    # cap); network floor(9*2000/10000) = 1, accumulated 8.
    assert fills(chain) == [
        fill(chain, c2, "carol", gpx(900), Asset(300, usd), p, is_maker=False, fee=9),
        fill(chain, dave, "dave", Asset(300, usd), gpx(900), p, is_maker=True),
    ]
    assert for_sale(chain, dave) == 2700
    assert changes(chain, before) == {
        ("carol", GPX): -6900 - 2 * CREATE_FEE, ("carol", usd): 2000 - 50 + 300 - 9,
        ("dave", GPX): 6900, ("committee-account", usd): 10 + 1,
    }
    assert dyn(chain, usd).accumulated_fees == 40 + 8


def test_taker_rate_defaults_to_the_maker_rate_and_may_be_zero() -> None:
    chain = DevChain()
    eur = new_uia(chain, "EUROCOIN", market_fee_percent=250)  # no taker_fee_percent
    jpy = new_uia(chain, "YENCOIN", market_fee_percent=250, taker_fee_percent=0)
    krw = new_uia(chain, "WONCOIN", market_fee_percent=250, charge_market_fee=False)
    for asset in (eur, jpy, krw):
        issue(chain, asset, {"dave": 1000})
    for asset in (eur, jpy, krw):
        sell(chain, "dave", Asset(1000, asset), gpx(2000))
    before = ledger(chain, GPX, eur, jpy, krw)
    # Each: Carol's 2000 GPX for 1000 X meets Dave's 1000 X for 2000 GPX at equal prices;
    # T = 2000 <= floor(1000*2000/1000) = 2000: Carol receives floor(2000*1000/2000) = 1000 X,
    # Dave ceil(1000*2000/1000) = 2000 GPX: both filled.
    # EUR: taker fee = maker rate floor(1000*250/10000) = 25.  JPY: taker rate 0.  KRW: no flag.
    carol = [sell(chain, "carol", gpx(2000), Asset(1000, asset)) for asset in (eur, jpy, krw)]
    assert len(carol) == 3
    assert changes(chain, before) == {
        ("carol", GPX): -6000 - 3 * CREATE_FEE, ("carol", eur): 975, ("carol", jpy): 1000,
        ("carol", krw): 1000, ("dave", GPX): 6000,
    }
    assert [dyn(chain, a).accumulated_fees for a in (eur, jpy, krw)] == [25, 0, 0]
    # JPY still charges makers: Alice sells 800 GPX for 400 JPY and Carol takes it with the JPY she
    # just bought: T = 400 JPY <= floor(800*400/800) = 400, Carol receives floor(400*800/400) = 800
    # GPX, Alice 400 JPY less floor(400*250/10000) = 10.
    alice = sell(chain, "alice", gpx(800), Asset(400, jpy))
    sell(chain, "carol", Asset(400, jpy), gpx(800))
    assert [f.fee for f in fills(chain)] == [gpx(0), Asset(10, jpy)]
    assert fills(chain)[1].order_id == alice
    assert chain.balance("alice", jpy) == 390
    assert dyn(chain, jpy).accumulated_fees == 10


def register_trader(chain: DevChain, name: str, *, registrar: str, referrer: str,
                    referrer_percent: int) -> None:
    """A new account (key ``devnet_key(name)``), funded with 100 GPX by alice."""
    key = chain.key(name).public_key
    auth = Authority.single_key(key)
    push(chain, AccountCreate(Asset(0, GPX), chain.account_id(registrar),
                              chain.account_id(referrer), referrer_percent, name, auth, auth,
                              AccountOptions(key, PROXY_TO_SELF_ACCOUNT, 0, 0, ())), [registrar])
    push(chain, Transfer(Asset(0, GPX), chain.account_id("alice"), chain.account_id(name),
                         chain.gpx(100)))


def test_market_fee_rewards_go_to_the_sellers_registrar_and_referrer() -> None:
    chain = market_chain(market_fee_network_percent=2000)
    usd = new_uia(chain, "USDCOIN", market_fee_percent=1000, reward_percent=4000)
    eur = new_uia(chain, "EUROCOIN", market_fee_percent=1000, reward_percent=4000,
                  whitelist_market_fee_sharing=(chain.account_id("carol"),))
    register_trader(chain, "erin-trader", registrar="alice", referrer="bob",
                    referrer_percent=5000)
    for asset in (usd, eur):
        issue(chain, asset, {"dave": 1000})
        sell(chain, "erin-trader", gpx(3000), Asset(1000, asset))
    before = ledger(chain, GPX, usd, eur)
    sell(chain, "dave", Asset(1000, usd), gpx(3000))
    # T = 1000 <= floor(3000*1000/3000) = 1000: Dave receives floor(1000*3000/1000) = 3000 GPX,
    # Erin ceil(3000*1000/3000) = 1000 USD: both filled.  Erin's maker fee: floor(1000*10%) =
    # 100; the network's floor(100*20%) = 20 to committee-account; of the other 80 the reward
    # floor(80*40%) = 32 goes half (referrer_percent 50%: floor(32*50%) = 16) to her referrer Bob
    # and the rest, 16, to her registrar Alice; 80-32 = 48 to USD's accumulated fees.
    assert fills(chain)[1].fee == Asset(100, usd)
    assert chain.balance("erin-trader", usd) == 900
    assert changes(chain, before) == {
        ("dave", usd): -1000, ("dave", GPX): 3000 - CREATE_FEE,
        ("committee-account", usd): 20, ("bob", usd): 16, ("alice", usd): 16,
    }
    assert dyn(chain, usd).accumulated_fees == 48
    before = ledger(chain, GPX, usd, eur)
    sell(chain, "dave", Asset(1000, eur), gpx(3000))
    # EUROCOIN shares its fees only with carol's registrees: no reward, 80 accumulated.
    assert chain.balance("erin-trader", eur) == 900
    assert changes(chain, before) == {
        ("dave", eur): -1000, ("dave", GPX): 3000 - CREATE_FEE, ("committee-account", eur): 20,
    }
    assert dyn(chain, eur).accumulated_fees == 80


# --- limit_order_update -----------------------------------------------------------------------


def test_update_to_a_crossing_price_matches_as_taker() -> None:
    chain, usd = usd_market()
    alice = sell(chain, "alice", Asset(100, usd), gpx(400))
    bob = sell(chain, "bob", gpx(600), Asset(200, usd))
    # No cross: 100*600 = 60000 < 200*400 = 80000.
    assert for_sale(chain, alice) == 100 and for_sale(chain, bob) == 600
    before = ledger(chain, GPX, usd)
    alice_pending, bob_pending = pending(chain, "alice"), pending(chain, "bob")
    push(chain, update_op(chain, "alice", alice, new_price=Price(Asset(100, usd), gpx(250))))
    # Now 600*100 = 60000 >= 250*200 = 50000.  Alice's updated order is the taker at Bob's
    # price p = 600 GPX / 200 USD: T = 100 <= floor(600*200/600) = 200, so Alice receives
    # floor(100*600/200) = 300 GPX and pays ceil(300*200/600) = 100 USD: gone.  Bob keeps 300.
    # Fees: the update refunds the 500000 creation fee (cancel fee 0 here), holds the 37500
    # update fee, and that becomes paid at the fill; Bob's 500000 at his first fill.
    p = Price(gpx(600), Asset(200, usd))
    assert fills(chain) == [
        fill(chain, alice, "alice", Asset(100, usd), gpx(300), p, is_maker=False),
        fill(chain, bob, "bob", gpx(300), Asset(100, usd), p, is_maker=True),
    ]
    assert order(chain, alice) is None and for_sale(chain, bob) == 300
    assert changes(chain, before) == {
        ("alice", GPX): CREATE_FEE - UPDATE_FEE + 300, ("bob", usd): 100,
    }
    assert pending(chain, "alice") == alice_pending + UPDATE_FEE
    assert pending(chain, "bob") == bob_pending + CREATE_FEE


def test_an_updated_order_keeps_its_place_in_time() -> None:
    """An update keeps the order's id, so at equal prices it still comes before newer orders."""
    chain, usd = usd_market()
    alice = sell(chain, "alice", Asset(100, usd), gpx(320))  # older, worse for buyers
    carol = sell(chain, "carol", Asset(100, usd), gpx(300))
    assert [o.id for o in book(chain, usd, GPX)] == [carol, alice]
    push(chain, update_op(chain, "alice", alice, new_price=Price(Asset(100, usd), gpx(300))))
    assert [o.id for o in book(chain, usd, GPX)] == [alice, carol]
    bob = sell(chain, "bob", gpx(300), Asset(100, usd))
    # Alice's order first: T = 300 <= floor(100*300/100) = 300; Bob receives
    # floor(300*100/300) = 100 USD, pays ceil(100*300/100) = 300 GPX: both filled.
    p = Price(Asset(100, usd), gpx(300))
    assert fills(chain) == [
        fill(chain, bob, "bob", gpx(300), Asset(100, usd), p, is_maker=False),
        fill(chain, alice, "alice", Asset(100, usd), gpx(300), p, is_maker=True),
    ]
    assert [o.id for o in book(chain, usd, GPX)] == [carol]


def test_update_amount_up_and_down_and_expiration() -> None:
    chain, usd = usd_market(market_chain(cancel_fee=100_000))
    # Each update takes a cancel fee from the order's deferred fee, scaled by update/create:
    # 100000 * 37500 // 500000 = 7500, refunds the rest, and holds its own 37500.
    cut = 100_000 * UPDATE_FEE // CREATE_FEE
    assert cut == 7500
    before = ledger(chain, GPX, usd)
    alice_pending = pending(chain, "alice")
    alice = sell(chain, "alice", gpx(100_000), Asset(1000, usd))
    step = ledger(chain, GPX, usd)
    push(chain, update_op(chain, "alice", alice, delta_amount_to_sell=gpx(50_000)))
    # -50000 into the order, -37500 fee, +500000-7500 refund.
    assert changes(chain, step) == {("alice", GPX): -50_000 - UPDATE_FEE + CREATE_FEE - cut}
    updated = order(chain, alice)
    assert updated is not None and updated.for_sale == 150_000
    assert updated.deferred_fee == UPDATE_FEE
    assert updated.sell_price == Price(gpx(100_000), Asset(1000, usd))
    assert stats(chain, "alice").total_core_in_orders == 150_000

    step = ledger(chain, GPX, usd)
    push(chain, update_op(chain, "alice", alice, delta_amount_to_sell=gpx(-70_000)))
    # +70000 out of the order, -37500 fee, +37500-7500 refund.
    assert changes(chain, step) == {("alice", GPX): 70_000 - UPDATE_FEE + UPDATE_FEE - cut}
    assert for_sale(chain, alice) == 80_000
    assert stats(chain, "alice").total_core_in_orders == 80_000

    new_expiration = chain.state.head_time + 3600
    step = ledger(chain, GPX, usd)
    push(chain, update_op(chain, "alice", alice, new_expiration=new_expiration))
    assert changes(chain, step) == {("alice", GPX): -cut}
    updated = order(chain, alice)
    assert updated is not None and updated.expiration == new_expiration

    assert cancel(chain, "alice", alice) == gpx(80_000)
    # The owner's cancel: pays 100000, gets 80000 and the whole 37500 deferred back.
    assert changes(chain, before) == {
        ("alice", GPX): -(3 * cut + 100_000),
    }
    assert pending(chain, "alice") == alice_pending + 3 * cut + 100_000
    assert stats(chain, "alice").total_core_in_orders == 0


def test_an_update_fee_smaller_than_the_cancel_fee_is_all_kept_at_expiry() -> None:
    chain, usd = usd_market(market_chain(cancel_fee=100_000))
    before = ledger(chain, GPX, usd)
    alice = sell(chain, "alice", Asset(100, usd), gpx(300))
    expiration = chain.state.head_time + 2
    push(chain, update_op(chain, "alice", alice, new_expiration=expiration))
    advance_to(chain, expiration)
    # The update kept 7500 of the 500000 and holds 37500; at expiry the cancel fee 100000 is
    # capped at the 37500 held: nothing is refunded.
    assert vcancel_fee_and_refund(chain, alice) == (gpx(UPDATE_FEE), Asset(100, usd))
    assert changes(chain, before) == {("alice", GPX): -(7500 + UPDATE_FEE)}


# --- fees paid in a user-issued asset ---------------------------------------------------------

# USD's core exchange rate is 3 GPX per 2 USD: the smallest USD fee worth the 500000 GPX creation
# fee is 333334 (floor(333334*3/2) = 500001 >= 500000; 333333 gives 499999).
FEE_USD, FEE_CORE = 333_334, 500_001


def usd_fee_market(chain: DevChain) -> tuple[DevChain, ObjectId]:
    chain, usd = usd_market(chain, cer=(3, 2))
    fund_fee_pool(chain, usd, 10_000_000)
    return chain, usd


def test_fee_in_a_user_asset_is_refunded_in_that_asset_on_cancel() -> None:
    chain, usd = usd_fee_market(DevChain())
    before = ledger(chain, GPX, usd)
    pool = dyn(chain, usd).fee_pool
    bob = sell(chain, "bob", Asset(1000, usd), gpx(3000), fee=Asset(FEE_USD, usd))
    held = order(chain, bob)
    assert held is not None
    assert (held.deferred_fee, held.deferred_paid_fee) == (FEE_CORE, Asset(FEE_USD, usd))
    assert dyn(chain, usd).fee_pool == pool - FEE_CORE
    assert cancel(chain, "bob", bob) == Asset(1000, usd)
    # Refunded in USD, and the pool gets its GPX back.
    assert changes(chain, before) == {}
    assert dyn(chain, usd).fee_pool == pool
    assert dyn(chain, usd).accumulated_fees == 0


def test_fee_in_a_user_asset_at_expiry_keeps_a_proportional_cancel_fee() -> None:
    chain, usd = usd_fee_market(market_chain(cancel_fee=100_000))
    before = ledger(chain, GPX, usd)
    pool = dyn(chain, usd).fee_pool
    bob_pending = pending(chain, "bob")
    expiration = chain.state.head_time + 2
    bob = sell(chain, "bob", Asset(1000, usd), gpx(3000), fee=Asset(FEE_USD, usd),
               expiration=expiration)
    advance_to(chain, expiration)
    # Cancel fee 100000 GPX (<= 500001 held) is paid by Bob; of the USD he paid, the share
    # ceil(333334*100000/500001) = ceil(66666.67) = 66667 goes to accumulated fees, the other
    # 266667 back to him; the pool gets the unused 500001-100000 = 400001 GPX back.
    assert 333_334 * 100_000 == 500_001 * 66_666 + 333_334  # remainder > 0: round up
    assert vcancel_fee_and_refund(chain, bob) == (Asset(66_667, usd), Asset(1000, usd))
    assert changes(chain, before) == {("bob", usd): -66_667}
    assert dyn(chain, usd).accumulated_fees == 66_667
    assert dyn(chain, usd).fee_pool == pool - FEE_CORE + 400_001
    assert pending(chain, "bob") == bob_pending + 100_000


def test_fee_in_a_user_asset_with_the_maker_discount_on_first_fill() -> None:
    chain, usd = usd_fee_market(market_chain(maker_fee_discount_percent=1000))
    pool = dyn(chain, usd).fee_pool
    bob = sell(chain, "bob", Asset(1000, usd), gpx(3000), fee=Asset(FEE_USD, usd))
    before = ledger(chain, GPX, usd)
    bob_pending, carol_pending = pending(chain, "bob"), pending(chain, "carol")
    carol = sell(chain, "carol", gpx(300), Asset(100, usd))
    # 1000*300 >= 100*3000 (equal).  T = 300 <= 3000: Carol receives floor(300*1000/3000) = 100
    # USD, pays ceil(100*3000/1000) = 300 GPX.  Bob's first fill, as maker, with a 10% discount:
    # floor(333334*10%) = 33333 USD back to Bob, the other 300001 USD to accumulated fees;
    # floor(500001*10%) = 50000 GPX back to the pool, 450001 paid by Bob.  Carol (taker) pays
    # her whole 500000.
    p = Price(Asset(1000, usd), gpx(3000))
    assert fills(chain) == [
        fill(chain, carol, "carol", gpx(300), Asset(100, usd), p, is_maker=False),
        fill(chain, bob, "bob", Asset(100, usd), gpx(300), p, is_maker=True),
    ]
    assert changes(chain, before) == {
        ("bob", usd): 33_333, ("bob", GPX): 300,
        ("carol", GPX): -300 - CREATE_FEE, ("carol", usd): 100,
    }
    assert dyn(chain, usd).accumulated_fees == 300_001
    assert dyn(chain, usd).fee_pool == pool - FEE_CORE + 50_000
    assert pending(chain, "bob") == bob_pending + 450_001
    assert pending(chain, "carol") == carol_pending + CREATE_FEE
    rest = order(chain, bob)
    assert rest is not None and rest.for_sale == 900
    assert (rest.deferred_fee, rest.deferred_paid_fee.amount) == (0, 0)


def test_maker_fee_discount_on_a_core_fee() -> None:
    chain, usd = usd_market(market_chain(maker_fee_discount_percent=2500))
    sell(chain, "alice", Asset(100, usd), gpx(300))
    before = ledger(chain, GPX, usd)
    alice_pending, bob_pending = pending(chain, "alice"), pending(chain, "bob")
    sell(chain, "bob", gpx(300), Asset(100, usd))
    # Both filled (T = 300 <= 300; Bob receives 100 USD, pays 300).  Alice, the maker, gets
    # floor(500000*2500/10000) = 125000 of her deferred fee back; Bob gets no discount.
    assert changes(chain, before) == {
        ("alice", GPX): 300 + 125_000, ("bob", GPX): -300 - CREATE_FEE, ("bob", usd): 100,
    }
    assert pending(chain, "alice") == alice_pending + 375_000
    assert pending(chain, "bob") == bob_pending + CREATE_FEE


def test_fill_order_ops_round_trip_their_wire_form() -> None:
    """The emitted fill_order operations encode and decode (is_maker, fill_price included)."""
    from graphex.protocol.struct import codec_of

    chain, usd = usd_market()
    sell(chain, "alice", gpx(800), Asset(300, usd))
    sell(chain, "bob", Asset(10, usd), gpx(26))
    for op in fills(chain):
        codec = codec_of(type(op))
        assert codec.unpack(codec.pack(op)) == op
