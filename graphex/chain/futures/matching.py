"""Futures orders: placing, matching, filling and cancelling (SPEC §7 Orders and Matching).

Continuous double auction per series, price–time priority, every fill at the maker's price. A
fill books the realized PnL and the trade fee (both sides, into the quote's fee pool) in the margin
balances and releases the initial margin its order locked for the lots it opened.

No fill may leave a margin balance negative: a taker whose fill would is refused (the operation
fails and its transaction changes nothing); a maker whose fill would is cancelled instead
(``REASON_MARGIN``) and matching goes on. A maker whose fill would open lots it locked no margin
for (its position changed since it was placed) is cancelled the same way unless its free margin
covers them; a reduce-only maker with nothing left to reduce is cancelled (``REASON_REDUCE_ONLY``).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...protocol import ids
from ...protocol.ids import ObjectId
from ...protocol.operations.futures import (
    LONG,
    REASON_MARGIN,
    REASON_REDUCE_ONLY,
    REASON_SELF_TRADE,
    REDUCE_ONLY,
    FuturesFill,
    FuturesOrderCancelled,
)
from ...protocol.types import Asset
from ..state import ChainState
from .accounts import (
    TRADE_FEES,
    account_risk,
    change_balance,
    change_locked,
    margin_account,
    open_margin_account,
    pay_fee,
    position_in,
)
from .errors import InsufficientMargin
from .objects import FuturesOrder, FuturesSeries, MarginAccount, book_bounds
from .positions import apply_fill, fill_effect
from .units import notional, ppm_up

NO_FEE = Asset(0, ids.CORE_ASSET)


def book_side(state: ChainState, series: ObjectId, side: int) -> Iterator[FuturesOrder]:
    """Orders on one side of a series' book, best price first, then oldest."""
    lo, hi = book_bounds(series, side)
    return state.db.ordered(FuturesOrder, "by_book").range(lo, hi)


def best_order(state: ChainState, series: ObjectId, side: int) -> FuturesOrder | None:
    lo, hi = book_bounds(series, side)
    found = state.db.ordered(FuturesOrder, "by_book").first_from(lo)
    if found is None or found[0] >= hi:
        return None
    return found[1]


def crosses(taker_side: int, taker_price: int, maker_price: int) -> bool:
    return maker_price <= taker_price if taker_side == LONG else maker_price >= taker_price


def reducible_lots(state: ChainState, account: ObjectId, series: ObjectId, side: int,
                   exclude: ObjectId | None = None) -> int:
    """Lots an order on ``side`` could still reduce: the opposite position less what the
    account's other open orders on that side already reduce."""
    position = position_in(state, account, series)
    if position is None or (position.lots > 0) == (side == LONG):
        return 0
    committed = sum(o.lots - o.open_lots
                    for o in state.db.group(FuturesOrder, "by_account").equal(account)
                    if o.series == series and o.side == side and o.id != exclude)
    return max(abs(position.lots) - committed, 0)


def order_lock(series: FuturesSeries, open_lots: int, price: int) -> int:
    return ppm_up(notional(open_lots, price, series.tick_value),
                  series.parameters.initial_margin_ppm)


def remove_order(state: ChainState, order: FuturesOrder, reason: int | None) -> None:
    """Take ``order`` off the book, releasing its lock; ``reason`` set ⇒ a chain cancellation
    recorded as virtual ``futures_order_cancelled``."""
    margin = margin_account(state, order.account, order.quote)
    if margin is not None and order.locked:
        change_locked(state, margin, -order.locked)
    if reason is not None:
        state.applied.push(FuturesOrderCancelled(NO_FEE, order.account, order.id, reason,
                                                 order.locked))
    state.db.remove(order)


