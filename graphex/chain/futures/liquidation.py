"""Forced liquidation and auto-deleveraging (SPEC §7 Forced liquidation).

For an account whose equity is below its maintenance requirement at the marks:

1. cancel its open orders in that quote asset;
2. close positions oldest first against the book's resting orders, never at a price beyond the
   position's bankruptcy price, and only as many lots as restore equity ≥ maintenance; the
   liquidated side pays the trade fee and the liquidation fee, both capped by what its balance
   and equity still hold, into the fee pool;
3. if the book could not absorb enough: with a margin ratio (equity / notional) ≥ 2.5% the account
   stays ``liquidating`` and is retried next block; below 2.5%, or at equity ≤ 0, the rest is
   deleveraged: closed against opposite positions ranked by profit × leverage (unrealized PnL ×
   notional / equity, highest first, then position id) at the bankruptcy price, without fees.

The bankruptcy price of a position is the worst price at which closing all of it leaves both the
account's equity and its margin balance ≥ 0 (long: rounded up, short: rounded down), so no margin
account ever goes negative and the chain is never a counterparty.
"""

from __future__ import annotations

from fractions import Fraction

from ...protocol.ids import ObjectId
from ...protocol.operations.futures import (
    LONG,
    PPM,
    REASON_LIQUIDATION,
    SHORT,
    FuturesDeleverage,
    FuturesFill,
    FuturesLiquidation,
)
from ...protocol.types import Asset
from ..state import ChainState
from .accounts import (
    LIQUIDATION_FEES,
    TRADE_FEES,
    account_risk,
    change_balance,
    margin_account,
    pay_fee,
    positions_of,
    series_of,
)
from .matching import NO_FEE, _fill_order, best_order, fill_problem, record_trade, remove_order
from .objects import NO_PRICE, FuturesOrder, FuturesPosition, FuturesSeries, MarginAccount
from .positions import apply_fill, fill_effect
from .risk import rekey
from .units import notional, ppm_up

ADL_RATIO_PPM = 25_000
"""Below this margin ratio (2.5%), or at equity ≤ 0, the rest is deleveraged at once."""


