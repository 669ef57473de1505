"""Futures invariants (``docs/futures.md`` § Accounting), checked after every block in tests and
by ``graphex check``:

- what the futures market holds of each quote asset — Σ margin balances − Σ position costs +
  the fee pool — is never negative and counts toward the asset's supply (so trading,
  liquidation and delivery neither create nor destroy it: zero-sum);
- per series, long lots = short lots = its open interest; no position is zero;
- no margin balance or order lock is negative; each account's ``locked`` is its orders' locks;
- no futures book is crossed, every open order has lots, and a delivered series has no orders or
  positions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ...protocol.ids import ObjectId
from ..invariant import InvariantError
from ..state import ChainState
from .matching import best_order
from .objects import (
    DELIVERED,
    FuturesFeePool,
    FuturesOrder,
    FuturesPosition,
    FuturesSeries,
    MarginAccount,
)


def futures_holdings(state: ChainState) -> Iterable[tuple[ObjectId, int]]:
    held: dict[ObjectId, int] = defaultdict(int)
    for margin in state.db.table(MarginAccount):
        held[margin.asset] += margin.balance
    for position in state.db.table(FuturesPosition):
        held[position.quote] -= position.cost
    for pool in state.db.table(FuturesFeePool):
        held[pool.asset] += pool.balance
    return sorted(held.items())


def check_futures(state: ChainState) -> None:
    db = state.db
    locked: dict[tuple[ObjectId, ObjectId], int] = defaultdict(int)
    for order in db.table(FuturesOrder):
        if order.lots <= 0 or order.locked < 0 or not 0 <= order.open_lots <= order.lots:
            raise InvariantError(f"futures order {order.id}: lots {order.lots}, open "
                                 f"{order.open_lots}, locked {order.locked}")
        locked[(order.account, order.quote)] += order.locked
    for margin in db.table(MarginAccount):
        if margin.balance < 0 or margin.locked < 0:
            raise InvariantError(f"margin account {margin.id} negative: balance "
                                 f"{margin.balance}, locked {margin.locked}")
        if margin.locked != locked.get((margin.owner, margin.asset), 0):
            raise InvariantError(f"margin account {margin.id}: locked {margin.locked} but its "
                                 f"orders lock {locked.get((margin.owner, margin.asset), 0)}")
    longs: dict[ObjectId, int] = defaultdict(int)
    net: dict[ObjectId, int] = defaultdict(int)
    for position in db.table(FuturesPosition):
        if position.lots == 0:
            raise InvariantError(f"futures position {position.id} is empty")
        net[position.series] += position.lots
        longs[position.series] += max(position.lots, 0)
    for series in db.table(FuturesSeries):
        if net.get(series.id, 0) != 0:
            raise InvariantError(f"futures series {series.id}: positions net "
                                 f"{net[series.id]} lots, not zero")
        if longs.get(series.id, 0) != series.open_interest:
            raise InvariantError(f"futures series {series.id}: open interest "
                                 f"{series.open_interest}, long lots {longs.get(series.id, 0)}")
        if series.status == DELIVERED and (
                longs.get(series.id, 0) or db.group(FuturesOrder, "by_series").count(series.id)):
            raise InvariantError(f"delivered futures series {series.id} still has positions "
                                 f"or orders")
        bid, ask = best_order(state, series.id, 0), best_order(state, series.id, 1)
        if bid is not None and ask is not None and bid.price >= ask.price:
            raise InvariantError(f"crossed futures book in {series.id}: bid {bid.id} at "
                                 f"{bid.price} ≥ ask {ask.id} at {ask.price}")
