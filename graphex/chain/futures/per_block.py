"""The futures market's per-block step, run after each block's transactions: the state it leaves
is what the next block's transactions see, so liquidations come before them (seed: forced
liquidation has the highest priority).

1. marks: a series traded in this block takes its last fill price (or the feed, for
   ``mark_price_source = feed``);
2. the calendar: deliver the series whose delivery time has come, list the months now due;
3. expired orders are cancelled;
4. liquidation: the accounts whose safety band a changed mark crossed, and those still
   ``liquidating``, in margin account id order (``risk.py``, ``liquidation.py``);
5. every account the step changed gets new safety bands.
"""

from __future__ import annotations

from ...protocol.ids import ObjectId
from ...protocol.operations.futures import MARK_FEED, PRICE_SCALE, REASON_EXPIRED
from ..market.objects import ID_BITS
from ..smartcoin.objects import AssetBitassetData
from ..state import ChainState
from .accounts import margin_account
from .delivery import deliver_series
from .delivery_price import delivery_price
from .liquidation import liquidate
from .listing import list_due_series
from .matching import remove_order
from .objects import NO_PRICE, TRADING, FuturesOrder, FuturesPosition, FuturesSeries, MarginAccount
from .risk import crossed_accounts, rekey


def trading_series(state: ChainState) -> list[FuturesSeries]:
    index = state.db.ordered(FuturesSeries, "by_delivery")
    return list(index.range((TRADING,), (TRADING + 1,)))


def feed_mark(state: ChainState, series: FuturesSeries) -> int:
    """U's price in Q from the smartcoin feed linking them, in ticks (rounded down); NO_PRICE
    when there is none."""
    u, q = state.asset(series.underlying), state.asset(series.quote)
    for smart, backing, inverted in ((q, u, False), (u, q, True)):
        if smart.bitasset_data_id is None:
            continue
        data = state.db.get(smart.bitasset_data_id, AssetBitassetData)
        if data.options.short_backing_asset != backing.id:
            continue
        feed = data.current_feed.settlement_price
        if feed.base.amount == 0 or feed.quote.amount == 0:
            return NO_PRICE
        # settlement_price = smartcoin amount / backing amount
        q_units, u_units = ((feed.base.amount, feed.quote.amount) if not inverted
                            else (feed.quote.amount, feed.base.amount))
        ticks: int = (q_units * 10**u.precision * PRICE_SCALE) // (u_units * 10**q.precision)
        return ticks
    return NO_PRICE


def update_marks(state: ChainState, new_block: int) -> list[tuple[FuturesSeries, int]]:
    """Set this block's marks; returns (series, previous mark) of each series whose mark moved."""
    moved: list[tuple[FuturesSeries, int]] = []
    for series in trading_series(state):
        if series.parameters.mark_price_source == MARK_FEED:
            mark = feed_mark(state, series)
            if mark == NO_PRICE:
                mark = series.mark_price
        elif series.last_trade_block == new_block:
            mark = series.last_price
        else:
            continue
        if mark != series.mark_price:
            previous = series.mark_price
            with state.db.modify(series) as s:
                s.mark_price = mark
            moved.append((series, previous))
    return moved


def expire_orders(state: ChainState, when_s: int) -> None:
    index = state.db.ordered(FuturesOrder, "by_expiration")
    for order in list(index.range(None, (when_s + 1) << ID_BITS)):
        remove_order(state, order, REASON_EXPIRED)


def futures_block(state: ChainState, when_s: int) -> None:
    """The per-block step (see the module docstring)."""
    db = state.db
    touched: dict[ObjectId, MarginAccount] = {}
    moved = update_marks(state, state.head_num)
    for series in trading_series(state):
        if series.delivery_time <= when_s:
            price, _source = delivery_price(state, series)
            deliver_series(state, series, price or series.mark_price or 1, touched)
    list_due_series(state, when_s)
    expire_orders(state, when_s)
    at_risk: dict[ObjectId, MarginAccount] = {}
    for series, previous in moved:
        if series.status != TRADING:
            continue
        if previous == NO_PRICE:  # first mark: the series' accounts were banded at cost
            owners = [p.account for p in db.group(FuturesPosition, "by_series").equal(series.id)]
        else:
            owners = crossed_accounts(state, series.id, series.mark_price)
        for owner in owners:
            margin = margin_account(state, owner, series.quote)
            if margin is not None:
                at_risk[margin.id] = margin
    for margin in db.ordered(MarginAccount, "by_liquidating").range((False,), (True,)):
        at_risk[margin.id] = margin
    for margin_id in sorted(at_risk):
        margin = db.find(margin_id, MarginAccount)
        if margin is not None:
            liquidate(state, margin, touched)
    for margin_id in sorted(touched):
        margin = db.find(margin_id, MarginAccount)
        if margin is not None:
            rekey(state, margin)
