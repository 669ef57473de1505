"""Matching an order against the opposite side of its book (core's ``apply_order`` and
``match_limit_normal_limit``, after hard forks core-342, core-184, core-555 and core-625).

The taker meets makers best price first, oldest first at equal prices; every fill is at the
maker's price. Of each pair, the smaller order is filled completely and the bigger one receives
the rounded-down value of what it pays; the smaller pays only what that value costs, rounded up
(BSIP35), so nobody receives something for nothing. Matching goes on while the maker is the one
filled; a taker left with a remainder that would receive nothing at its own price is cancelled.
Margin calls of a smartcoin join the matching of orders selling it for its backing asset
(:mod:`..smartcoin.margin`); no cross-market matching.
"""

from __future__ import annotations

from enum import IntEnum

from ...protocol.types import Price
from ..futures.day_stats import record_spot_fill
from ..smartcoin.margin import call_side_for, check_call_orders, match_new_order_with_calls
from ..state import ChainState
from .objects import LimitOrder, best_offer
from .orders import fill_limit_order, maybe_cull_small_order
from .price import crosses, mul_down, mul_up


class MatchResult(IntEnum):
    NONE_FILLED = 0
    ONLY_TAKER_FILLED = 1
    ONLY_MAKER_FILLED = 2
    BOTH_FILLED = 3


def best_opposite(state: ChainState, order: LimitOrder) -> LimitOrder | None:
    """The best order on the other side of ``order``'s market, or None."""
    return best_offer(state.db, order.sell_price.quote.asset_id, order.sell_price.base.asset_id)


def apply_order(state: ChainState, order: LimitOrder) -> bool:
    """Match ``order`` (just placed or updated) against the book; True if it is gone.

    An order selling a smartcoin for its backing asset at a price reaching MCOP also meets the
    margin calls (:mod:`..smartcoin.margin`): first the book's offers better than MCOP, then the
    callable positions at MCOP, then the rest of the book."""
    order_id = order.id
    calls = call_side_for(state, order)
    finished = feed_moved = False
    if calls is not None:
        finished = _match_book(state, order, better_than=calls.match_price)
        if not finished:
            finished, feed_moved = match_new_order_with_calls(state, order, calls)
    if not finished:
        _match_book(state, order)
    gone = (state.db.find(order_id, LimitOrder) is None
            or maybe_cull_small_order(state, order))
    if gone and calls is not None and feed_moved:
        # the no_settlement feed moved: other offers may now meet margin calls
        check_call_orders(state, calls.asset, allow_black_swan=True)
    return gone


def _match_book(state: ChainState, order: LimitOrder, better_than: Price | None = None) -> bool:
    """Take the best offers crossing ``order`` (only those priced above ``better_than``, when
    given); True when ``order`` is finished."""
    while True:
        maker = best_opposite(state, order)
        if maker is None or not crosses(order.sell_price, maker.sell_price):
            return False
        if better_than is not None and not _above(maker.sell_price, better_than):
            return False
        if match(state, order, maker, maker.sell_price) != MatchResult.ONLY_MAKER_FILLED:
            return True


def _above(p: Price, q: Price) -> bool:
    """``p > q`` for two prices of the same market side."""
    return p.base.amount * q.quote.amount > q.base.amount * p.quote.amount


def match(state: ChainState, taker: LimitOrder, maker: LimitOrder, price: Price) -> MatchResult:
    """Fill ``taker`` against ``maker`` at ``price`` (the maker's ``sell_price``)."""
    taker_sells = taker.sell_price.base.asset_id
    taker_for_sale = taker.for_sale
    cull_taker = False
    if taker_for_sale <= mul_down(maker.for_sale, maker.sell_price.base.asset_id, price).amount:
        taker_receives = mul_down(taker_for_sale, taker_sells, price)
        if taker_receives.amount == 0:
            # What is left of the taker cannot buy a single unit: it is done (culled by caller).
            return MatchResult.ONLY_TAKER_FILLED
        maker_receives = mul_up(taker_receives.amount, taker_receives.asset_id, price)
        cull_taker = True
    else:
        maker_receives = mul_down(maker.for_sale, maker.sell_price.base.asset_id, price)
        taker_receives = mul_up(maker_receives.amount, taker_sells, price)
    taker_gone = fill_limit_order(state, taker, maker_receives.amount, taker_receives,
                                  cull_taker, price, False)
    maker_gone = fill_limit_order(state, maker, taker_receives.amount, maker_receives,
                                  True, price, True)
    record_spot_fill(state, taker_sells, maker_receives.amount, taker_receives.asset_id,
                     taker_receives.amount, state.head_time)
    result = MatchResult(int(taker_gone) | int(maker_gone) << 1)
    if result == MatchResult.NONE_FILLED:  # pragma: no cover - core asserts this never happens
        raise AssertionError("a limit-limit match filled neither order")
    return result

