"""Forced liquidation, computed by hand (SPEC §7; ``graphex/chain/futures/liquidation.py``).

GPX/USD, 1 000 GPX per lot, tick value 10 (USD units of 0.0001 per lot per 0.000001 USD/GPX).
At 0.05 USD/GPX (50 000 ticks) one lot is 500 000 units = 50 USD of notional; initial margin 10%
= 5 USD a lot, maintenance 5%, trade fee 0.01% a side, liquidation fee 0.5%.

Every scenario starts the same way: alice deposits 20 USD (200 000 units) and goes long 3 lots at
0.05 against bob (trade fee 150 units each), so alice's balance is 199 850 and her cost 1 500 000.
Throughout, what the market holds (Σ balances − Σ costs + fee pool, ``vault``) stays exactly the
deposits, no margin balance is negative, and with every position closed Σ balances + fee pool is
the deposits too (zero-sum).
"""

from __future__ import annotations

from graphex.protocol.operations.futures import (
    FuturesDeleverage,
    FuturesFill,
    FuturesLiquidation,
)
from tests.chain.futures.engine_helpers import (
    USD_UNIT,
    Market,
    balance,
    balances_plus_pool,
    deposit,
    futures_market,
    long,
    lots,
    margin,
    mark,
    ops_of,
    pool,
    position,
    risk,
    short,
    vault,
)

DEPOSITS = 200_000 + 3 * 10_000 * USD_UNIT  # alice 20 USD; bob, carol, dave 10 000 USD each


def opened() -> Market:
    m = futures_market()
    deposit(m, "alice", 200_000)
    for who in ("bob", "carol", "dave"):
        deposit(m, who, 10_000 * USD_UNIT)
    long(m, "alice", 3, 50_000)
    short(m, "bob", 3, 50_000)
    assert balance(m, "alice") == 199_850 and position(m, "alice").cost == 1_500_000
    assert mark(m) == 50_000
    # alice's band: slack 199 850 − 75 000 = 124 850, share 124 849 (one unit per position
    # absorbs rounding): a fall of ⌊124 849 × 10^6 / (10 × 3 × 950 000)⌋ = 4 380 ticks is covered
    assert position(m, "alice").risk_lo == 45_620
    return m


def trade_at(m: Market, price: int) -> None:
    """carol and dave trade one lot at ``price``: the block's close becomes the mark."""
    m.chain.push([], [])  # an empty block keeps the trade's block apart from earlier ones
    from tests.chain.futures.engine_helpers import order_op

    m.chain.push([order_op(m, "carol", 0, 1, price)], ["carol"])
    m.chain.push([order_op(m, "dave", 1, 1, price)], ["dave"])


def assert_zero_sum(m: Market) -> None:
    assert vault(m) == DEPOSITS
    for who in ("alice", "bob", "carol", "dave"):
        assert balance(m, who) >= 0


def test_partial_liquidation_against_the_book_restores_maintenance() -> None:
    m = opened()
    long(m, "dave", 5, 44_900)  # resting bids below the coming mark
    long(m, "carol", 1, 45_000)
    short(m, "dave", 1, 45_000)  # takes carol's bid: the block closes at 45 000
    # at 45 000 alice's equity is 199 850 + 30 × (45 000 − 50 000) = 49 850 < maintenance
    # 5% × 1 350 000 = 67 500: liquidated in this block's step. Bankruptcy price:
    # 45 000 − ⌊49 850 / 30⌋ = 43 339; dave's bid at 44 900 is above it. One lot suffices:
    # realized 449 000 − 500 000 = −51 000, trade fee ⌈44.9⌉ = 45, liquidation fee 2 245.
    [liq] = ops_of(m, FuturesLiquidation)
    assert (liq.equity, liq.maintenance, liq.closed_lots, liq.deleveraged_lots) == (
        49_850, 67_500, 1, 0)
    assert not liq.deferred
    forced = [f for f in ops_of(m, FuturesFill) if f.liquidation]
    assert [(f.lots, f.price, f.realized_pnl, f.fee.amount) for f in forced] == [
        (1, 44_900, -51_000, 45 + 2_245)]
    assert lots(m, "alice") == 2
    assert balance(m, "alice") == 199_850 - 51_000 - 45 - 2_245 == 146_560
    # equity 146 560 + 20 × 45 000 − 1 000 000 = 46 560 ≥ maintenance 45 000: restored
    r = risk(m, "alice")
    assert (r.equity, r.maintenance) == (46_560, 45_000)
    assert not margin(m, "alice").liquidating
    assert lots(m, "dave") == -1 + 1  # short 1 to carol, then bought alice's lot
    assert pool(m) == 150 * 2 + 45 * 2 + 45 * 2 + 2_245  # open, carol/dave, liquidation fill
    assert_zero_sum(m)


