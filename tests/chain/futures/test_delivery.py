"""Cash delivery, computed by hand (SPEC §7 Delivery; ``graphex/chain/futures/delivery.py``).

GPX/USD 2026-11 delivers with the first block at or after 2026-12-01 00:00:00 UTC, at the VWAP of
the last day's GPX/USD spot fills; the same block lists 2027-01. Tick value 10: a lot at 0.052
USD/GPX is 520 000 units of notional; the delivery fee is 0.01% (rounded up).
"""

from __future__ import annotations

from graphex.chain.futures.objects import DELIVERED, FuturesFeePool, FuturesOrder, FuturesSeries
from graphex.protocol.operations.futures import (
    REASON_DELIVERY,
    FuturesDelivery,
    FuturesOrderCancelled,
    FuturesSeriesList,
)
from graphex.protocol.types import Asset
from graphex.testing.chain import GPX
from tests.chain.futures.engine_helpers import (
    USD_UNIT,
    Market,
    balance,
    balances_plus_pool,
    deposit,
    futures_market,
    long,
    ops_of,
    pool,
    position,
    short,
    vault,
)
from tests.chain.futures.product_helpers import advance_to, utc
from tests.chain.market.helpers import sell

DELIVERY = utc(2026, 12, 1)


def last_day_market(alice_margin: int = 1_000 * USD_UNIT) -> Market:
    m = futures_market(when_s=utc(2026, 11, 30, 22))
    deposit(m, "alice", alice_margin)
    deposit(m, "bob", 1_000 * USD_UNIT)
    long(m, "alice", 2, 50_000)
    short(m, "bob", 2, 50_000)
    return m


def spot_trade(m: Market, gpx_whole: int, usd_units: int) -> None:
    """carol sells ``gpx_whole`` GPX to dave for ``usd_units`` of USD on the DEX."""
    sell(m.chain, "carol", Asset(gpx_whole * 100_000, GPX), Asset(usd_units, m.usd))
    sell(m.chain, "dave", Asset(usd_units, m.usd), Asset(gpx_whole * 100_000, GPX))


def series(m: Market, month: int) -> FuturesSeries | None:
    found: FuturesSeries | None = m.chain.state.db.index(FuturesSeries, "by_month").get(
        (m.product, month))
    return found


def test_delivery_at_the_spot_vwap_in_the_first_block_of_the_month() -> None:
    m = last_day_market()
    resting = long(m, "alice", 1, 40_000)
    spot_trade(m, 1_000, 52 * USD_UNIT)  # 0.052 USD/GPX
    spot_trade(m, 3_000, 159 * USD_UNIT)  # 0.053
    # VWAP = (520 000 + 1 590 000) / 4 000 GPX = 0.0527500 USD/GPX = 52 750 ticks
    before = balances_plus_pool(m) - 0  # nothing else moves USD in the margin accounts
    advance_to(m.chain, DELIVERY - 1)
    assert m.chain.state.head_time < DELIVERY
    assert series(m, 202611).status != DELIVERED
    advance_to(m.chain, DELIVERY)
    assert m.chain.state.head_time >= DELIVERY
    delivered = series(m, 202611)
    assert delivered is not None and delivered.status == DELIVERED
    assert delivered.delivery_price == 52_750
    # alice: 2 × 52 750 × 10 − 1 000 000 = 55 000; fee ⌈1 055 000 × 0.0001⌉ = 106
    deliveries = {d.account: d for d in ops_of(m, FuturesDelivery)}
    assert (deliveries[m.id("alice")].realized_pnl, deliveries[m.id("alice")].fee.amount) == (
        55_000, 106)
    assert (deliveries[m.id("bob")].realized_pnl, deliveries[m.id("bob")].fee.amount) == (
        -55_000, 106)
    assert position(m, "alice") is None and position(m, "bob") is None
    assert balance(m, "alice") == 1_000 * USD_UNIT - 100 + 55_000 - 106
    assert balance(m, "bob") == 1_000 * USD_UNIT - 100 - 55_000 - 106
    # the resting order was cancelled with the series and its margin released
    assert m.chain.state.db.find(resting, FuturesOrder) is None
    assert [c.reason for c in ops_of(m, FuturesOrderCancelled)] == [REASON_DELIVERY]
    # the same block lists January: four series trade again
    listed = [op.delivery_month for op in ops_of(m, FuturesSeriesList)]
    assert listed == [202701]
    trading = sorted(s.delivery_month for s in m.chain.state.db.table(FuturesSeries)
                     if s.product == m.product and s.status != DELIVERED)
    assert trading == [202612, 202701, 202703, 202706]
    # zero-sum: Σ balances + fee pool is what it was (no position left open)
    assert balances_plus_pool(m) == before
    assert pool(m) == 2 * 100 + 2 * 106


