"""Futures orders and margin moves: locking, flags, the trading window, and every refusal with its
message and the state hash unchanged (SPEC §7; ``graphex/chain/evaluators/futures.py``).

GPX/USD, 1 000 GPX per lot, tick value 10: at 0.05 USD/GPX a lot is 500 000 units (50 USD) of
notional and locks 50 000 units (5 USD) of initial margin.
"""

from __future__ import annotations

import pytest

from graphex.chain.errors import PermissionError_, UnknownObjectError, ValidationError
from graphex.chain.futures.errors import (
    InsufficientMargin,
    OrderRuleError,
    SeriesNotListed,
    TradingClosed,
    UnknownSeries,
)
from graphex.chain.futures.objects import FuturesOrder
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations.futures import (
    IMMEDIATE_OR_CANCEL,
    LONG,
    POST_ONLY,
    REASON_EXPIRED,
    REASON_IMMEDIATE_OR_CANCEL,
    REDUCE_ONLY,
    SHORT,
    FuturesOrderCancel,
    FuturesOrderCancelled,
)
from graphex.protocol.types import Asset
from graphex.testing.chain import GPX
from tests.chain.evaluators.helpers import refuse
from tests.chain.futures.engine_helpers import (
    USD_UNIT,
    Market,
    balance,
    cancel,
    deposit,
    futures_market,
    long,
    lots,
    margin,
    ops_of,
    order_op,
    risk,
    short,
    withdraw_op,
)
from tests.chain.futures.product_helpers import advance_to, utc


def funded(**kw: object) -> Market:
    m = futures_market(**kw)  # type: ignore[arg-type]
    for who in ("alice", "bob"):
        deposit(m, who, 1_000 * USD_UNIT)
    return m


def refuse_order(m: Market, who: str, error: type[Exception], match: str, *args: int,
                 **kw: int) -> None:
    refuse(m.chain, order_op(m, who, *args, **kw), error, match, [who])  # type: ignore[arg-type]


def test_opening_locks_initial_margin_and_reducing_locks_nothing() -> None:
    m = funded()
    order = long(m, "alice", 3, 50_000)
    assert order is not None
    assert margin(m, "alice").locked == 150_000  # 10% of 3 × 500 000
    short(m, "bob", 3, 50_000)
    assert margin(m, "alice").locked == 0 and lots(m, "alice") == 3
    assert risk(m, "alice").initial == 150_000
    closing = short(m, "alice", 2, 60_000)  # reduces 2 of 3 lots: locks nothing
    assert closing is not None and margin(m, "alice").locked == 0
    flipping = short(m, "alice", 3, 60_000)  # 1 lot still reducible, 2 open short
    assert flipping is not None
    assert m.chain.state.db.get(flipping, FuturesOrder).open_lots == 2
    assert margin(m, "alice").locked == 2 * 60_000 * 10 // 10


def test_fills_are_at_the_makers_price_in_price_then_time_order() -> None:
    m = funded()
    deposit(m, "carol", 1_000 * USD_UNIT)
    first = short(m, "bob", 1, 51_000)
    second = short(m, "carol", 1, 51_000)
    better = short(m, "bob", 1, 50_500)
    assert None not in (first, second, better)
    long(m, "alice", 2, 52_000)  # takes 50 500 (best) then 51 000 (bob's, older than carol's)
    from graphex.protocol.operations.futures import FuturesFill

    takes = [(f.order, f.price) for f in ops_of(m, FuturesFill) if f.is_maker]
    assert takes == [(better, 50_500), (first, 51_000)]
    assert m.chain.state.db.find(second, FuturesOrder) is not None


def test_realized_pnl_and_fees_on_closing() -> None:
    m = funded()
    long(m, "alice", 3, 50_000)
    short(m, "bob", 3, 50_000)  # both pay 150
    short(m, "alice", 1, 55_000, flags=REDUCE_ONLY)
    long(m, "bob", 1, 55_000, flags=REDUCE_ONLY)
    # alice sells 1 of 3 at 55 000: realizes 550 000 − 500 000 = 50 000, pays fee 55
    assert balance(m, "alice") == 1_000 * USD_UNIT - 150 + 50_000 - 55
    assert balance(m, "bob") == 1_000 * USD_UNIT - 150 - 50_000 - 55
    assert lots(m, "alice") == 2 and lots(m, "bob") == -2


def test_immediate_or_cancel_drops_its_rest_and_post_only_rests() -> None:
    m = funded()
    short(m, "bob", 1, 50_000)
    assert long(m, "alice", 3, 50_000, flags=IMMEDIATE_OR_CANCEL) is None
    [cancelled] = ops_of(m, FuturesOrderCancelled)
    assert cancelled.reason == REASON_IMMEDIATE_OR_CANCEL
    assert lots(m, "alice") == 1 and margin(m, "alice").locked == 0
    assert long(m, "alice", 1, 49_000, flags=POST_ONLY) is not None


def test_expired_orders_are_cancelled_and_release_their_margin() -> None:
    m = funded()
    order = long(m, "alice", 1, 50_000, expiration=m.chain.state.head_time + 10)
    assert margin(m, "alice").locked == 50_000
    advance_to(m.chain, m.chain.state.head_time + 11)
    assert m.chain.state.db.find(order, FuturesOrder) is None
    assert [c.reason for c in ops_of(m, FuturesOrderCancelled)] == [REASON_EXPIRED]
    assert margin(m, "alice").locked == 0


