"""The delivery price: VWAP in ticks rounded half to even; spot on the last day, else the series'
own VWAP that day, else the latest earlier day with spot fills, else with series fills."""

from __future__ import annotations

import pytest

from graphex.chain.futures.day_stats import pair_stats, record_series_fill, record_spot_fill
from graphex.chain.futures.delivery_price import (
    delivery_price,
    round_half_even,
    spot_ticks,
    vwap_ticks_spot,
)
from graphex.chain.futures.objects import FuturesSeries
from graphex.protocol.ids import ObjectId
from graphex.testing.chain import GPX, DevChain
from tests.chain.futures.product_helpers import chain_at, create_product, series_of, utc
from tests.chain.market.helpers import new_uia

LAST_DAY = utc(2026, 11, 30, 12)
"""Noon on the last day of November 2026 (the 202611 series' last day)."""
BEFORE = utc(2026, 11, 28, 9)
YESTERDAY = utc(2026, 11, 29, 18)


class Market:
    """A GPX/USD product (USD: a user-issued asset of precision 4) and its November series."""

    def __init__(self) -> None:
        self.chain: DevChain = chain_at(utc(2026, 11, 21))
        self.usd = new_uia(self.chain, "USD", precision=4)
        self.product = create_product(self.chain, GPX, self.usd)
        self.series_id = series_of(self.chain, self.product)[0].id

    @property
    def series(self) -> FuturesSeries:
        return self.chain.state.db.get(self.series_id, FuturesSeries)

    def spot(self, gpx_units: int, usd_units: int, when: int) -> None:
        record_spot_fill(self.chain.state, GPX, gpx_units, self.usd, usd_units, when)

    def futures(self, lots: int, price: int, when: int) -> None:
        record_series_fill(self.chain.state, self.series, lots, price, when)

    def price(self) -> tuple[int, str]:
        return delivery_price(self.chain.state, self.series)


@pytest.fixture
def market() -> Market:
    return Market()


@pytest.mark.parametrize(("num", "den", "expected"), [
    (5, 2, 2), (7, 2, 4), (1, 2, 0), (3, 2, 2), (-5, 2, -2), (-7, 2, -4),
    (10, 4, 2), (14, 4, 4), (11, 4, 3), (9, 4, 2), (2, 3, 1), (1, 3, 0), (6, 3, 2), (0, 7, 0),
])
def test_round_half_even(num: int, den: int, expected: int) -> None:
    assert round_half_even(num, den) == expected


def test_precision_conversion_gpx5_usd4() -> None:
    # 1 000 GPX (10^8 units) for 50 USD (500 000 units): 0.05 USD per GPX = 50 000 ticks
    assert spot_ticks(500_000, 10**8, 5, 4) == 50_000
    # 1 BTC (10^8, precision 8) for 30 000 GPX (3 * 10^9, precision 5): 30 000 GPX = 3 * 10^10
    assert spot_ticks(3 * 10**9, 10**8, 8, 5) == 30_000 * 10**6


def test_spot_vwap_on_the_last_day(market: Market) -> None:
    market.spot(1000 * 10**5, 50 * 10**4, LAST_DAY)        # 1 000 GPX at 0.05
    market.spot(3000 * 10**5, 180 * 10**4, LAST_DAY + 60)  # 3 000 GPX at 0.06
    market.futures(5, 70_000, LAST_DAY)                    # ignored: spot comes first
    assert market.price() == (57_500, "spot")              # 230 USD / 4 000 GPX


@pytest.mark.parametrize(("usd_units", "ticks"), [
    (100_001, 50_000),  # 50 000.5 → the even neighbour below
    (100_003, 50_002),  # 50 001.5 → the even neighbour above
    (100_002, 50_001),  # exact
])
def test_spot_half_way_ties_round_to_even(market: Market, usd_units: int, ticks: int) -> None:
    # 200 GPX = 2 * 10^7 units: ticks = usd_units * 10^11 / (2 * 10^7 * 10^4) = usd_units / 2
    market.spot(2 * 10**7, usd_units, LAST_DAY)
    assert market.price() == (ticks, "spot")


def test_spot_recorded_in_either_orientation(market: Market) -> None:
    record_spot_fill(market.chain.state, market.usd, 50 * 10**4, GPX, 1000 * 10**5, LAST_DAY)
    stats = pair_stats(market.chain.state, GPX, market.usd)
    assert stats is not None and (stats.base_volume, stats.quote_volume) == (10**8, 500_000)
    assert vwap_ticks_spot(stats, 5, 4, LAST_DAY // 86_400) == 50_000
    assert vwap_ticks_spot(stats, 5, 4, LAST_DAY // 86_400 - 1) is None


@pytest.mark.parametrize(("fills", "ticks"), [
    (((1, 100), (1, 101)), 100),  # 100.5 → 100
    (((1, 101), (1, 102)), 102),  # 101.5 → 102
    (((3, 100), (1, 104)), 101),  # exact
    (((2, 50_001), (1, 50_002)), 50_001),  # 50 001.33…
])
def test_no_spot_that_day_uses_the_series_vwap(market: Market, fills: tuple[tuple[int, int], ...],
                                               ticks: int) -> None:
    market.spot(10**8, 40 * 10**4, BEFORE)  # an earlier spot day does not outrank the series
    for lots, price in fills:
        market.futures(lots, price, LAST_DAY)
    assert market.price() == (ticks, "futures")


def test_no_trades_that_day_uses_the_latest_spot_day(market: Market) -> None:
    market.spot(10**8, 40 * 10**4, BEFORE)
    market.spot(10**8, 45 * 10**4, YESTERDAY)
    market.futures(1, 70_000, YESTERDAY)
    assert market.price() == (45_000, "spot-latest")


def test_spot_first_even_when_the_series_traded_later(market: Market) -> None:
    market.spot(10**8, 40 * 10**4, BEFORE)
    market.futures(1, 70_000, YESTERDAY)
    assert market.price() == (40_000, "spot-latest")


def test_no_spot_ever_uses_the_latest_series_day(market: Market) -> None:
    market.futures(1, 70_000, BEFORE)
    market.futures(1, 71_001, YESTERDAY)
    market.futures(1, 71_002, YESTERDAY)
    assert market.price() == (71_002, "futures-latest")  # 71 001.5 → even


def test_later_days_are_not_the_last_day(market: Market) -> None:
    """A fill counted after the last day (so the last day was rolled into ``prev_*``) still
    prices the series from its last day; a day after it never does."""
    market.spot(10**8, 45 * 10**4, LAST_DAY)
    market.spot(10**8, 90 * 10**4, utc(2026, 12, 1, 0, 0, 5))
    assert market.price() == (45_000, "spot")
    other = Market()
    other.spot(10**8, 90 * 10**4, utc(2026, 12, 1, 0, 0, 5))
    assert other.price() == (0, "none")


def test_nothing_at_all(market: Market) -> None:
    assert market.price() == (0, "none")
    assert pair_stats(market.chain.state, GPX, market.usd) is None


def test_pair_without_product_records_nothing(market: Market) -> None:
    btc = ObjectId(1, 3, 1)
    record_spot_fill(market.chain.state, btc, 10**8, GPX, 3 * 10**9, LAST_DAY)
    assert pair_stats(market.chain.state, btc, GPX) is None
    assert pair_stats(market.chain.state, GPX, btc) is None
