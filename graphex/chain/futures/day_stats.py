"""Per-UTC-day trade volumes for the delivery price (``docs/futures.md`` § Delivery price).

Every object in the :class:`~.objects.DayVolume` shape keeps the sums of its current day (the
latest day with trades) and of the latest earlier day with trades. Adding volume on a later day
rolls the current day into ``prev_*`` first; days never go backwards (block times only grow).

- Spot: every match between two limit orders on the DEX (``market/matching.py``) calls
  :func:`record_spot_fill`; if the pair has a futures product (in either orientation), the
  pair's :class:`~.objects.TradeDayStats` (created on first use) adds U units to
  ``base_volume`` and Q units to ``quote_volume``. A pair without a product costs two dict
  lookups. The day is that of the head block time when the fill applies (BitShares' "now").
- Series: :func:`record_series_fill` adds ``lots × price`` ticks and ``lots`` to the series' own
  fields.
"""

from __future__ import annotations

from typing import NamedTuple

from ...protocol.ids import ObjectId
from ..invariant import invariant
from ..state import ChainState
from .calendar import day_of
from .objects import DayVolume, FuturesProduct, FuturesSeries, TradeDayStats


class DayVolumes(NamedTuple):
    """The six fields of the :class:`~.objects.DayVolume` shape, as plain values."""

    day: int
    quote_volume: int
    base_volume: int
    prev_day: int
    prev_quote_volume: int
    prev_base_volume: int


def volumes_of(stats: DayVolume) -> DayVolumes:
    return DayVolumes(stats.day, stats.quote_volume, stats.base_volume, stats.prev_day,
                      stats.prev_quote_volume, stats.prev_base_volume)


def added_volume(current: DayVolumes, day: int, quote_volume: int, base_volume: int
                 ) -> DayVolumes:
    """``current`` after trades of ``quote_volume``/``base_volume`` on ``day`` (pure).

    A day later than ``current.day`` starts a new current day and keeps the old one (if it had
    trades) as the latest earlier day."""
    invariant(day >= current.day, f"day volumes: day {day} before the current day {current.day}")
    invariant(quote_volume >= 0 and base_volume >= 0,
              f"day volumes: negative volume {quote_volume}/{base_volume}")
    if day == current.day:
        return current._replace(quote_volume=current.quote_volume + quote_volume,
                                base_volume=current.base_volume + base_volume)
    if current.day < 0:  # never traded: nothing to keep
        return current._replace(day=day, quote_volume=quote_volume, base_volume=base_volume)
    return DayVolumes(day, quote_volume, base_volume,
                      current.day, current.quote_volume, current.base_volume)


def add_volume(state: ChainState, stats: DayVolume, day: int, quote_volume: int,
               base_volume: int) -> None:
    """Add a trade's volumes on ``day`` to ``stats`` (a series or a pair's day statistics)."""
    new = added_volume(volumes_of(stats), day, quote_volume, base_volume)
    with state.db.modify(stats) as s:
        (s.day, s.quote_volume, s.base_volume,
         s.prev_day, s.prev_quote_volume, s.prev_base_volume) = new


def volume_on(stats: DayVolume, day: int) -> tuple[int, int] | None:
    """``(quote_volume, base_volume)`` traded on ``day``, or None if nothing is known of it."""
    if stats.day == day and stats.base_volume > 0:
        return stats.quote_volume, stats.base_volume
    if stats.prev_day == day and stats.prev_base_volume > 0:
        return stats.prev_quote_volume, stats.prev_base_volume
    return None


def latest_before(stats: DayVolume, day: int) -> tuple[int, int, int] | None:
    """``(day, quote_volume, base_volume)`` of the latest day before ``day`` with trades."""
    if 0 <= stats.day < day and stats.base_volume > 0:
        return stats.day, stats.quote_volume, stats.base_volume
    if 0 <= stats.prev_day < day and stats.prev_base_volume > 0:
        return stats.prev_day, stats.prev_quote_volume, stats.prev_base_volume
    return None


# -- spot ----------------------------------------------------------------------------------------
def pair_stats(state: ChainState, underlying: ObjectId, quote: ObjectId) -> TradeDayStats | None:
    found: TradeDayStats | None = state.db.index(TradeDayStats, "by_pair").get((underlying, quote))
    return found


def record_spot_fill(state: ChainState, asset_a: ObjectId, amount_a: int, asset_b: ObjectId,
                     amount_b: int, when_s: int) -> None:
    """Count one spot match (``amount_a`` of ``asset_a`` against ``amount_b`` of ``asset_b``) in
    the day statistics of the futures product(s) on that pair, if any."""
    products = state.db.index(FuturesProduct, "by_pair")
    if products.get((asset_a, asset_b)) is not None:
        _record_pair(state, asset_a, asset_b, amount_a, amount_b, when_s)
    if products.get((asset_b, asset_a)) is not None:
        _record_pair(state, asset_b, asset_a, amount_b, amount_a, when_s)


def _record_pair(state: ChainState, underlying: ObjectId, quote: ObjectId, base_volume: int,
                 quote_volume: int, when_s: int) -> None:
    stats = pair_stats(state, underlying, quote)
    if stats is None:
        stats = state.db.create(TradeDayStats, underlying=underlying, quote=quote)
    add_volume(state, stats, day_of(when_s), quote_volume, base_volume)


# -- series --------------------------------------------------------------------------------------
def record_series_fill(state: ChainState, series: FuturesSeries, lots: int, price_ticks: int,
                       when_s: int) -> None:
    """Count one futures match of ``lots`` at ``price_ticks`` in the series' own day volumes."""
    invariant(lots > 0 and price_ticks > 0,
              f"series {series.id} fill of {lots} lots at {price_ticks} ticks")
    add_volume(state, series, day_of(when_s), lots * price_ticks, lots)
