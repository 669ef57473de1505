"""Reviving a globally settled smartcoin: collateral bids, their execution, and revival (core:
db_market.cpp ``revive_bitasset``, ``_cancel_bids_and_revive_mpa``, ``cancel_bid``,
``execute_bid``; db_maint.cpp ``process_bids``, ``process_bitassets``; asset_evaluator.cpp
``asset_publish_feeds_evaluator::do_apply``; ``reference/bitshares.md`` §3.7).

While an asset is globally settled, holders may bid collateral to take over its debt. At each
maintenance (with a feed), bids are taken best ``inv_swan_price`` (collateral per debt) first; if
the accepted bids, each with its share of the settlement fund, would all be collateralised above
the initial collateral ratio and together cover the whole supply, each becomes a debt position
(virtual ``execute_bid``), the rest are refunded (virtual ``bid_collateral`` with no debt) and
the asset is revived. A new feed revives it outright when the fund alone is collateralised enough
(the issuer then owes the whole supply against the whole fund), or when the supply is zero.

Invariants: revival leaves no bid, ``settlement_fund`` 0 and ``settlement_price`` null; the fund
moves into the new positions to the last unit (broken otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cmp_to_key
from math import gcd

from ...protocol import ids
from ...protocol.bitasset import COLLATERAL_RATIO_DENOM
from ...protocol.operations.market import BidCollateral, ExecuteBid
from ...protocol.types import MAX_SHARE_SUPPLY, Asset, Price
from ..invariant import invariant
from ..market.orders import add_core_in_orders
from ..market.price import mul_down
from ..objects import AssetObject
from ..state import ChainState
from .feeds import clear_expired_feeds_at_maintenance
from .objects import NULL_PRICE, AssetBitassetData, CallOrder, CollateralBid
from .positions import bitasset_of
from .prices import compare, is_null, price_lt

NO_FEE = Asset(0, ids.CORE_ASSET)


def _worse_bid(a: CollateralBid, b: CollateralBid) -> int:
    return compare(b.inv_swan_price, a.inv_swan_price)


_BEST_FIRST = cmp_to_key(_worse_bid)


def bids_best_first(state: ChainState, asset_id: ids.ObjectId) -> list[CollateralBid]:
    """The bids on ``asset_id``: most collateral per debt first, then oldest (core's
    ``collateral_bid_index::by_price``)."""
    bids = state.db.group(CollateralBid, "by_asset").equal(asset_id)  # in id order
    return sorted(bids, key=_BEST_FIRST)  # stable: equal prices stay oldest first


def cancel_bid(state: ChainState, bid: CollateralBid, *, virtual_op: bool = True) -> None:
    """Refund ``bid``'s collateral and remove it; the chain's cancellation emits a virtual
    ``bid_collateral`` with no debt covered."""
    collateral = bid.inv_swan_price.base
    state.adjust_balance(bid.bidder, collateral.asset_id, collateral.amount)
    if virtual_op:
        state.applied.push(BidCollateral(NO_FEE, bid.bidder, collateral,
                                         Asset(0, bid.inv_swan_price.quote.asset_id)), virtual=True)
    state.db.remove(bid)


def execute_bid(state: ChainState, bid: CollateralBid, debt_covered: int,
                collateral_from_fund: int) -> CallOrder:
    """Turn ``bid`` into a debt position of ``debt_covered`` backed by its collateral plus
    ``collateral_from_fund``; emits ``execute_bid``."""
    collateral_asset = bid.inv_swan_price.base.asset_id
    debt_asset = bid.inv_swan_price.quote.asset_id
    call = state.db.create(
        CallOrder,
        borrower=bid.bidder,
        collateral=bid.inv_swan_price.base.amount + collateral_from_fund,
        debt=debt_covered,
        call_price=Price(Asset(1, collateral_asset), Asset(1, debt_asset)),
    )
    if collateral_asset == ids.CORE_ASSET:
        add_core_in_orders(state, bid.bidder, call.collateral)
    state.applied.push(ExecuteBid(NO_FEE, bid.bidder, Asset(debt_covered, debt_asset),
                                  Asset(call.collateral, collateral_asset)))
    state.db.remove(bid)
    return call


def cancel_bids_and_revive(state: ChainState, data: AssetBitassetData) -> None:
    """Refund every remaining bid, then clear the settlement (core's
    ``_cancel_bids_and_revive_mpa``)."""
    invariant(data.has_settlement() and not data.is_prediction_market,
              f"reviving {data.asset_id}, which is not a settled market-pegged asset")
    for bid in bids_best_first(state, data.asset_id):
        cancel_bid(state, bid)
    with state.db.modify(data) as d:
        d.settlement_price = NULL_PRICE
        d.settlement_fund = 0


def revive_bitasset(state: ChainState, asset: AssetObject, data: AssetBitassetData) -> None:
    """Revive with the issuer as the borrower of the whole supply against the whole fund."""
    invariant(not is_null(data.current_feed.settlement_price),
              f"reviving {asset.symbol} without a feed")
    supply = state.asset_dynamic(asset).current_supply
    if supply > 0:
        pseudo = state.db.create(
            CollateralBid,
            bidder=asset.issuer,
            inv_swan_price=Price(Asset(0, data.options.short_backing_asset), Asset(supply, asset.id)),
        )
        execute_bid(state, pseudo, supply, data.settlement_fund)
    else:
        invariant(data.settlement_fund == 0,
                  f"{asset.symbol} has no supply but a settlement fund of {data.settlement_fund}")
    cancel_bids_and_revive(state, data)


def should_revive_on_feed(state: ChainState, asset: AssetObject, data: AssetBitassetData) -> bool:
    """After a feed change of a settled asset: revive when its supply is zero, or when the fund
    per supply is above the initial collateralization (core since hard fork core-2290)."""
    if not data.has_settlement() or is_null(data.current_feed.settlement_price):
        return False
    supply = state.asset_dynamic(asset).current_supply
    if supply == 0:
        return True
    fund = Price(Asset(data.settlement_fund, data.options.short_backing_asset),
                 Asset(supply, asset.id))
    return price_lt(data.current_initial_collateralization, fund)


def maybe_revive_on_feed(state: ChainState, asset: AssetObject) -> bool:
    """The revival step of ``asset_publish_feed`` (called when the feed's margin-call parameters
    changed); returns whether the asset was revived."""
    data = bitasset_of(state, asset)
    if should_revive_on_feed(state, asset, data):
        revive_bitasset(state, asset, data)
        return True
    return False


def _call_price_inverse(debt: int, collateral: int, ratio: int) -> tuple[int, int]:
    """``~price::call_price(debt, collateral, ratio)`` as (debt units, collateral units): the
    reduced ``debt * ratio / (collateral * 1000)``, halved (rounding up) while a term exceeds
    the maximum supply — bit-exact with core."""
    num, den = debt * ratio, collateral * COLLATERAL_RATIO_DENOM
    g = gcd(num, den)
    num, den = num // g, den // g
    while num > MAX_SHARE_SUPPLY or den > MAX_SHARE_SUPPLY:
        num, den = (num >> 1) + 1, (den >> 1) + 1
        g = gcd(num, den)
        num, den = num // g, den // g
    return num, den


def _accepted_bids(state: ChainState, data: AssetBitassetData, supply: int
                   ) -> Iterator[tuple[CollateralBid, int]]:
    """The best bids, each with its debt (capped at the supply), while each would be
    collateralised above the initial collateral ratio at the feed."""
    feed = data.current_feed.settlement_price
    ratio = data.current_feed.initial_collateral_ratio
    for bid in bids_best_first(state, data.asset_id):
        debt = min(bid.inv_swan_price.quote.amount, supply)
        from_fund = mul_down(debt, data.asset_id, data.settlement_price).amount
        num, den = _call_price_inverse(debt, from_fund + bid.inv_swan_price.base.amount, ratio)
        if num * feed.quote.amount >= feed.base.amount * den:  # ~call_price >= feed
            return
        yield bid, debt


def process_bids(state: ChainState, data: AssetBitassetData) -> None:
    """Revive a settled asset through its collateral bids if they can take the whole supply
    (at maintenance, with a feed)."""
    if data.is_prediction_market or is_null(data.current_feed.settlement_price):
        return
    asset = state.asset(data.asset_id)
    supply = state.asset_dynamic(asset).current_supply
    if supply == 0:
        cancel_bids_and_revive(state, data)
        return
    accepted: list[tuple[CollateralBid, int]] = []
    covered = 0
    for bid, debt in _accepted_bids(state, data, supply):
        if covered >= supply:
            break
        accepted.append((bid, debt))
        covered += debt
    if covered < supply:
        return
    to_cover, remaining_fund = supply, data.settlement_fund
    for bid, debt in accepted:
        collateral = mul_down(debt, data.asset_id, data.settlement_price).amount
        if debt >= to_cover:
            debt, collateral = to_cover, remaining_fund
        to_cover -= debt
        remaining_fund -= collateral
        execute_bid(state, bid, debt, collateral)
    invariant(remaining_fund == 0 and to_cover == 0,
              f"{asset.symbol}: bids executed leaving {remaining_fund} of the fund and "
              f"{to_cover} of the supply")
    cancel_bids_and_revive(state, data)


def process_bitassets(state: ChainState) -> None:
    """The smartcoin step of maintenance (core's ``process_bitassets``): every bitasset's
    force-settled volume starts again from zero, witness- and committee-fed assets drop expired
    feeds, and settled assets try revival through their bids."""
    for data in list(state.db.table(AssetBitassetData)):
        if data.force_settled_volume:
            with state.db.modify(data) as d:
                d.force_settled_volume = 0
        clear_expired_feeds_at_maintenance(state, data)
        if data.has_settlement():
            process_bids(state, data)
