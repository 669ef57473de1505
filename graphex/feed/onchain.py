"""What goes on chain: a price as integer amounts of two assets, and back.

A feed's ``settlement_price`` is DEBT/COLLATERAL: ``base`` = an amount of the smartcoin,
``quote`` = an amount of its backing asset, both in their smallest units ("satoshis": one unit of
an asset with precision ``p`` is ``10**-p`` of it). The core exchange rate has the same shape with
the core asset as ``quote``.

From a price ``P`` (whole smartcoins per whole backing unit, e.g. 0.205624768946542 USD/GPX), as
seed 002 does it:

1. round ``P`` to the smartcoin's precision, half up: 0.2056 (USD has precision 4);
2. ``base`` = that many smartcoin satoshis per whole backing unit: 0.2056 × 10**4 = 2056;
   ``quote`` = one whole backing unit in its satoshis: 10**5 = 100000 (GPX has precision 5);
3. divide both by their gcd (8): ``257/12500``.

Reading back (:func:`price_from_chain`): ``base`` satoshis / ``quote`` satoshis, each scaled by its
precision: 16050000 USD-sat / 781600000 GPX-sat = 1605 USD / 7816 GPX = 0.2053 USD/GPX.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from .errors import PricingError
from .exact import round_half_up, significant

MAX_SHARE_SUPPLY = 10**15
"""The largest amount of any asset (GRAPHENE_MAX_SHARE_SUPPLY): no price leg may exceed it."""


@dataclass(frozen=True)
class ChainPrice:
    """A price in satoshi amounts: ``raw_*`` before and ``base``/``quote`` after gcd reduction."""

    raw_base: int
    raw_quote: int
    base: int
    quote: int

    def value(self, base_precision: int, quote_precision: int) -> Fraction:
        return price_from_chain(self.base, self.quote, base_precision, quote_precision)


def to_chain_price(price: Fraction, base_precision: int, quote_precision: int) -> ChainPrice:
    """``price`` (whole base units per whole quote unit) rounded to ``base_precision`` and
    reduced; refused when it rounds to zero or a leg exceeds the maximum supply."""
    if price <= 0:
        raise PricingError(f"price {price} is not positive")
    raw_base = round_half_up(price * 10**base_precision)
    raw_quote = 10**quote_precision
    if raw_base == 0:
        raise PricingError(
            f"price {significant(price, 6)} rounds to 0 at the smartcoin's precision {base_precision}"
        )
    if raw_base > MAX_SHARE_SUPPLY:
        raise PricingError(f"price {price} needs {raw_base} satoshis, above the maximum supply "
                           f"{MAX_SHARE_SUPPLY}")
    divisor = gcd(raw_base, raw_quote)
    return ChainPrice(raw_base, raw_quote, raw_base // divisor, raw_quote // divisor)


def price_from_chain(base_amount: int, quote_amount: int, base_precision: int,
                     quote_precision: int) -> Fraction:
    """Whole base units per whole quote unit of an on-chain price."""
    if base_amount <= 0 or quote_amount <= 0:
        raise PricingError(f"on-chain price {base_amount}/{quote_amount} is null or negative")
    return Fraction(base_amount * 10**quote_precision, quote_amount * 10**base_precision)


def with_premium(price: Fraction, premium: Fraction) -> Fraction:
    """The core exchange rate's price: ``price × (1 + premium)`` (5 % → ``price × 21/20``), so
    paying fees in the smartcoin costs a little more than paying in core."""
    return price * (1 + premium)
