"""Margin accounts, positions and the fee pool: the accounting every futures step shares
(``docs/futures.md`` § Accounting).

Equity, requirements and free margin are computed from the account's positions at their series'
marks. Balances change only through :func:`change_balance`, which refuses to go negative, and fees
only through :func:`pay_fee`, so the zero-sum invariant has one place to hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ...protocol.ids import ObjectId
from ...protocol.operations.futures import PPM
from ..invariant import invariant
from ..state import ChainState
from .objects import (
    NO_PRICE,
    FuturesFeePool,
    FuturesPosition,
    FuturesSeries,
    MarginAccount,
)
from .units import ppm_up

TRADE_FEES, LIQUIDATION_FEES, DELIVERY_FEES = "trade_fees", "liquidation_fees", "delivery_fees"


def margin_account(state: ChainState, owner: ObjectId, asset: ObjectId) -> MarginAccount | None:
    found: MarginAccount | None = state.db.index(MarginAccount, "by_owner_asset").get((owner, asset))
    return found


def open_margin_account(state: ChainState, owner: ObjectId, asset: ObjectId) -> MarginAccount:
    found = margin_account(state, owner, asset)
    if found is None:
        found = state.db.create(MarginAccount, owner=owner, asset=asset)
    return found


def change_balance(state: ChainState, margin: MarginAccount, delta: int) -> None:
    """Add ``delta`` (may be negative) to the margin balance; a negative result is a bug."""
    invariant(margin.balance + delta >= 0,
              f"margin account {margin.id} would go negative: {margin.balance} + {delta}")
    with state.db.modify(margin) as m:
        m.balance += delta


def change_locked(state: ChainState, margin: MarginAccount, delta: int) -> None:
    invariant(margin.locked + delta >= 0, f"margin account {margin.id} lock {margin.locked} + {delta}")
    with state.db.modify(margin) as m:
        m.locked += delta


def fee_pool(state: ChainState, asset: ObjectId) -> FuturesFeePool | None:
    found: FuturesFeePool | None = state.db.index(FuturesFeePool, "by_asset").get(asset)
    return found


def pay_fee(state: ChainState, margin: MarginAccount, amount: int, kind: str) -> None:
    """Move ``amount`` from the margin balance into the quote asset's fee pool, booked as
    ``kind`` (trade, liquidation or delivery fees)."""
    if amount <= 0:
        return
    change_balance(state, margin, -amount)
    credit_fee_pool(state, margin.asset, amount, kind)


def credit_fee_pool(state: ChainState, asset: ObjectId, amount: int, kind: str) -> None:
    """Add ``amount`` of fees already taken from margin balances to ``asset``'s fee pool."""
    pool = fee_pool(state, asset)
    if pool is None:
        pool = state.db.create(FuturesFeePool, asset=asset)
    with state.db.modify(pool) as p:
        p.balance += amount
        setattr(p, kind, getattr(p, kind) + amount)


def positions_of(state: ChainState, owner: ObjectId, asset: ObjectId) -> Iterator[FuturesPosition]:
    """The account's positions priced in ``asset``, oldest first."""
    return state.db.group(FuturesPosition, "by_account").equal((owner, asset))


def position_in(state: ChainState, owner: ObjectId, series: ObjectId) -> FuturesPosition | None:
    found: FuturesPosition | None = state.db.index(
        FuturesPosition, "by_account_series").get((owner, series))
    return found


def series_of(state: ChainState, position: FuturesPosition | ObjectId) -> FuturesSeries:
    sid = position.series if isinstance(position, FuturesPosition) else position
    return state.db.get(sid, FuturesSeries)


def position_value(lots: int, cost: int, mark: int, tv: int) -> tuple[int, int]:
    """(unrealized PnL, notional) of a position at ``mark``; with no mark, PnL 0 at cost."""
    if mark == NO_PRICE:
        return 0, abs(cost)
    return lots * mark * tv - cost, abs(lots) * mark * tv


@dataclass(frozen=True, slots=True)
class AccountRisk:
    """An account's margin figures at the current marks (quote smallest units)."""

    balance: int
    locked: int
    equity: int
    unrealized: int
    notional: int
    maintenance: int
    initial: int

    @property
    def free(self) -> int:
        """Margin available for new orders and withdrawals."""
        return min(self.equity - self.initial - self.locked, self.balance - self.locked)

    @property
    def slack(self) -> int:
        """Equity above the maintenance requirement (< 0: to be liquidated)."""
        return self.equity - self.maintenance

    def ratio_ppm(self) -> int | None:
        """Equity / notional in ppm (None with no notional)."""
        if self.notional == 0:
            return None
        return self.equity * PPM // self.notional


def account_risk(state: ChainState, margin: MarginAccount,
                 marks: dict[ObjectId, int] | None = None) -> AccountRisk:
    """Equity, notional and requirements of ``margin`` at its series' marks (or ``marks``)."""
    unrealized = notional_total = maintenance = initial = 0
    for position in positions_of(state, margin.owner, margin.asset):
        series = series_of(state, position)
        mark = series.mark_price if marks is None else marks.get(series.id, series.mark_price)
        pnl, notional = position_value(position.lots, position.cost, mark, series.tick_value)
        unrealized += pnl
        notional_total += notional
        maintenance += ppm_up(notional, series.parameters.maintenance_margin_ppm)
        initial += ppm_up(notional, series.parameters.initial_margin_ppm)
    return AccountRisk(margin.balance, margin.locked, margin.balance + unrealized, unrealized,
                       notional_total, maintenance, initial)


def estimated_liquidation_price(state: ChainState, margin: MarginAccount,
                                position: FuturesPosition) -> int | None:
    """The mark of ``position``'s series at which equity meets the maintenance requirement,
    the other marks held (ticks; None when no mark or no such price above zero)."""
    series = series_of(state, position)
    if series.mark_price == NO_PRICE or position.lots == 0:
        return None
    risk = account_risk(state, margin)
    mm, tv, q = series.parameters.maintenance_margin_ppm, series.tick_value, position.lots
    # slack(m') = slack + tv × (m' − m) × (q × PPM − mm × |q|) / PPM  → solve slack(m') = 0
    k = tv * (q * PPM - mm * abs(q))
    if k == 0:
        return None
    move = -risk.slack * PPM
    # m' = m + move / k, rounded toward the safe side (a long is liquidated at or below it)
    price = series.mark_price + (move // k if k > 0 else -(move // -k))
    return price if price > 0 else None
