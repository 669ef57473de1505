"""Cash delivery of a series (SPEC §7 Delivery).

At the first block at or after the series' delivery time: cancel its orders, close every
position at the delivery price (``delivery_price.py``) and charge the delivery fee.

Every position realizes its PnL at the delivery price (``lots × price × tv − cost``), except that a
loss is paid from the loser's margin balance, at most all of it (an account the marks did not
catch before a price gap). What that leaves uncovered is cut from the winners' gains in proportion
(:func:`pro_rata`: largest remainders, then ids); if the gains are not enough — profits realized
earlier against positions that later defaulted — the quote's fee pool covers the rest (the seed's
reserve), then every margin account in that asset in proportion to its balance (recorded as a
``futures_delivery`` of 0 lots). The chain is never a counterparty and no margin account goes
negative. The delivery fee (``delivery_fee_ppm`` of the notional at the delivery price, rounded
up) is then taken, capped by the balance.
"""

from __future__ import annotations

from ...protocol.ids import ObjectId
from ...protocol.operations.futures import PPM, REASON_DELIVERY, FuturesDelivery
from ...protocol.types import Asset
from ..invariant import broken
from ..state import ChainState
from .accounts import (
    DELIVERY_FEES,
    change_balance,
    credit_fee_pool,
    fee_pool,
    margin_account,
)
from .matching import remove_order
from .objects import DELIVERED, FuturesOrder, FuturesPosition, FuturesSeries, MarginAccount


def deliver_series(state: ChainState, series: FuturesSeries, price: int,
                   touched: dict[ObjectId, MarginAccount]) -> None:
    """Deliver ``series`` at ``price`` ticks (see the module docstring)."""
    db = state.db
    for order in list(db.group(FuturesOrder, "by_series").equal(series.id)):
        remove_order(state, order, REASON_DELIVERY)
    positions = list(db.group(FuturesPosition, "by_series").equal(series.id))
    tv = series.tick_value
    pnl = {p.id: p.lots * price * tv - p.cost for p in positions}
    margins: dict[ObjectId, MarginAccount] = {}
    owed: dict[ObjectId, int] = {}
    shortfall = 0
    for p in positions:
        margin = margin_account(state, p.account, p.quote)
        assert margin is not None
        margins[p.id] = margin
        owed[p.id] = pnl[p.id]
        if pnl[p.id] < -margin.balance:
            shortfall += -pnl[p.id] - margin.balance
            owed[p.id] = -margin.balance
    gains = {pid: v for pid, v in pnl.items() if v > 0}
    haircut = min(shortfall, sum(gains.values()))
    for pid, cut in pro_rata(haircut, gains).items():
        owed[pid] -= cut
    fee_ppm = series.parameters.delivery_fee_ppm
    fees = 0
    holders = db.group(FuturesPosition, "by_account")
    for p in positions:  # one balance change per position, one fee-pool change per series
        margin = margins[p.id]
        realized = owed[p.id]
        after = margin.balance + realized
        if after < 0:
            broken(f"delivery of {p.id} leaves margin account {margin.id} at {after}")
        fee = min(-(-abs(p.lots) * price * tv * fee_ppm // PPM), after)  # ppm_up of the notional
        with db.modify(margin) as m:
            m.balance = after - fee
        fees += fee
        state.applied.push(FuturesDelivery(Asset(fee, p.quote), p.account, series.id, p.lots,
                                           price, realized))
        db.remove(p)
        if margin.liquidating or holders.count((margin.owner, margin.asset)):
            touched[margin.id] = margin  # still holds positions elsewhere: new bands
    if fees:
        credit_fee_pool(state, series.quote, fees, DELIVERY_FEES)
    if shortfall > haircut:
        _cover_bad_debt(state, series, price, shortfall - haircut, touched)
    with db.modify(series) as s:
        s.status = DELIVERED
        s.delivery_price = price
        s.open_interest = 0


def pro_rata(total: int, weights: dict[ObjectId, int]) -> dict[ObjectId, int]:
    """``total`` split in proportion to ``weights`` (each ``⌊w × total / Σw⌋``, the units left
    over to the largest remainders, then the smallest ids); ``total ≤ Σw`` keeps each share ≤ w."""
    whole = sum(weights.values())
    if total <= 0 or whole <= 0:
        return {}
    shares = {key: w * total // whole for key, w in weights.items()}
    left = total - sum(shares.values())
    for key in sorted(weights, key=lambda k: (-(weights[k] * total % whole), k))[:left]:
        shares[key] += 1
    return shares


def _cover_bad_debt(state: ChainState, series: FuturesSeries, price: int, amount: int,
                    touched: dict[ObjectId, MarginAccount]) -> None:
    """A loss the losers' balances and the winners' gains could not cover (profits realized
    earlier, against positions that later defaulted): the quote's fee pool covers it, then every
    margin account in that asset in proportion to its balance."""
    pool = fee_pool(state, series.quote)
    if pool is not None and pool.balance:
        draw = min(amount, pool.balance)
        with state.db.modify(pool) as p:
            p.balance -= draw
            p.bad_debt_covered += draw
        amount -= draw
    if amount <= 0:
        return
    margins = [m for m in state.db.table(MarginAccount) if m.asset == series.quote and m.balance]
    shares = pro_rata(amount, {m.id: m.balance for m in margins})
    for margin in margins:
        share = min(shares.get(margin.id, 0), margin.balance)
        if share:
            change_balance(state, margin, -share)
            state.applied.push(FuturesDelivery(Asset(0, series.quote), margin.owner, series.id,
                                               0, price, -share))
            touched[margin.id] = margin
