"""Changing a position by a fill: netting, average cost, realized PnL, open interest.

A fill of ``delta`` lots (> 0 buys, < 0 sells) at ``price`` first reduces an opposite position
(removing ``cost × r // |q|`` of its cost and realizing the difference to the fill's value), then
opens the rest at ``price``. The position object is removed at zero and created when opening from
zero, so the oldest position has the smallest id.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...protocol.ids import ObjectId
from ..state import ChainState
from .accounts import position_in
from .objects import FuturesPosition, FuturesSeries


@dataclass(frozen=True, slots=True)
class FillEffect:
    """What a fill does to one account's position (computed before applying it)."""

    reduced: int
    """Lots of an opposite position closed (≥ 0)."""
    opened: int
    """Lots opened or added in the fill's direction (≥ 0)."""
    realized: int
    """PnL realized on the reduced lots (quote smallest units)."""
    removed_cost: int


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


def fill_effect(position: FuturesPosition | None, delta: int, price: int, tv: int) -> FillEffect:
    """The effect of a fill of ``delta`` lots at ``price`` on ``position`` (pure)."""
    q = position.lots if position is not None else 0
    if q == 0 or sign(q) == sign(delta):
        return FillEffect(0, abs(delta), 0, 0)
    reduced = min(abs(delta), abs(q))
    assert position is not None
    removed = position.cost * reduced // abs(q) if reduced < abs(q) else position.cost
    realized = sign(q) * reduced * price * tv - removed
    return FillEffect(reduced, abs(delta) - reduced, realized, removed)


def apply_fill(state: ChainState, account: ObjectId, series: FuturesSeries, delta: int,
               price: int, effect: FillEffect) -> None:
    """Apply ``effect`` (from :func:`fill_effect` on the current position) to the position and
    the series' open interest. The realized PnL is the caller's to book in the margin balance."""
    db = state.db
    position = position_in(state, account, series.id)
    before = position.lots if position is not None else 0
    tv = series.tick_value
    if position is not None:
        lots = position.lots + sign(delta) * effect.reduced
        cost = position.cost - effect.removed_cost
        if lots == 0:  # closed (a rest opens a new position: position age restarts)
            db.remove(position)
            position = None
        else:
            with db.modify(position) as p:
                p.lots = lots + sign(delta) * effect.opened
                p.cost = cost + sign(delta) * effect.opened * price * tv
                p.realized_pnl += effect.realized
    if position is None and effect.opened:
        position = db.create(
            FuturesPosition, account=account, series=series.id, quote=series.quote,
            lots=sign(delta) * effect.opened, cost=sign(delta) * effect.opened * price * tv,
        )
    after = position.lots if position is not None else 0
    longs_delta = max(after, 0) - max(before, 0)
    if longs_delta:
        with db.modify(series) as s:
            s.open_interest += longs_delta
