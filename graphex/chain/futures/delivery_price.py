"""The delivery price of a series (SPEC §7, ``docs/futures.md`` § Delivery price).

The volume-weighted average price of the U/Q spot fills on the chain's DEX during the series'
last day (00:00:00–23:59:59 UTC), in ticks (10^-6 Q per whole U), rounded half to even. With no
spot fill that day, the series' own VWAP that day; with none, the latest earlier day with spot
fills, else the latest day with series fills. With nothing at all the price is 0 (source
``"none"``) and the caller decides.
"""

from __future__ import annotations

from ...protocol.operations.futures import PRICE_SCALE
from ..invariant import invariant
from ..state import ChainState
from .calendar import last_day
from .day_stats import latest_before, pair_stats, volume_on
from .objects import DayVolume, FuturesSeries

SPOT, FUTURES, SPOT_LATEST, FUTURES_LATEST, NONE = (
    "spot", "futures", "spot-latest", "futures-latest", "none")
"""Where a delivery price came from."""


def round_half_even(num: int, den: int) -> int:
    """``num / den`` rounded to the nearest integer, ties to the even one (``den`` > 0)."""
    invariant(den > 0, f"round_half_even: denominator {den} must be positive")
    quotient, remainder = divmod(num, den)
    twice = 2 * remainder
    if twice > den or (twice == den and quotient % 2 == 1):
        return quotient + 1
    return quotient


def spot_ticks(quote_volume: int, base_volume: int, u_precision: int, q_precision: int) -> int:
    """Q per whole U in ticks: ``quote × 10^Up × 10^6 / (base × 10^Qp)``, half to even."""
    return round_half_even(quote_volume * 10**u_precision * PRICE_SCALE,
                           base_volume * 10**q_precision)


def vwap_ticks_spot(stats: DayVolume, u_precision: int, q_precision: int,
                    which_day: int) -> int | None:
    """The spot VWAP in ticks on day number ``which_day``, or None without fills that day."""
    volumes = volume_on(stats, which_day)
    if volumes is None:
        return None
    return spot_ticks(volumes[0], volumes[1], u_precision, q_precision)


def vwap_ticks_series(series: DayVolume, which_day: int) -> int | None:
    """The series' own VWAP in ticks (Σ lots × price / Σ lots) on ``which_day``, or None."""
    volumes = volume_on(series, which_day)
    if volumes is None:
        return None
    return round_half_even(volumes[0], volumes[1])


def delivery_price(state: ChainState, series: FuturesSeries) -> tuple[int, str]:
    """``(price in ticks, source)`` for ``series``; source is ``"spot"``, ``"futures"``,
    ``"spot-latest"``, ``"futures-latest"`` or ``"none"`` (price 0)."""
    day = last_day(series.delivery_month)
    u_precision = state.asset(series.underlying).precision
    q_precision = state.asset(series.quote).precision
    spot = pair_stats(state, series.underlying, series.quote)
    if spot is not None:
        price = vwap_ticks_spot(spot, u_precision, q_precision, day)
        if price is not None:
            return price, SPOT
    price = vwap_ticks_series(series, day)
    if price is not None:
        return price, FUTURES
    if spot is not None:
        earlier = latest_before(spot, day)
        if earlier is not None:
            return spot_ticks(earlier[1], earlier[2], u_precision, q_precision), SPOT_LATEST
    earlier = latest_before(series, day)
    if earlier is not None:
        return round_half_even(earlier[1], earlier[2]), FUTURES_LATEST
    return 0, NONE