def bankruptcy_price(balance: int, equity: int, position: FuturesPosition,
                     series: FuturesSeries) -> int:
    """The worst price (ticks) at which all of ``position`` can close with the account's equity
    and balance staying ≥ 0 (long: the lowest sell price, short: the highest buy price)."""
    q, tv, mark = position.lots, series.tick_value, series.mark_price
    size = abs(q) * tv
    if q > 0:
        by_equity = mark - equity // size  # mark − E/size, rounded up
        by_balance = -((balance - position.cost) // size)  # ceil((cost − balance) / size)
        return max(by_equity, by_balance, 1)
    by_equity = mark + equity // size  # mark + E/size, rounded down
    by_balance = (balance - position.cost) // size  # floor((balance + |cost|) / size)
    return max(min(by_equity, by_balance), 1)


def liquidate(state: ChainState, margin: MarginAccount, touched: dict[ObjectId, MarginAccount]
              ) -> None:
    """Liquidate ``margin`` if it is below maintenance (see the module docstring)."""
    risk = account_risk(state, margin)
    if risk.slack >= 0:
        rekey(state, margin)
        return
    cancelled = 0
    for order in list(state.db.group(FuturesOrder, "by_account").equal(margin.owner)):
        if order.quote == margin.asset:
            remove_order(state, order, REASON_LIQUIDATION)
            cancelled += 1
    closed = _close_against_book(state, margin, touched)
    after = account_risk(state, margin)
    deleveraged = 0
    deferred = False
    if after.slack < 0:
        ratio = after.ratio_ppm()
        if after.equity > 0 and ratio is not None and ratio >= ADL_RATIO_PPM:
            deferred = True
        else:
            deleveraged = _deleverage(state, margin, touched)
    state.applied.push(FuturesLiquidation(
        Asset(0, margin.asset), margin.owner, risk.equity, risk.maintenance, cancelled, closed,
        deleveraged, deferred))
    touched[margin.id] = margin


def _lots_needed(state: ChainState, margin: MarginAccount, series: FuturesSeries,
                 position: FuturesPosition, price: int) -> int:
    """The fewest lots of ``position`` closed at ``price`` that restore equity ≥ maintenance
    (all of it if closing at that price does not help)."""
    risk = account_risk(state, margin)
    deficit = -risk.slack
    if deficit <= 0:
        return 0
    tv, mark, p = series.tick_value, series.mark_price, series.parameters
    q = abs(position.lots)
    move = (price - mark) if position.lots > 0 else (mark - price)
    fee_ppm = p.trade_fee_ppm + p.liquidation_fee_ppm
    # per lot: equity changes by tv × move − fee, the requirement falls by tv × mark × mm
    gain_num = tv * (move * PPM + mark * p.maintenance_margin_ppm - price * fee_ppm)
    if gain_num <= 0:
        return q
    return min(q, -(-(deficit + 2) * PPM // gain_num))


def _liquidation_fill(state: ChainState, margin: MarginAccount, series: FuturesSeries,
                      position: FuturesPosition, maker: FuturesOrder, lots: int,
                      touched: dict[ObjectId, MarginAccount]) -> None:
    """Close ``lots`` of ``position`` against ``maker`` at its price."""
    price = maker.price
    trade_fee = ppm_up(notional(lots, price, series.tick_value), series.parameters.trade_fee_ppm)
    _fill_order(state, series, maker, lots, price, is_maker=True, fee=trade_fee, touched=touched)
    side = SHORT if position.lots > 0 else LONG
    delta = -lots if position.lots > 0 else lots
    effect = fill_effect(position, delta, price, series.tick_value)
    apply_fill(state, margin.owner, series, delta, price, effect)
    change_balance(state, margin, effect.realized)
    risk = account_risk(state, margin)
    room = max(min(margin.balance, risk.equity), 0)
    fee = min(trade_fee, room)
    pay_fee(state, margin, fee, TRADE_FEES)
    liq_fee = min(ppm_up(notional(lots, price, series.tick_value),
                         series.parameters.liquidation_fee_ppm), room - fee)
    pay_fee(state, margin, liq_fee, LIQUIDATION_FEES)
    state.applied.push(FuturesFill(Asset(fee + liq_fee, margin.asset), margin.owner, None,
                                   series.id, side, lots, price, effect.realized, False, True))
    record_trade(state, series, lots, price)


def _close_against_book(state: ChainState, margin: MarginAccount,
                        touched: dict[ObjectId, MarginAccount]) -> int:
    closed = 0
    for position_id in [p.id for p in positions_of(state, margin.owner, margin.asset)]:
        position = state.db.find(position_id, FuturesPosition)
        while position is not None:
            series = series_of(state, position)
            risk = account_risk(state, margin)
            if risk.slack >= 0 or series.mark_price == NO_PRICE:
                return closed
            limit = bankruptcy_price(margin.balance, risk.equity, position, series)
            maker_side = LONG if position.lots > 0 else SHORT
            maker = best_order(state, series.id, maker_side)
            if maker is None or (maker.price < limit if position.lots > 0 else maker.price > limit):
                break
            lots = min(_lots_needed(state, margin, series, position, maker.price), maker.lots)
            if lots <= 0:
                return closed
            fee = ppm_up(notional(lots, maker.price, series.tick_value),
                         series.parameters.trade_fee_ppm)
            problem = fill_problem(state, series, maker, lots, maker.price, fee)
            if problem is not None:
                remove_order(state, maker, problem[0])
                continue
            _liquidation_fill(state, margin, series, position, maker, lots, touched)
            closed += lots
            position = state.db.find(position_id, FuturesPosition)
    return closed


def _adl_rank(state: ChainState, position: FuturesPosition, series: FuturesSeries
              ) -> tuple[int, Fraction, int]:
    """Profit × leverage of a counterparty position (higher deleverages first)."""
    margin = margin_account(state, position.account, position.quote)
    assert margin is not None
    risk = account_risk(state, margin)
    pnl = position.lots * series.mark_price * series.tick_value - position.cost
    if risk.equity <= 0:
        return (1, Fraction(0), position.id.instance)
    return (0, -Fraction(pnl * risk.notional, risk.equity), position.id.instance)


def _deleverage(state: ChainState, margin: MarginAccount,
                touched: dict[ObjectId, MarginAccount]) -> int:
    total = 0
    for position_id in [p.id for p in positions_of(state, margin.owner, margin.asset)]:
        if account_risk(state, margin).slack >= 0:
            break
        position = state.db.find(position_id, FuturesPosition)
        if position is None:
            continue
        series = series_of(state, position)
        if series.mark_price == NO_PRICE:
            continue
        risk = account_risk(state, margin)
        price = bankruptcy_price(margin.balance, risk.equity, position, series)
        long_liquidated = position.lots > 0
        candidates = [p for p in state.db.group(FuturesPosition, "by_series").equal(series.id)
                      if (p.lots < 0) == long_liquidated and p.account != margin.owner]
        candidates.sort(key=lambda p: _adl_rank(state, p, series))
        for other in candidates:
            position = state.db.find(position_id, FuturesPosition)
            if position is None:
                break
            lots = min(abs(position.lots), abs(other.lots))
            total += _adl_fill(state, margin, position, other, series, lots, price, touched)
    return total


def _adl_fill(state: ChainState, margin: MarginAccount, position: FuturesPosition,
              other: FuturesPosition, series: FuturesSeries, lots: int, price: int,
              touched: dict[ObjectId, MarginAccount]) -> int:
    tv = series.tick_value
    delta = -lots if position.lots > 0 else lots
    mine = fill_effect(position, delta, price, tv)
    theirs = fill_effect(other, -delta, price, tv)
    other_margin = margin_account(state, other.account, other.quote)
    assert other_margin is not None
    if other_margin.balance + theirs.realized < 0 or margin.balance + mine.realized < 0:
        return 0
    apply_fill(state, margin.owner, series, delta, price, mine)
    change_balance(state, margin, mine.realized)
    apply_fill(state, other.account, series, -delta, price, theirs)
    change_balance(state, other_margin, theirs.realized)
    side = SHORT if delta < 0 else LONG
    state.applied.push(FuturesDeleverage(NO_FEE, margin.owner, other.account, series.id, side,
                                         lots, price, mine.realized, theirs.realized))
    touched[other_margin.id] = other_margin
    return lots
