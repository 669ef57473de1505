"""Exact price combination: from many quotes to one price of an asset in a currency.

- Every quote is also used inverted (``1/p``, volume ``v·p``), so ``BTC/USD`` serves ``USD/BTC``.
- A **candidate** is a path of one to three quotes from the priced asset to the currency:
  direct (``GPX/USD``), across one intermediate ``X`` (``GPX/X × X/USD``) or, with
  ``derive_across_3markets``, across two distinct intermediates ``X, Y``
  (``GPX/X × X/Y × Y/USD``; seed 002's bitEUR example). Every combination of quotes for the legs
  is its own candidate, so the table shows which sources a price came from.
- A candidate's price is the product of its legs' prices; its volume is the smallest of its legs'
  volumes, each converted into units of the priced asset at the path's own prices (a thin leg
  limits the whole path).
- The result is the volume-weighted mean of the candidates' prices (``weighted``, the default),
  or their ``median`` (mean of the middle two when even) or ``mean``. All in
  :class:`~fractions.Fraction`; nothing is rounded here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise, permutations, product

from .errors import PricingError
from .markets import Quote

MAX_CANDIDATES = 10_000
"""Candidate paths for one price; more means a config whose combinations explode."""

Book = dict[tuple[str, str], list[Quote]]


@dataclass(frozen=True)
class Candidate:
    legs: tuple[Quote, ...]
    price: Fraction    # currency per priced asset
    volume: Fraction   # in units of the priced asset

    @property
    def label(self) -> str:
        return " × ".join(q.label for q in self.legs)

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(q.source for q in self.legs)


@dataclass(frozen=True)
class PriceResult:
    asset: str
    currency: str
    metric: str
    candidates: tuple[Candidate, ...]
    price: Fraction

    @property
    def total_volume(self) -> Fraction:
        return sum((c.volume for c in self.candidates), Fraction(0))

    def weight(self, candidate: Candidate) -> Fraction | None:
        """The candidate's share of a weighted result (None for median/mean)."""
        if self.metric != "weighted":
            return None
        return candidate.volume / self.total_volume

    def deviation(self, candidate: Candidate) -> Fraction:
        """How far the candidate's price is from the result, as a ratio (+0.01 = 1 % above)."""
        return candidate.price / self.price - 1


def quote_book(quotes: list[Quote]) -> Book:
    """Quotes by ``(asset, currency)``, each also filed inverted."""
    book: Book = defaultdict(list)
    for quote in quotes:
        book[quote.asset, quote.currency].append(quote)
        book[quote.currency, quote.asset].append(quote.invert())
    return book


def path_candidate(legs: tuple[Quote, ...]) -> Candidate:
    """Price and volume of a path: ``rate`` is the price of the first asset in the current one."""
    rate, volume = Fraction(1), None
    for leg in legs:
        leg_volume = leg.volume / rate  # leg volume is in leg.asset; one first-asset = rate of it
        volume = leg_volume if volume is None else min(volume, leg_volume)
        rate *= leg.price
    assert volume is not None  # a path has at least one leg
    return Candidate(legs, rate, volume)


def candidates(book: Book, asset: str, currency: str, intermediates: tuple[str, ...],
               three_markets: bool) -> list[Candidate]:
    """Every path from ``asset`` to ``currency``: direct, across one intermediate and (with
    ``three_markets``) across two."""
    via = [x for x in intermediates if x not in (asset, currency)]
    routes: list[tuple[str, ...]] = [(asset, currency)]
    routes += [(asset, x, currency) for x in via]
    if three_markets:
        routes += [(asset, x, y, currency) for x, y in permutations(via, 2)]
    found: list[Candidate] = []
    for route in routes:
        legs = [book.get((a, b), []) for a, b in pairwise(route)]
        size = 1
        for options in legs:
            size *= len(options)
        if len(found) + size > MAX_CANDIDATES:
            raise PricingError(f"{asset}/{currency}: more than MAX_CANDIDATES = {MAX_CANDIDATES} "
                               "paths; use fewer sources or intermediates")
        found.extend(path_candidate(combo) for combo in product(*legs))
    return found


def combine(asset: str, currency: str, found: list[Candidate], metric: str,
            min_sources: int) -> PriceResult:
    """The price of ``asset`` in ``currency`` from ``found`` by ``metric``; refused when there is
    no candidate, too few with volume, or (weighted) no volume at all."""
    market = f"{asset}/{currency}"
    if not found:
        raise PricingError(f"{market}: no route from the sources' markets (add a source quoting "
                           f"it, or an intermediate asset)")
    used = [c for c in found if c.volume > 0] if metric == "weighted" else found
    if not used:
        raise PricingError(f"{market}: every candidate has zero volume; nothing to weight by")
    if len(used) < min_sources:
        raise PricingError(f"{market}: {len(used)} usable candidate price(s), fewer than "
                           f"min_sources = {min_sources}")
    if metric == "weighted":
        total = sum((c.volume for c in used), Fraction(0))
        price = sum((c.price * c.volume for c in used), Fraction(0)) / total
    elif metric == "median":
        ordered = sorted(c.price for c in used)
        middle = len(ordered) // 2
        price = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    else:
        price = sum((c.price for c in used), Fraction(0)) / len(used)
    return PriceResult(asset, currency, metric, tuple(found), price)


def price_of(quotes: list[Quote], asset: str, currency: str, *, intermediates: tuple[str, ...],
             three_markets: bool = False, metric: str = "weighted",
             min_sources: int = 1) -> PriceResult:
    """The price of ``asset`` in ``currency`` from ``quotes``."""
    found = candidates(quote_book(quotes), asset, currency, intermediates, three_markets)
    return combine(asset, currency, found, metric, min_sources)
