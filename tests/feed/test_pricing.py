"""Exact price combination: volume weighting, inversion, derivation across one and two
intermediate markets (seed 002: GPX/BTC × BTC/USD), median/mean, and refusals."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from graphex.feed import pricing
from graphex.feed.errors import PricingError
from graphex.feed.markets import Quote
from graphex.feed.pricing import candidates, path_candidate, price_of, quote_book


def q(source: str, market: str, price: str, volume: str = "1") -> Quote:
    asset, currency = market.split("/")
    return Quote(source, asset, currency, F(price), F(volume), market)


def test_volume_weighted_price_is_exact_and_zero_volume_quotes_weigh_nothing() -> None:
    quotes = [q("a", "GPX/USD", "0.20", "100"), q("b", "GPX/USD", "0.21", "300"),
              q("c", "GPX/USD", "0.22", "0")]
    result = price_of(quotes, "GPX", "USD", intermediates=())
    assert result.price == F(83, 400)  # (0.20·100 + 0.21·300) / 400 = 0.2075
    by_source = {c.label: c for c in result.candidates}
    assert result.weight(by_source["a:GPX/USD"]) == F(1, 4)
    assert result.weight(by_source["c:GPX/USD"]) == 0
    assert result.deviation(by_source["b:GPX/USD"]) == F("0.21") / F(83, 400) - 1


def test_an_inverted_quote_prices_the_other_way_with_its_volume_converted() -> None:
    """A source quoting USD/GPX = 5 GPX per USD over 1000 USD gives GPX/USD = 0.2 over 5000 GPX."""
    result = price_of([q("fx", "USD/GPX", "5", "1000")], "GPX", "USD", intermediates=())
    (candidate,) = result.candidates
    assert (candidate.price, candidate.volume) == (F(1, 5), F(5000))
    assert candidate.label == "fx:USD/GPX inverted" and result.price == F(1, 5)


def test_seed_002_usd_per_gpx_is_derived_across_btc() -> None:
    """GPX/BTC (BTC per GPX) × BTC/USD (USD per BTC) = USD per GPX. The path's volume is its
    thinnest leg in GPX: 10 BTC at 0.0000034 BTC/GPX is 2 941 176.47… GPX, more than the
    1 000 000 GPX traded on GPX/BTC."""
    quotes = [q("dex", "GPX/BTC", "0.0000034", "1000000"), q("kraken", "BTC/USD", "60000", "10")]
    result = price_of(quotes, "GPX", "USD", intermediates=("BTC",))
    (candidate,) = result.candidates
    assert candidate.price == F("0.204") and candidate.volume == 1_000_000
    assert candidate.label == "dex:GPX/BTC × kraken:BTC/USD"
    thin = [q("dex", "GPX/BTC", "0.0000034", "1000000"), q("kraken", "BTC/USD", "60000", "1")]
    (candidate,) = price_of(thin, "GPX", "USD", intermediates=("BTC",)).candidates
    assert candidate.volume == F(1) / F("0.0000034")  # 1 BTC in GPX


def test_direct_and_derived_candidates_are_weighted_together() -> None:
    quotes = [q("dex", "GPX/BTC", "0.0000034", "1000000"), q("kraken", "BTC/USD", "60000", "100"),
              q("bitstamp", "BTC/USD", "59000", "100"), q("otc", "GPX/USD", "0.2", "500000")]
    result = price_of(quotes, "GPX", "USD", intermediates=("BTC", "GPX", "USD"))
    labels = sorted(c.label for c in result.candidates)
    assert labels == ["dex:GPX/BTC × bitstamp:BTC/USD", "dex:GPX/BTC × kraken:BTC/USD",
                      "otc:GPX/USD"]
    # each derived path is limited by the 1 000 000 GPX leg
    expected = (F("0.204") * 1_000_000 + F("0.2006") * 1_000_000 + F("0.2") * 500_000) / 2_500_000
    assert result.price == expected


def test_three_market_paths_need_the_option_and_use_distinct_intermediates() -> None:
    """seed 002's bitEUR: GPX/BTC × BTC/USD × USD/EUR."""
    quotes = [q("dex", "GPX/BTC", "0.0000034", "1000000"), q("kraken", "BTC/USD", "60000", "100"),
              q("fx", "EUR/USD", "1.25", "1000000")]
    with pytest.raises(PricingError, match="GPX/EUR: no route"):
        price_of(quotes, "GPX", "EUR", intermediates=("BTC", "USD"))
    result = price_of(quotes, "GPX", "EUR", intermediates=("BTC", "USD"), three_markets=True)
    (candidate,) = result.candidates
    assert candidate.price == F("0.204") / F("1.25")
    assert candidate.label == "dex:GPX/BTC × kraken:BTC/USD × fx:EUR/USD inverted"
    assert candidate.volume == 1_000_000


def test_path_volume_converts_each_leg_into_the_priced_asset() -> None:
    legs = (q("a", "GPX/BTC", "1/100000", "5000000"), q("b", "BTC/USD", "50000", "20"),
            q("c", "USD/EUR", "4/5", "10000"))
    candidate = path_candidate(legs)
    # 20 BTC = 2 000 000 GPX; 10 000 USD = 0.2 BTC = 20 000 GPX — the thinnest
    assert candidate.price == F(1, 100000) * 50000 * F(4, 5)
    assert candidate.volume == 20_000


def test_median_and_mean_metrics() -> None:
    quotes = [q(s, "GPX/USD", p, "1") for s, p in (("a", "0.1"), ("b", "0.4"), ("c", "0.2"))]
    assert price_of(quotes, "GPX", "USD", intermediates=(), metric="median").price == F("0.2")
    assert price_of(quotes[:2], "GPX", "USD", intermediates=(), metric="median").price == \
        F("0.25")
    assert price_of(quotes, "GPX", "USD", intermediates=(), metric="mean").price == F(7, 30)
    result = price_of(quotes, "GPX", "USD", intermediates=(), metric="median")
    assert result.weight(result.candidates[0]) is None


def test_refusals_name_the_market() -> None:
    with pytest.raises(PricingError, match="GPX/USD: no route"):
        price_of([q("a", "BTC/USD", "1")], "GPX", "USD", intermediates=())
    with pytest.raises(PricingError, match="GPX/USD: every candidate has zero volume"):
        price_of([q("a", "GPX/USD", "0.2", "0")], "GPX", "USD", intermediates=())
    with pytest.raises(PricingError, match="fewer than min_sources = 2"):
        price_of([q("a", "GPX/USD", "0.2")], "GPX", "USD", intermediates=(), min_sources=2)


def test_candidate_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pricing, "MAX_CANDIDATES", 3)
    quotes = [q(f"s{i}", "GPX/BTC", "0.0000034") for i in range(2)] + \
        [q(f"t{i}", "BTC/USD", "60000") for i in range(2)]
    with pytest.raises(PricingError, match="more than MAX_CANDIDATES = 3"):
        candidates(quote_book(quotes), "GPX", "USD", ("BTC",), False)