def test_thin_book_above_two_and_a_half_percent_is_retried_next_block() -> None:
    m = opened()
    long(m, "carol", 1, 45_000)
    short(m, "dave", 1, 45_000)
    # equity 49 850 on notional 1 350 000: ratio 3.69% ≥ 2.5%, and no bid to sell to
    [liq] = ops_of(m, FuturesLiquidation)
    assert liq.deferred and liq.closed_lots == 0 and liq.deleveraged_lots == 0
    assert margin(m, "alice").liquidating
    assert lots(m, "alice") == 3
    assert_zero_sum(m)
    long(m, "dave", 2, 44_900)  # a bid arrives: the next block's step closes one lot against it
    [liq] = ops_of(m, FuturesLiquidation)
    assert liq.closed_lots == 1 and not liq.deferred
    assert lots(m, "alice") == 2
    assert not margin(m, "alice").liquidating
    assert balance(m, "alice") == 146_560
    assert_zero_sum(m)


def test_price_gap_deleverages_at_the_bankruptcy_price() -> None:
    m = opened()
    long(m, "carol", 1, 40_000)
    short(m, "dave", 1, 40_000)
    # at 40 000 alice's equity is 199 850 − 300 000 = −100 150 ≤ 0: deleverage at once.
    # Bankruptcy price 40 000 − ⌊−100 150 / 30⌋ = 43 339 (also ⌈(1 500 000 − 199 850) / 30⌉).
    # Opposite positions by profit × leverage: bob (short 3 from 50 000, +300 000) before dave
    # (short 1 from 40 000, 0). bob closes 3 lots at 43 339.
    [liq] = ops_of(m, FuturesLiquidation)
    assert (liq.equity, liq.closed_lots, liq.deleveraged_lots) == (-100_150, 0, 3)
    [adl] = ops_of(m, FuturesDeleverage)
    assert (adl.counterparty, adl.lots, adl.price) == (m.id("bob"), 3, 43_339)
    assert (adl.realized_pnl, adl.counterparty_realized_pnl) == (-199_830, 199_830)
    assert position(m, "alice") is None and position(m, "bob") is None
    assert balance(m, "alice") == 20  # never negative: the bankruptcy price leaves 20 units
    assert balance(m, "bob") == 10_000 * USD_UNIT - 150 + 199_830
    assert_zero_sum(m)


def test_a_liquidation_fill_sets_the_next_mark_and_may_cascade() -> None:
    m = opened()
    long(m, "dave", 5, 44_900)
    long(m, "carol", 1, 45_000)
    short(m, "dave", 1, 45_000)
    assert lots(m, "alice") == 2
    # the liquidation fill at 44 900 is the next block's close: at that mark alice's equity is
    # 146 560 + 20 × 44 900 − 1 000 000 = 44 560 < 44 900 maintenance: one more lot goes
    m.chain.produce()
    assert mark(m) == 44_900
    [liq] = ops_of(m, FuturesLiquidation)
    assert (liq.equity, liq.maintenance, liq.closed_lots) == (44_560, 44_900, 1)
    assert lots(m, "alice") == 1
    assert_zero_sum(m)


def test_zero_sum_once_everything_is_closed() -> None:
    m = opened()
    long(m, "carol", 1, 40_000)
    short(m, "dave", 1, 40_000)  # alice deleveraged against bob (previous test)
    assert {w: lots(m, w) for w in ("alice", "bob", "carol", "dave")} == {
        "alice": 0, "bob": 0, "carol": 1, "dave": -1}
    short(m, "carol", 1, 41_000, flags=1)  # reduce-only both ways
    long(m, "dave", 1, 41_000, flags=1)
    assert all(position(m, w) is None for w in ("alice", "bob", "carol", "dave"))
    assert balances_plus_pool(m) == DEPOSITS
    assert_zero_sum(m)


def test_the_liquidation_fee_is_capped_by_what_equity_remains() -> None:
    m = opened()
    long(m, "dave", 5, 43_400)
    long(m, "carol", 1, 43_500)
    short(m, "dave", 1, 43_500)
    # at 43 500 alice's equity is 199 850 − 30 × 6 500 = 4 850 against maintenance 65 250;
    # bankruptcy price 43 500 − ⌊4 850 / 30⌋ = 43 339, dave's bid at 43 400 is above it. Closing
    # at 43 400 helps ⌈60 402 / 18 536.6⌉ = 4 lots' worth, so all 3 go: realized 1 302 000 −
    # 1 500 000 = −198 000 leaves 1 850. The trade fee ⌈130.2⌉ = 131 is paid; the liquidation
    # fee, 6 510 in full, is cut to the 1 719 left: alice ends with nothing, never below.
    [liq] = ops_of(m, FuturesLiquidation)
    assert (liq.equity, liq.maintenance, liq.closed_lots, liq.deleveraged_lots) == (
        4_850, 65_250, 3, 0)
    [forced] = [f for f in ops_of(m, FuturesFill) if f.liquidation]
    assert (forced.lots, forced.price, forced.realized_pnl, forced.fee.amount) == (
        3, 43_400, -198_000, 131 + 1_719)
    assert position(m, "alice") is None and balance(m, "alice") == 0
    assert_zero_sum(m)
