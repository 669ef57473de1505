"""Exact numbers and on-chain prices: seed 002's worked example, rounding direction, gcd reduction,
reading a feed back, the CER premium, and refusals."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import gcd

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphex.feed.errors import PricingError
from graphex.feed.exact import (
    decimal_places,
    exact,
    from_source_number,
    percent,
    round_half_up,
    significant,
)
from graphex.feed.onchain import MAX_SHARE_SUPPLY, price_from_chain, to_chain_price, with_premium

USD_PRECISION, GPX_PRECISION = 4, 5


# -- seed 002 ------------------------------------------------------------------------------------
def test_seed_002_publishing_0_2056_usd_per_gpx_gives_257_over_12500() -> None:
    """0.205624768946542 USD/GPX → rounded to USD's 4 decimals 0.2056 → 2056 USD-satoshis
    (1 USD-sat = 0.0001 USD) per 100000 GPX-satoshis (1 GPX at precision 5) → gcd 8 → 257/12500."""
    price = exact(Decimal("0.205624768946542"), "seed")
    on_chain = to_chain_price(price, USD_PRECISION, GPX_PRECISION)
    assert (on_chain.raw_base, on_chain.raw_quote) == (2056, 100000)
    assert (on_chain.base, on_chain.quote) == (257, 12500)
    assert on_chain.value(USD_PRECISION, GPX_PRECISION) == Fraction("0.2056")


def test_seed_002_feed_of_16050000_over_781600000_reads_0_2053_usd_per_gpx() -> None:
    """16050000 USD-sat = 1605 USD; 781600000 GPX-sat = 7816 GPX; 1605/7816 = 0.20535… USD/GPX."""
    value = price_from_chain(16050000, 781600000, USD_PRECISION, GPX_PRECISION)
    assert value == Fraction(1605, 7816)
    assert decimal_places(value, USD_PRECISION) == "0.2053"


def test_rounding_is_half_up_at_the_smartcoins_precision() -> None:
    assert to_chain_price(Fraction("0.20565"), 4, 5).raw_base == 2057      # exactly half: up
    assert to_chain_price(Fraction("0.2056499999"), 4, 5).raw_base == 2056  # below half: down
    assert to_chain_price(Fraction("0.20555"), 4, 5).raw_base == 2056      # half up, not even
    assert round_half_up(Fraction(5, 2)) == 3 and round_half_up(Fraction(7, 2)) == 4


def test_gcd_reduction_keeps_the_value_and_leaves_coprime_legs() -> None:
    price = to_chain_price(Fraction(3, 4), 4, 5)   # 7500 / 100000 → 3/40
    assert (price.base, price.quote) == (3, 40)
    price = to_chain_price(Fraction("0.2057"), 4, 5)  # 2057 is odd and not a multiple of 5
    assert (price.base, price.quote) == (2057, 100000)


@given(st.fractions(min_value=Fraction(1, 10**4), max_value=Fraction(10**6)),
       st.integers(0, 8), st.integers(0, 8))
def test_chain_price_is_the_nearest_multiple_of_the_precision(price: Fraction, base_precision: int,
                                                              quote_precision: int) -> None:
    try:
        on_chain = to_chain_price(price, base_precision, quote_precision)
    except PricingError:
        assert round_half_up(price * 10**base_precision) == 0
        return
    value = on_chain.value(base_precision, quote_precision)
    assert abs(value - price) <= Fraction(1, 2 * 10**base_precision)
    assert Fraction(on_chain.base, on_chain.quote) == Fraction(on_chain.raw_base,
                                                               on_chain.raw_quote)
    assert gcd(on_chain.base, on_chain.quote) == 1


def test_prices_that_cannot_go_on_chain_are_refused() -> None:
    with pytest.raises(PricingError, match="rounds to 0 at the smartcoin's precision 4"):
        to_chain_price(Fraction("0.00004"), 4, 5)
    with pytest.raises(PricingError, match="not positive"):
        to_chain_price(Fraction(0), 4, 5)
    with pytest.raises(PricingError, match="maximum supply"):
        to_chain_price(Fraction(MAX_SHARE_SUPPLY), 4, 5)
    with pytest.raises(PricingError, match="null"):
        price_from_chain(0, 0, 4, 5)


def test_cer_premium_multiplies_the_price_exactly() -> None:
    assert with_premium(Fraction("0.2056"), Fraction(5, 100)) == Fraction("0.21588")
    cer = to_chain_price(with_premium(Fraction("0.2056"), Fraction(5, 100)), 4, 5)
    assert (cer.raw_base, cer.base, cer.quote) == (2159, 2159, 100000)


# -- parsing and display -------------------------------------------------------------------------
def test_exact_accepts_decimals_integers_and_text_but_not_floats() -> None:
    assert exact(Decimal("0.205624768946542"), "x") == Fraction(205624768946542, 10**15)
    assert exact("1605/7816", "x") == Fraction(1605, 7816)
    assert exact("1e-5", "x") == Fraction(1, 100000)
    assert exact(7, "x") == 7
    with pytest.raises(ValueError, match="price: 0.1 is not exact"):
        exact(0.1, "price")
    with pytest.raises(ValueError, match="is not a number"):
        exact("abc", "price")
    with pytest.raises(ValueError, match="expected a number"):
        exact(None, "price")
    with pytest.raises(ValueError, match="not exact"):
        exact(True, "flag")


def test_floats_from_exchanges_go_through_their_decimal_text() -> None:
    assert from_source_number(60000.1, "t") == Fraction(600001, 10)  # not the binary value
    assert from_source_number(1e-05, "t") == Fraction(1, 100000)
    assert from_source_number("60000.10000", "t") == Fraction(600001, 10)
    with pytest.raises(ValueError, match="not a finite number"):
        from_source_number(float("nan"), "t")


def test_display_helpers() -> None:
    assert significant(Fraction(1, 3)) == "0.3333333333"
    assert significant(Fraction(60000)) == "60000"
    assert significant(Fraction(0)) == "0"
    assert percent(Fraction(1, 200)) == "+0.50%" and percent(Fraction(-1, 40)) == "-2.50%"
    assert decimal_places(Fraction(-1, 3), 2) == "-0.33"