def _fill_order(state: ChainState, series: FuturesSeries, order: FuturesOrder, lots: int,
                price: int, *, is_maker: bool, fee: int, touched: dict[ObjectId, MarginAccount],
                liquidation: bool = False) -> None:
    """Fill ``lots`` of ``order`` at ``price``: position, realized PnL, fee, lock release."""
    margin = open_margin_account(state, order.account, order.quote)
    delta = lots if order.side == LONG else -lots
    position = position_in(state, order.account, series.id)
    effect = fill_effect(position, delta, price, series.tick_value)
    reducing_part = order.lots - order.open_lots
    from_open = max(lots - reducing_part, 0)
    release = (order.locked if from_open == order.open_lots
               else order.locked * from_open // order.open_lots if order.open_lots else 0)
    apply_fill(state, order.account, series, delta, price, effect)
    if release:
        change_locked(state, margin, -release)
    change_balance(state, margin, effect.realized)
    pay_fee(state, margin, fee, TRADE_FEES)
    left = order.lots - lots
    if left:
        with state.db.modify(order) as o:
            o.lots = left
            o.open_lots -= from_open
            o.locked -= release
    else:
        state.db.remove(order)
    state.applied.push(FuturesFill(
        Asset(fee, order.quote), order.account, order.id, series.id, order.side, lots, price,
        effect.realized, is_maker, liquidation))
    touched[margin.id] = margin


def fill_problem(state: ChainState, series: FuturesSeries, order: FuturesOrder, lots: int,
                 price: int, fee: int) -> tuple[int, str] | None:
    """Why filling ``lots`` of ``order`` at ``price`` is not allowed, or None: a realized loss
    and fee beyond the balance, or lots opened with no margin locked for them."""
    margin = margin_account(state, order.account, order.quote)
    balance = margin.balance if margin is not None else 0
    delta = lots if order.side == LONG else -lots
    effect = fill_effect(position_in(state, order.account, series.id), delta, price,
                         series.tick_value)
    if balance + effect.realized - fee < 0:
        return REASON_MARGIN, (
            f"filling {lots} lots at {price} ticks would realize {effect.realized} and pay a fee "
            f"of {fee} against a margin balance of {balance}")
    unlocked_open = effect.opened - max(lots - (order.lots - order.open_lots), 0)
    if unlocked_open > 0:
        if order.flags & REDUCE_ONLY:
            return REASON_REDUCE_ONLY, (
                f"reduce-only order {order.id} would open {unlocked_open} lots")
        need = order_lock(series, unlocked_open, price)
        free = account_risk(state, margin).free if margin is not None else 0
        if need > free:
            return REASON_MARGIN, (
                f"order {order.id} would open {unlocked_open} lots with no margin locked for "
                f"them: needs {need}, free margin {free}")
    return None


def match_order(state: ChainState, series: FuturesSeries, taker: FuturesOrder,
                touched: dict[ObjectId, MarginAccount]) -> None:
    """Match ``taker`` against the other side of the book until it is filled or no maker
    crosses. Raises :class:`InsufficientMargin` when a fill would break the taker's margin."""
    fee_ppm = series.parameters.trade_fee_ppm
    other = 1 - taker.side
    while state.db.find(taker.id, FuturesOrder) is not None:
        maker = best_order(state, series.id, other)
        if maker is None or not crosses(taker.side, taker.price, maker.price):
            return
        if maker.account == taker.account:
            remove_order(state, maker, REASON_SELF_TRADE)
            continue
        lots = min(taker.lots, maker.lots)
        price = maker.price
        fee = ppm_up(notional(lots, price, series.tick_value), fee_ppm)
        problem = fill_problem(state, series, maker, lots, price, fee)
        if problem is not None:
            remove_order(state, maker, problem[0])
            continue
        problem = fill_problem(state, series, taker, lots, price, fee)
        if problem is not None:
            raise InsufficientMargin(f"futures order: {problem[1]}")
        _fill_order(state, series, maker, lots, price, is_maker=True, fee=fee, touched=touched)
        _fill_order(state, series, taker, lots, price, is_maker=False, fee=fee, touched=touched)
        record_trade(state, series, lots, price)


def record_trade(state: ChainState, series: FuturesSeries, lots: int, price: int) -> None:
    """The series' last price and day volume (its close becomes the mark)."""
    from .day_stats import record_series_fill

    with state.db.modify(series) as s:
        s.last_price = price
        s.last_trade_block = state.head_num + 1
    record_series_fill(state, series, lots, price, state.head_time)
