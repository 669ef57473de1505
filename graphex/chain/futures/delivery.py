"""Cash delivery of a series (SPEC §7 Delivery).

At the first block at or after the series' delivery time: cancel its orders, close every
position at the delivery price (``delivery_price.py``) and charge the delivery fee.

Losses are paid from the loser's margin balance, at most all of it (an account the marks did not
catch before a price gap); what that leaves uncovered is taken from the winners in proportion to
their gains (each gets ``⌊gain × paid / gains⌋``, the units left over go to the largest remainders,
then the oldest positions), so exactly what the losers paid is paid out: the chain is never a
counterparty and no margin account goes negative. The delivery fee (``delivery_fee_ppm`` of the
notional at the delivery price, rounded up) is then taken, capped by the balance.
"""

from __future__ import annotations

from ...protocol.ids import ObjectId
from ...protocol.operations.futures import REASON_DELIVERY, FuturesDelivery
from ...protocol.types import Asset
from ..state import ChainState
from .accounts import DELIVERY_FEES, change_balance, margin_account, pay_fee
from .matching import remove_order
from .objects import DELIVERED, FuturesOrder, FuturesPosition, FuturesSeries, MarginAccount
from .units import notional, ppm_up


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
    paid = 0
    owed: dict[ObjectId, int] = {}
    for p in positions:
        margin = margin_account(state, p.account, p.quote)
        assert margin is not None
        margins[p.id] = margin
        if pnl[p.id] < 0:
            owed[p.id] = -min(-pnl[p.id], margin.balance)
            paid += -owed[p.id]
    gains = sum(v for v in pnl.values() if v > 0)
    if gains:
        shares = {pid: v * paid // gains for pid, v in pnl.items() if v > 0}
        left = paid - sum(shares.values())
        by_remainder = sorted(shares, key=lambda pid: (-(pnl[pid] * paid % gains), pid))
        for pid in by_remainder[:left]:
            shares[pid] += 1
        owed.update(shares)
    fee_ppm = series.parameters.delivery_fee_ppm
    for p in positions:
        margin = margins[p.id]
        realized = owed.get(p.id, 0)
        change_balance(state, margin, realized)
        fee = min(ppm_up(notional(p.lots, price, tv), fee_ppm), margin.balance)
        pay_fee(state, margin, fee, DELIVERY_FEES)
        state.applied.push(FuturesDelivery(Asset(fee, p.quote), p.account, series.id, p.lots,
                                           price, realized))
        db.remove(p)
        touched[margin.id] = margin
    with db.modify(series) as s:
        s.status = DELIVERED
        s.delivery_price = price
        s.open_interest = 0
