"""Prices derived from a smartcoin's feed, with BitShares' exact arithmetic (core:
protocol/asset.cpp; ``reference/bitshares.md`` §1.3, §3.3).

A feed's ``settlement_price`` F is debt per collateral (``base`` = the smartcoin). From it:

- MSSP = ``F * (1000 / MSSR)``: the price at which a margin call gives up collateral (fee included);
- MCOR = ``max(MSSR - MCFR, 1000) / 1000``; MCOP = ``F / MCOR``: the price a margin call is offered
  at on the book; MCPR = ``max(MSSR - MCFR, 1000) / MSSR``: what a call pays per what it offers;
- maintenance collateralization = ``~F * MCR / 1000`` (collateral per debt): a position whose
  collateral/debt is not above it is in margin call territory.

``price * ratio`` is core's ``operator*(price, ratio_type)``: the product as a reduced fraction,
halved (and re-reduced) while a term exceeds the maximum supply, then corrected toward the exact
value and never moved past the original price in the wrong direction. Python's integers stand in
for core's ``uint128``/``boost::rational``; core could only wrap around for prices whose amounts
are far beyond any supply. Comparisons are core's: same asset pair, then cross products.
"""

from __future__ import annotations

from math import gcd

from ...protocol import ids
from ...protocol.bitasset import COLLATERAL_RATIO_DENOM
from ...protocol.types import MAX_SHARE_SUPPLY, Asset, Price
from ..invariant import invariant
from .objects import AssetBitassetData, CallOrder, PriceFeedWithIcr

Ratio = tuple[int, int]
"""A positive ratio ``(numerator, denominator)`` (core's ``ratio_type``)."""


# -- price basics ------------------------------------------------------------------------------
def invert(p: Price) -> Price:
    """``~p``: the same price quoted the other way round."""
    return Price(p.quote, p.base)


def is_null(p: Price) -> bool:
    """core's ``price::is_null``: a default-constructed price (both sides the core asset)."""
    return p.base.asset_id == ids.CORE_ASSET and p.quote.asset_id == ids.CORE_ASSET


def compare(a: Price, b: Price) -> int:
    """core's price order: by (base asset, quote asset), then by value; -1, 0 or 1."""
    ka, kb = (a.base.asset_id, a.quote.asset_id), (b.base.asset_id, b.quote.asset_id)
    if ka != kb:
        return -1 if ka < kb else 1
    left, right = a.base.amount * b.quote.amount, b.base.amount * a.quote.amount
    return (left > right) - (left < right)


def price_lt(a: Price, b: Price) -> bool:
    return compare(a, b) < 0


def price_le(a: Price, b: Price) -> bool:
    return compare(a, b) <= 0


def price_eq(a: Price, b: Price) -> bool:
    return compare(a, b) == 0


def price_max(a: Price, b: Price) -> Price:
    """``std::max(a, b)`` (``a`` when equal)."""
    return b if price_lt(a, b) else a


def collateralization(call: CallOrder) -> Price:
    """A position's collateral / debt (core's ``call_order_object::collateralization``)."""
    return Price(Asset(call.collateral, call.collateral_type), Asset(call.debt, call.debt_type))


# -- price * ratio -----------------------------------------------------------------------------
def _reduced(num: int, den: int) -> Ratio:
    g = gcd(num, den)
    return num // g, den // g


def _closer(candidate: Ratio, current: Ratio, exact: Ratio) -> bool:
    """``|candidate - exact| < |current - exact|``, exactly."""
    (cn, cd), (qn, qd), (en, ed) = candidate, current, exact
    return abs(cn * ed - en * cd) * qd < abs(qn * ed - en * qd) * cd