def test_a_loss_beyond_the_balance_is_capped_and_winners_share_what_was_paid() -> None:
    # alice deposits just the initial margin and fees; the delivery price gaps far below
    m = last_day_market(alice_margin=100_100)
    assert balance(m, "alice") == 100_000
    spot_trade(m, 1_000, 40 * USD_UNIT)  # 0.040: alice's loss 2 × 10 000 × 10 = 200 000
    advance_to(m.chain, DELIVERY)
    deliveries = {d.account: d for d in ops_of(m, FuturesDelivery)}
    # alice pays all she has (100 000); bob's gain of 200 000 is cut to what was paid
    assert deliveries[m.id("alice")].realized_pnl == -100_000
    assert deliveries[m.id("bob")].realized_pnl == 100_000
    assert balance(m, "alice") == 0 and deliveries[m.id("alice")].fee.amount == 0
    assert balance(m, "bob") == 1_000 * USD_UNIT - 100 + 100_000 - 80
    assert vault(m) == 100_100 + 1_000 * USD_UNIT


def test_without_spot_trades_the_series_vwap_of_the_day_delivers() -> None:
    m = last_day_market()
    deposit(m, "carol", 1_000 * USD_UNIT)
    deposit(m, "dave", 1_000 * USD_UNIT)
    long(m, "carol", 1, 51_000)  # rests: no ask
    short(m, "dave", 3, 51_003)  # rests above carol's bid
    long(m, "carol", 2, 51_003)  # takes 2 lots at 51 003
    # no spot fill that day: the series' own VWAP, (2 × 50 000 + 2 × 51 003) / 4 = 50 501.5,
    # exactly half-way: rounded half to even → 50 502
    advance_to(m.chain, DELIVERY)
    assert series(m, 202611).delivery_price == 50_502


def test_a_loss_beyond_what_the_winners_gained_is_covered_by_the_pool_then_shared() -> None:
    # alice buys 2 at 0.05 from bob, sells them to carol at 0.06 (+200 000) and withdraws it all:
    # open are bob −2 (cost −1 000 000) and carol +2 (cost 1 200 000, balance 120 000)
    m = futures_market(when_s=utc(2026, 11, 30, 22))
    deposit(m, "alice", 100_100)
    deposit(m, "bob", 1_000 * USD_UNIT)
    deposit(m, "carol", 120_120)
    long(m, "alice", 2, 50_000)
    short(m, "bob", 2, 50_000)
    long(m, "carol", 2, 60_000)
    short(m, "alice", 2, 60_000, flags=1)
    assert position(m, "alice") is None and balance(m, "alice") == 100_000 + 200_000 - 120
    from tests.chain.evaluators.helpers import push
    from tests.chain.futures.engine_helpers import withdraw_op

    push(m.chain, withdraw_op(m, "alice", 299_880), ["alice"])
    fees = pool(m)
    assert fees == 100 + 100 + 120 + 120
    spot_trade(m, 1_000, 40 * USD_UNIT)  # delivers at 0.040: carol owes 400 000, holds 120 000
    advance_to(m.chain, DELIVERY)
    # bob's gain of 200 000 is cut to 0 and he pays the delivery fee of 80; of the 80 000 still
    # missing the pool pays all it holds (440 + 80) and the rest, 79 480, is shared by the margin
    # accounts holding USD: only bob has any
    assert balance(m, "carol") == 0
    assert balance(m, "bob") == 1_000 * USD_UNIT - 100 - 80 - 79_480
    found = m.chain.state.db.index(FuturesFeePool, "by_asset").get(m.usd)
    assert (found.bad_debt_covered, found.balance) == (fees + 80, 0)
    assert vault(m) == 100_100 + 1_000 * USD_UNIT + 120_120 - 299_880
