"""Derived prices of a smartcoin (``reference/bitshares.md`` §1.3, §3.3) and core's
``price * ratio`` with its reduction, halving and correction, against hand-computed values.

USD has precision 4 and GPX (standing for BTS) precision 5, so 1 USD = 10 000 units and
5 GPX = 500 000 units: the feed F = 10000/500000 is "1 USD = 5 GPX".
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphex.chain.invariant import InvariantError
from graphex.chain.smartcoin.objects import CallOrder, PriceFeedWithIcr
from graphex.chain.smartcoin.prices import (
    collateralization,
    compare,
    div_ratio,
    invert,
    is_null,
    maintenance_collateralization,
    margin_call_order_price,
    margin_call_order_ratio,
    margin_call_pays_ratio,
    max_short_squeeze_price,
    mul_ratio,
    price_max,
)
from graphex.protocol.ids import ObjectId
from graphex.protocol.types import MAX_SHARE_SUPPLY, Asset, Price

GPX, USD = ObjectId(1, 3, 0), ObjectId(1, 3, 2)
MAX = MAX_SHARE_SUPPLY


def usd_per_gpx(usd: int, gpx: int) -> Price:
    return Price(Asset(usd, USD), Asset(gpx, GPX))


def gpx_per_usd(gpx: int, usd: int) -> Price:
    return Price(Asset(gpx, GPX), Asset(usd, USD))


def feed(settlement: Price, *, mcr: int = 1600, mssr: int = 1100) -> PriceFeedWithIcr:
    return PriceFeedWithIcr(settlement, mcr, mssr, settlement, mcr)


# --- the worked example of reference §3.3 ------------------------------------------------------


def test_worked_example() -> None:
    """F = 10000/500000, MSSR 1100, MCFR 50, MCR 1600: MSSP 1 USD/5.5 GPX, MCOP 1 USD/5.25 GPX,
    callable at collateral/debt <= 8 GPX per USD."""
    f = feed(usd_per_gpx(10000, 500000))
    # MSSP = F * 1000/1100 = 10^7 / (5.5 * 10^8), reduced = 1/55: 10000 USD units per 550000 GPX
    assert max_short_squeeze_price(f) == usd_per_gpx(1, 55)
    assert compare(max_short_squeeze_price(f), usd_per_gpx(10000, 550000)) == 0
    # MCOR = (1100 - 50)/1000; MCOP = F * 1000/1050 = 10^7 / (5.25 * 10^8) = 2/105
    assert margin_call_order_ratio(f, 50) == (1050, 1000)
    assert margin_call_order_price(f, 50) == usd_per_gpx(2, 105)
    assert compare(margin_call_order_price(f, 50), usd_per_gpx(10000, 525000)) == 0
    # MCPR = 1050/1100: MCOP * MCPR = MSSP
    assert margin_call_pays_ratio(f, 50) == (1050, 1100)
    assert mul_ratio(margin_call_order_price(f, 50), (1050, 1100)) == usd_per_gpx(1, 55)
    # ~F * 1600/1000 = 500000*1600 / (10000*1000) = 80/1 GPX units per USD unit = 8 GPX per USD
    assert maintenance_collateralization(f) == gpx_per_usd(80, 1)
    assert compare(maintenance_collateralization(f), gpx_per_usd(800000, 10000)) == 0


def test_margin_call_fee_ratio_edges() -> None:
    f = feed(usd_per_gpx(10000, 500000))
    # no MCFR: MCOR = MSSR/1000 and MCOP = MSSP
    assert margin_call_order_ratio(f, None) == (1100, 1000)
    assert margin_call_order_price(f, None) == max_short_squeeze_price(f)
    # MCFR >= MSSR - 1000: floored at 1.000, so MCOP is the feed itself (ratio 1: returned as is)
    assert margin_call_order_ratio(f, 100) == (1000, 1000)
    assert margin_call_order_ratio(f, 5000) == (1000, 1000)
    assert margin_call_order_price(f, 5000) == usd_per_gpx(10000, 500000)
    assert margin_call_pays_ratio(f, 5000) == (1000, 1100)


def test_collateralization_and_null_prices() -> None:
    call = CallOrder(id=ObjectId(1, 8, 0), borrower=ObjectId(1, 2, 17), collateral=90_000_000,
                     debt=1_000_000, call_price=gpx_per_usd(1, 1))
    assert collateralization(call) == gpx_per_usd(90_000_000, 1_000_000)
    null = Price(Asset(0, GPX), Asset(0, GPX))
    assert is_null(null) and not is_null(usd_per_gpx(1, 1))
    assert is_null(maintenance_collateralization(feed(null)))
    with pytest.raises(InvariantError):
        mul_ratio(null, (1000, 1100))


# --- price * ratio --------------------------------------------------------------------------------


def test_product_is_reduced_and_ratio_one_keeps_the_price() -> None:
    # 4/6 * 3/2 = 12/12, reduced to 1/1; a ratio of one returns the price unreduced
    assert mul_ratio(usd_per_gpx(4, 6), (3, 2)) == usd_per_gpx(1, 1)
    assert mul_ratio(usd_per_gpx(4, 6), (7, 7)) == usd_per_gpx(4, 6)
    assert div_ratio(usd_per_gpx(4, 6), (3, 2)) == usd_per_gpx(4, 9)


def test_halving_reduces_after_each_step() -> None:
    """999999999999999/999999999999998 * 1001/1000: the product (coprime) is
    1000999999999998999 / 999999999999998000, above MAX. Halving (and reducing) each time:
      500499999999999499 / 499999999999999000
      250249999999999749 / 249999999999999500
      125124999999999874 / 124999999999999750 -> both even: reduced to 62562499999999937 /
      62499999999999875
      31281249999999968 / 31249999999999937
      15640624999999984 / 15624999999999968 -> gcd 16: 977539062499999 / 976562499999998 (<= MAX)
    The correction candidate is floor(exact) = 1/1, farther from the exact value (~1.001) than the
    halved one, which is kept; it is above the original price, as a ratio > 1 must leave it."""
    p = usd_per_gpx(999999999999999, 999999999999998)
    assert mul_ratio(p, (1001, 1000)) == usd_per_gpx(977539062499999, 976562499999998)


def test_a_product_beyond_max_is_capped() -> None:
    # (MAX/1) * 3/2: the product 1.5*MAX/1 has denominator 1, so it becomes MAX/1 (using max);
    # not below the original price, so kept
    assert mul_ratio(usd_per_gpx(MAX, 1), (3, 2)) == usd_per_gpx(MAX, 1)
    # 3/999999999999999 * 1/7: 999999999999999 is divisible by 3, so the product reduces to
    # 1/2333333333333331 > MAX; numerator 1: 1/MAX — not above the original, so kept
    assert mul_ratio(usd_per_gpx(3, 999999999999999), (1, 7)) == usd_per_gpx(1, MAX)


def test_halving_that_would_flip_the_direction_returns_the_price() -> None:
    # 1/MAX * 1/3 = 1/(3*MAX): numerator 1, so 1/MAX, which is not below 1/MAX: the ratio < 1
    # must not raise the price ("flipped" means np > p); 1/MAX == p, so 1/MAX
    assert mul_ratio(usd_per_gpx(1, MAX), (1, 3)) == usd_per_gpx(1, MAX)
    # (MAX-1)/1 * 1001/1000 -> reduced (MAX-1)*1001/1000 > MAX with denominator 1000 -> halved
    # down to denominator 1, then MAX/1; MAX/1 >= (MAX-1)/1, not flipped
    assert mul_ratio(usd_per_gpx(MAX - 1, 1), (1001, 1000)) == usd_per_gpx(MAX, 1)


AMOUNT = st.integers(min_value=1, max_value=MAX)
RATIO = st.integers(min_value=1, max_value=32000)


@given(AMOUNT, AMOUNT, RATIO, RATIO)
def test_product_matches_the_exact_value_when_it_fits(base: int, quote: int, num: int,
                                                       den: int) -> None:
    exact = Fraction(base * num, quote * den)
    result = mul_ratio(usd_per_gpx(base, quote), (num, den))
    value = Fraction(result.base.amount, result.quote.amount)
    if num == den:
        assert result == usd_per_gpx(base, quote)
    elif exact.numerator <= MAX and exact.denominator <= MAX:
        assert (result.base.amount, result.quote.amount) == (exact.numerator, exact.denominator)
    else:  # shrunk: never past the original price in the wrong direction, amounts in range
        assert 0 < result.base.amount <= MAX and 0 < result.quote.amount <= MAX
        original = Fraction(base, quote)
        assert value >= original if num > den else value <= original


def test_compare_and_max() -> None:
    assert compare(usd_per_gpx(1, 2), usd_per_gpx(2, 4)) == 0
    assert compare(usd_per_gpx(1, 3), usd_per_gpx(1, 2)) == -1
    # different pairs order by (base id, quote id) first
    assert compare(gpx_per_usd(1, 1000), usd_per_gpx(1000, 1)) == -1
    assert price_max(usd_per_gpx(1, 2), usd_per_gpx(2, 4)) == usd_per_gpx(1, 2)
    assert invert(usd_per_gpx(1, 2)) == gpx_per_usd(2, 1)