def mul_ratio(p: Price, ratio: Ratio) -> Price:
    """core's ``price * ratio_type``, bit-exact (see the module docstring)."""
    num, den = ratio
    invariant(p.base.amount > 0 and p.quote.amount > 0 and p.base.asset_id != p.quote.asset_id,
              f"price * ratio of an invalid price {p}")
    invariant(num > 0 and den > 0, f"price * ratio with a non-positive ratio {num}/{den}")
    if num == den:
        return p
    exact = _reduced(p.base.amount * num, p.quote.amount * den)
    cn, cd = exact
    shrunk = using_max = False
    while cn > MAX_SHARE_SUPPLY or cd > MAX_SHARE_SUPPLY:
        if cn == 1:
            cn, cd, using_max = 1, MAX_SHARE_SUPPLY, True
            break
        if cd == 1:
            cn, cd, using_max = MAX_SHARE_SUPPLY, 1, True
            break
        cn, cd = _reduced(cn >> 1, cd >> 1)
        shrunk = True
    if shrunk:
        en, ed = exact
        if en > ed:
            near = (min(en // ed, MAX_SHARE_SUPPLY), 1)
        else:
            near = (1, min(ed // en, MAX_SHARE_SUPPLY))
        if MAX_SHARE_SUPPLY in near or _closer(near, (cn, cd), exact):
            cn, cd = near
    result = Price(Asset(cn, p.base.asset_id), Asset(cd, p.quote.asset_id))
    if shrunk or using_max:
        flipped = price_lt(result, p) if num > den else compare(result, p) > 0
        if flipped:
            result = p
    return result


def div_ratio(p: Price, ratio: Ratio) -> Price:
    """core's ``price / ratio_type`` = ``p * (den / num)``."""
    return mul_ratio(p, (ratio[1], ratio[0]))


# -- a feed's derived prices -------------------------------------------------------------------
def max_short_squeeze_price(feed: PriceFeedWithIcr) -> Price:
    """MSSP = F * 1000/MSSR (debt/collateral)."""
    return mul_ratio(feed.settlement_price,
                     (COLLATERAL_RATIO_DENOM, feed.maximum_short_squeeze_ratio))


def margin_call_price_numerator(feed: PriceFeedWithIcr, mcfr: int | None) -> int:
    """``MSSR - MCFR``, floored at 1000 (MCFR missing counts as 0)."""
    fee_ratio = mcfr or 0
    mssr = feed.maximum_short_squeeze_ratio
    numerator = mssr - fee_ratio if fee_ratio < mssr else COLLATERAL_RATIO_DENOM
    return max(numerator, COLLATERAL_RATIO_DENOM)


def margin_call_order_ratio(feed: PriceFeedWithIcr, mcfr: int | None) -> Ratio:
    """MCOR = max(MSSR - MCFR, 1000) / 1000."""
    return margin_call_price_numerator(feed, mcfr), COLLATERAL_RATIO_DENOM


def margin_call_pays_ratio(feed: PriceFeedWithIcr, mcfr: int | None) -> Ratio:
    """MCPR = max(MSSR - MCFR, 1000) / MSSR."""
    return margin_call_price_numerator(feed, mcfr), feed.maximum_short_squeeze_ratio


def margin_call_order_price(feed: PriceFeedWithIcr, mcfr: int | None) -> Price:
    """MCOP = F / MCOR (debt/collateral)."""
    return div_ratio(feed.settlement_price, margin_call_order_ratio(feed, mcfr))


def maintenance_collateralization(feed: PriceFeedWithIcr) -> Price:
    """``~F * MCR/1000`` (collateral/debt); the null price when the feed is null."""
    if is_null(feed.settlement_price):
        return Price(Asset(0, ids.CORE_ASSET), Asset(0, ids.CORE_ASSET))
    return mul_ratio(invert(feed.settlement_price),
                     (feed.maintenance_collateral_ratio, COLLATERAL_RATIO_DENOM))


# -- the same, for a bitasset's current feed and options ---------------------------------------
def _mcfr(bitasset: AssetBitassetData) -> int | None:
    return bitasset.options.extensions.margin_call_fee_ratio


def bitasset_mcop(bitasset: AssetBitassetData) -> Price:
    """core's ``get_margin_call_order_price``: MCOP of the current feed."""
    return margin_call_order_price(bitasset.current_feed, _mcfr(bitasset))


def bitasset_mcpr(bitasset: AssetBitassetData) -> Ratio:
    """core's ``get_margin_call_pays_ratio``: MCPR of the current feed."""
    return margin_call_pays_ratio(bitasset.current_feed, _mcfr(bitasset))


def bitasset_mcor(bitasset: AssetBitassetData) -> Ratio:
    """core's ``get_margin_call_order_ratio``: MCOR of the current feed."""
    return margin_call_order_ratio(bitasset.current_feed, _mcfr(bitasset))