def test_bad_orders_are_refused_and_change_nothing() -> None:
    m = funded()
    refuse_order(m, "alice", ValidationError, "lots must be a whole number", LONG, 0, 50_000)
    refuse_order(m, "alice", ValidationError, "price must be", LONG, 1, 0)
    refuse_order(m, "alice", ValidationError, "side must be", 2, 1, 50_000)
    refuse_order(m, "alice", ValidationError, "not YYYYMM", LONG, 1, 50_000, month=202613)
    refuse_order(m, "alice", ValidationError, "exclude each other", LONG, 1, 50_000,
                 flags=POST_ONLY | IMMEDIATE_OR_CANCEL)
    refuse_order(m, "alice", UnknownSeries, "is past", LONG, 1, 50_000, month=202610)
    refuse_order(m, "alice", InsufficientMargin, "opening 201 lots at 0.050000 needs initial margin 1005.0000 USD; free "
                 "margin is 1000.0000 USD", LONG, 201, 50_000)
    refuse_order(m, "alice", OrderRuleError, "reduce-only order for 1 lots would increase",
                 LONG, 1, 50_000, flags=REDUCE_ONLY)
    short(m, "bob", 1, 50_000)
    refuse_order(m, "alice", OrderRuleError, "post-only order at 0.050000 would take",
                 LONG, 1, 50_000, flags=POST_ONLY)
    from msgspec.structs import replace

    op = replace(order_op(m, "alice", LONG, 1, 50_000), product=ObjectId(1, 100, 9))
    refuse(m.chain, op, UnknownSeries, "no futures product 1.100.9", ["alice"])


def test_reduce_only_cannot_exceed_the_position() -> None:
    m = funded()
    long(m, "alice", 2, 50_000)
    short(m, "bob", 2, 50_000)
    refuse_order(m, "alice", OrderRuleError, "only 2 lots can still be reduced", SHORT, 3,
                 55_000, flags=REDUCE_ONLY)
    short(m, "alice", 2, 55_000, flags=REDUCE_ONLY)
    refuse_order(m, "alice", OrderRuleError, "only 0 lots can still be reduced", SHORT, 1,
                 55_000, flags=REDUCE_ONLY)


def test_withdrawals_only_of_free_margin() -> None:
    m = funded()
    long(m, "alice", 100, 50_000)  # locks 5 000 000 of the 10 000 000 deposited
    refuse(m.chain, withdraw_op(m, "alice", 5_000_001), InsufficientMargin,
           r"exceeds the free margin 500.0000 USD .*locked by orders 500.0000 USD", ["alice"])
    refuse(m.chain, withdraw_op(m, "bob", 10_000_001), InsufficientMargin,
           "exceeds the free margin 1000.0000 USD", ["bob"])
    from tests.chain.evaluators.helpers import push

    push(m.chain, withdraw_op(m, "alice", 5_000_000), ["alice"])
    assert balance(m, "alice") == 5_000_000
    refuse(m.chain, withdraw_op(m, "carol", 1), Exception, "has no margin account", ["carol"])


def test_cancel_rules() -> None:
    m = funded()
    order = long(m, "alice", 1, 50_000)
    assert order is not None
    refuse(m.chain, FuturesOrderCancel(Asset(0, GPX), m.id("bob"), order), PermissionError_,
           r"belongs to 1.2.17 \(alice\), not 1.2.18 \(bob\)", ["bob"])
    refuse(m.chain, FuturesOrderCancel(Asset(0, GPX), m.id("alice"), ObjectId(1, 102, 99)),
           UnknownObjectError, "no open futures order 1.102.99", ["alice"])
    cancel(m, "alice", order)
    assert margin(m, "alice").locked == 0


def test_pre_order_for_a_month_not_listed_yet() -> None:
    m = funded()
    # Nov 2026: listed 2026-11, 2026-12, 2027-03, 2027-06; January lists on 1 December
    refuse_order(m, "alice", SeriesNotListed, "2027-01 is not listed yet", LONG, 1, 50_000,
                 month=202701)


@pytest.mark.parametrize(("head", "accepted"), [
    (utc(2026, 11, 30, 23, 29, 59), True),
    (utc(2026, 11, 30, 23, 30, 0), False),
])
def test_the_trading_window_closes_at_23_30_utc_on_the_last_day(head: int, accepted: bool) -> None:
    m = funded(when_s=utc(2026, 11, 30, 23, 0, 0))
    advance_to(m.chain, head)
    assert m.chain.state.head_time == head
    if accepted:
        assert long(m, "alice", 1, 50_000) is not None
        order = m.chain.state.db.table(FuturesOrder)
        assert [o.series for o in order] == [m.front.id]
    else:
        refuse_order(m, "alice", TradingClosed,
                     r"trading in GPX/USD 2026-11 closed at 2026-11-30T23:30:00 UTC", LONG, 1,
                     50_000)
        # the next month still trades
        assert long(m, "alice", 1, 50_000, month=202612) is not None
