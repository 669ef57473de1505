"""Price feeds of market-pegged assets: the median feed, the current feed and its caches, expiry
and the core exchange rate, as BitShares today (core: asset_object.cpp ``update_median_feeds``,
``refresh_cache``; db_update.cpp ``update_bitasset_current_feed``, ``update_expired_feeds``,
``update_core_exchange_rates``; db_maint.cpp ``process_bitassets``; ``reference/bitshares.md``
§3.2).

- A feed is live while ``now - published < feed_lifetime_sec`` (strict) and it was published at
  all (time non-zero). ``current_feed_publication_time`` is the oldest live feed's time (``now``
  when too few are live).
- Fewer than ``minimum_feeds`` live feeds: the median is the null feed (no settlement price).
  One: that feed. More: each field on its own, the element at index ``n // 2`` of the sorted
  values (the upper median for even ``n``); ties keep publisher order (core's ``nth_element``
  leaves the choice among equal-valued prices such as 1/2 and 2/4 to the library).
- The owner's MCR/MSSR/ICR (``options.extensions``) replace the median's, when at least one feed
  is live.
- Caches: maintenance collateralization ``~F * MCR/1000``; initial ``~F * ICR/1000`` when ICR > MCR,
  else the maintenance one.
- ``current_feed`` = the median, except that the black-swan responses ``no_settlement`` and
  ``individual_settlement_to_fund`` may raise its settlement price (§3.6).
- A changed median core exchange rate, or an issuer's own change of the asset's rate, marks the
  bitasset; every block the marked assets' ``options.core_exchange_rate`` becomes the feed's.

Invariant: after :func:`update_bitasset_current_feed` recomputes the median, the feed expires
after ``now`` (so ``update_expired_feeds`` visits each asset once per block).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import msgspec

from ...protocol.bitasset import (
    BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND,
    BSRM_NO_SETTLEMENT,
    COLLATERAL_RATIO_DENOM,
)
from ...protocol.ids import ObjectId
from ...protocol.types import COMMITTEE_FED_ASSET, WITNESS_FED_ASSET, Asset, Price
from ..errors import ValidationError
from ..objects import AssetObject
from ..state import ChainState
from .objects import NULL_PRICE, AssetBitassetData, FeedEntry, PriceFeedWithIcr
from .positions import least_collateralized
from .prices import (
    bitasset_mcor,
    collateralization,
    compare,
    div_ratio,
    invert,
    is_null,
    maintenance_collateralization,
    mul_ratio,
    price_eq,
    price_max,
)

# -- reading ---------------------------------------------------------------------------------------


def bitasset_data(state: ChainState, asset_id: ObjectId) -> AssetBitassetData:
    """The bitasset data (2.4.x) of the market-pegged asset ``asset_id``; a ValidationError naming
    the asset when it is not market-pegged (an UnknownObjectError when it does not exist)."""
    asset = state.asset(asset_id)
    if asset.bitasset_data_id is None:
        raise ValidationError(f"{asset.symbol} ({asset_id}) is not a market-pegged asset")
    return state.db.get(asset.bitasset_data_id, AssetBitassetData)


def margin_call_params_equal(a: PriceFeedWithIcr, b: PriceFeedWithIcr) -> bool:
    """Same settlement price (by value), MCR and MSSR (core's ``margin_call_params_equal``)."""
    return (price_eq(a.settlement_price, b.settlement_price)
            and a.maintenance_collateral_ratio == b.maintenance_collateral_ratio
            and a.maximum_short_squeeze_ratio == b.maximum_short_squeeze_ratio)


def initial_collateralization(feed: PriceFeedWithIcr) -> Price:
    """``~F * ICR/1000`` (collateral/debt); the null price when the feed is null."""
    if is_null(feed.settlement_price):
        return NULL_PRICE
    return mul_ratio(invert(feed.settlement_price),
                     (feed.initial_collateral_ratio, COLLATERAL_RATIO_DENOM))


# -- the median --------------------------------------------------------------------------------


def live_feeds(data: AssetBitassetData, now: int) -> list[FeedEntry]:
    """The feeds younger than the lifetime (strictly) and ever published, in publisher order."""
    lifetime = data.options.feed_lifetime_sec
    return [entry for _, entry in data.feeds if entry[0] != 0 and now - entry[0] < lifetime]


def _median_price(feeds: list[PriceFeedWithIcr], field: str) -> Price:
    values: list[Price] = [getattr(f, field) for f in feeds]
    ordered = sorted(values, key=functools.cmp_to_key(compare))
    return ordered[len(ordered) // 2]


def _median_ratio(feeds: list[PriceFeedWithIcr], field: str, override: int | None) -> int:
    if override is not None:
        return override
    values: list[int] = sorted(getattr(f, field) for f in feeds)
    return values[len(values) // 2]


def median_of(data: AssetBitassetData, feeds: list[PriceFeedWithIcr]) -> PriceFeedWithIcr:
    """The median feed of at least one live feed, with the owner's MCR/MSSR/ICR overrides."""
    ext = data.options.extensions
    if len(feeds) == 1:
        only = feeds[0]
        return PriceFeedWithIcr(
            only.settlement_price,
            only.maintenance_collateral_ratio if ext.maintenance_collateral_ratio is None
            else ext.maintenance_collateral_ratio,
            only.maximum_short_squeeze_ratio if ext.maximum_short_squeeze_ratio is None
            else ext.maximum_short_squeeze_ratio,
            only.core_exchange_rate,
            only.initial_collateral_ratio if ext.initial_collateral_ratio is None
            else ext.initial_collateral_ratio,
        )
    return PriceFeedWithIcr(
        _median_price(feeds, "settlement_price"),
        _median_ratio(feeds, "maintenance_collateral_ratio", ext.maintenance_collateral_ratio),
        _median_ratio(feeds, "maximum_short_squeeze_ratio", ext.maximum_short_squeeze_ratio),
        _median_price(feeds, "core_exchange_rate"),
        _median_ratio(feeds, "initial_collateral_ratio", ext.initial_collateral_ratio),
    )


def update_median_feeds(data: AssetBitassetData, now: int) -> None:
    """Recompute ``median_feed``, the publication time and the collateralization caches, on an
    object being modified (core's ``update_median_feeds``)."""
    live = live_feeds(data, now)
    if len(live) < data.options.minimum_feeds:
        data.feed_cer_updated = False
        data.current_feed_publication_time = now
        data.median_feed = PriceFeedWithIcr()
    else:
        data.current_feed_publication_time = min(published for published, _ in live)
        median = median_of(data, [feed for _, feed in live])
        if not price_eq(data.median_feed.core_exchange_rate, median.core_exchange_rate):
            data.feed_cer_updated = True
        data.median_feed = median
    refresh_cache(data)


def refresh_cache(data: AssetBitassetData) -> None:
    """The collateralizations derived from the median feed (core's ``refresh_cache``)."""
    median = data.median_feed
    data.current_maintenance_collateralization = maintenance_collateralization(median)
    if median.initial_collateral_ratio > median.maintenance_collateral_ratio:
        data.current_initial_collateralization = initial_collateralization(median)
    else:
        data.current_initial_collateralization = data.current_maintenance_collateralization


# -- the current feed --------------------------------------------------------------------------


def derived_current_feed_price(state: ChainState, data: AssetBitassetData) -> Price | None:
    """The current feed's settlement price under the asset's black-swan response, or None when
    it stays as it is (core's ``get_derived_current_feed_price``)."""
    median = data.median_feed.settlement_price
    if is_null(median):
        return None if is_null(data.current_feed.settlement_price) else median
    method = data.options.black_swan_response_method
    result = median
    if method == BSRM_NO_SETTLEMENT:
        worst = least_collateralized(state.db, data)
        if worst is not None:
            lowest_callable = div_ratio(
                invert(collateralization(worst)),
                (COLLATERAL_RATIO_DENOM, data.current_feed.maximum_short_squeeze_ratio))
            result = price_max(median, lowest_callable)
    elif method == BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND and data.individual_settlement_debt > 0:
        backing = data.options.short_backing_asset
        fund_price = Price(Asset(data.individual_settlement_debt, data.asset_id),
                           Asset(data.individual_settlement_fund, backing))
        result = price_max(median, mul_ratio(fund_price, bitasset_mcor(data)))
    if price_eq(result, data.current_feed.settlement_price):
        return None
    return result


def caps_current_feed(data: AssetBitassetData) -> bool:
    return data.options.black_swan_response_method in (BSRM_NO_SETTLEMENT,
                                                       BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND)


def update_bitasset_current_feed(state: ChainState, data: AssetBitassetData, *,
                                 skip_median_update: bool = False) -> AssetBitassetData:
    """Recompute the median (unless ``skip_median_update``) and the current feed (core's
    ``update_bitasset_current_feed``); returns the bitasset data as it is now."""
    new_price: Price | None = None
    if skip_median_update:
        if not caps_current_feed(data):
            if price_eq(data.current_feed.settlement_price, data.median_feed.settlement_price):
                return data
            new_price = data.median_feed.settlement_price
        else:
            new_price = derived_current_feed_price(state, data)
            if new_price is None:
                return data
    now = state.head_time
    with state.db.modify(data) as d:
        if not skip_median_update:
            update_median_feeds(d, now)
            d.current_feed = d.median_feed
            if caps_current_feed(d):
                new_price = derived_current_feed_price(state, d)
        if new_price is not None:
            d.current_feed = msgspec.structs.replace(d.current_feed, settlement_price=new_price)
    return data


# -- margin calls and revival (imported at call time: those modules import this one) ----------


def run_margin_calls(state: ChainState, asset: AssetObject) -> None:
    """Margin calls after a change of the margin-call parameters (black swan allowed)."""
    from .margin import check_call_orders  # margin imports feeds: import at call time

    check_call_orders(state, asset, allow_black_swan=True)


def maybe_revive(state: ChainState, asset: AssetObject) -> None:
    """A globally settled asset with a new feed may revive (``reference/bitshares.md`` §3.7)."""
    from .revival import maybe_revive_on_feed  # revival imports feeds: import at call time

    maybe_revive_on_feed(state, asset)


def after_feed_change(state: ChainState, asset: AssetObject, old_median: PriceFeedWithIcr) -> None:
    """What a publish or a producer change does after the feed is recomputed: nothing when the
    median's margin-call parameters are unchanged, else revival (if settled) and margin calls."""
    data = bitasset_data(state, asset.id)
    if margin_call_params_equal(old_median, data.median_feed):
        return
    if data.has_settlement() and not is_null(data.current_feed.settlement_price):
        maybe_revive(state, asset)
    run_margin_calls(state, state.asset(asset.id))


# -- every block -------------------------------------------------------------------------------


def expired_bitassets(state: ChainState, now: int) -> Iterator[AssetBitassetData]:
    index = state.db.ordered(AssetBitassetData, "by_feed_expiration")
    return iter(list(index.range(None, now + 1)))


def update_expired_feeds(state: ChainState) -> None:
    """Recompute the feeds of the assets whose current feed has expired, run margin calls where the
    margin-call parameters changed, and bring their core exchange rates up to date."""
    for data in expired_bitassets(state, state.head_time):
        old_current, old_median = data.current_feed, data.median_feed
        data = update_bitasset_current_feed(state, data)
        asset = state.asset(data.asset_id)
        current, median = data.current_feed, data.median_feed
        if ((not is_null(current.settlement_price)
             and not margin_call_params_equal(current, old_current))
                or (not is_null(median.settlement_price)
                    and not margin_call_params_equal(median, old_median))):
            run_margin_calls(state, asset)
            data = bitasset_data(state, data.asset_id)
        if data.need_to_update_cer():
            apply_feed_cer(state, data)


def apply_feed_cer(state: ChainState, data: AssetBitassetData) -> None:
    """Clear the bitasset's rate marks and set the asset's core exchange rate to the feed's."""
    with state.db.modify(data) as d:
        d.asset_cer_updated = False
        d.feed_cer_updated = False
    asset = state.asset(data.asset_id)
    rate = data.current_feed.core_exchange_rate
    if not price_eq(asset.options.core_exchange_rate, rate):
        with state.db.modify(asset) as a:
            a.options = msgspec.structs.replace(a.options, core_exchange_rate=rate)


def update_core_exchange_rates(state: ChainState) -> None:
    """Every marked bitasset's asset takes its feed's core exchange rate."""
    marked = list(state.db.group(AssetBitassetData, "by_cer_update").equal(True))
    for data in marked:
        apply_feed_cer(state, data)


# -- maintenance -------------------------------------------------------------------------------


def clear_expired_feeds_at_maintenance(state: ChainState, data: AssetBitassetData) -> None:
    """Witness- and committee-fed assets drop feeds older than their lifetime at maintenance
    (core's ``process_bitassets``; the current feed is left as it is, as core)."""
    now = state.head_time
    lifetime = data.options.feed_lifetime_sec
    if lifetime >= now:
        return
    flags = state.asset(data.asset_id).options.flags
    if not flags & (WITNESS_FED_ASSET | COMMITTEE_FED_ASSET):
        return
    oldest_kept = now - lifetime
    kept = tuple(item for item in data.feeds if item[1][0] >= oldest_kept)
    if kept != data.feeds:
        with state.db.modify(data) as d:
            d.feeds = kept
