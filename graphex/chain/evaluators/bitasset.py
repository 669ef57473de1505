"""Market-pegged asset settings and feeds: asset_update_bitasset (12), asset_update_feed_producers
(13), asset_publish_feed (19) — BitShares' current rules (core: protocol/asset_ops.cpp,
chain/asset_evaluator.cpp; ``reference/bitshares.md`` §3.1–3.2).

- ``asset_update_bitasset``: by the issuer of a market-pegged asset. Owner-set MCR / ICR / MSSR
  change only while the matching ``disable_*_update`` permission is off; the black-swan response
  changes only with its permission, not after a global settlement nor while an individual
  settlement fund or order exists, and never on a prediction market. The backing asset changes only
  with no supply and no collateral fees unclaimed, not to the asset itself, and keeps the backing
  chain valid (core or UIA, or an MPA backed by one; the committee's assets end in the core asset;
  assets backed by this one stay valid). A new backing asset drops the witness/committee feeds and
  nulls the producers' feed prices. The median is recomputed when the feed parameters change, and
  margin calls run when the margin-call parameters or the margin call fee ratio change.
- ``asset_update_feed_producers``: by the issuer of a producer-fed asset (neither witness- nor
  committee-fed), at most ``maximum_asset_feed_publishers`` existing accounts; kept producers keep
  their feeds, new ones start with an empty entry.
- ``asset_publish_feed``: a non-null settlement price of the asset in its backing asset, a non-null
  core exchange rate of the asset in the core asset, ratios in [1001, 32000]; published by an active
  witness (witness-fed), an active committee member (committee-fed) or a listed producer. The feed
  is stored as ``(head time, feed with ICR)`` (ICR defaults to the feed's MCR), the median is
  recomputed, and if its margin-call parameters changed a settled asset may revive and margin
  calls run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ...protocol import ids
from ...protocol.bitasset import (
    BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND,
    BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER,
    BSRM_NO_SETTLEMENT,
    MAX_COLLATERAL_RATIO,
    MIN_COLLATERAL_RATIO,
    BitassetOptions,
    PriceFeed,
)
from ...protocol.ids import ObjectId
from ...protocol.operations.base import VOID_RESULT, OperationResult
from ...protocol.operations.smartcoin import (
    AssetPublishFeed,
    AssetUpdateBitasset,
    AssetUpdateFeedProducers,
)
from ..errors import PermissionError_, ValidationError
from ..market.objects import LimitOrder
from ..objects import AssetObject, CommitteeMember, Witness
from ..smartcoin.feeds import (
    after_feed_change,
    margin_call_params_equal,
    run_margin_calls,
    update_bitasset_current_feed,
)
from ..smartcoin.objects import NULL_PRICE, AssetBitassetData, PriceFeedWithIcr
from ..smartcoin.prices import is_null
from ..state import ChainState
from .asset_checks import (
    COMMITTEE_FED_ASSET,
    DISABLE_BSRM_UPDATE,
    DISABLE_ICR_UPDATE,
    DISABLE_MCR_UPDATE,
    DISABLE_MSSR_UPDATE,
    WITNESS_FED_ASSET,
    backing_asset,
    bitasset_of,
    check_backing_chain,
    check_bitasset_options,
    check_block_interval_bounds,
    check_price_shape,
    is_market_issued,
    require_issuer,
)
from .base import Evaluator, register
from .checks import check_fee


def market_pegged(state: ChainState, asset_id: ObjectId, rule: str) -> AssetObject:
    asset = state.asset(asset_id)
    if not is_market_issued(asset):
        raise ValidationError(f"{rule}: {asset.symbol} ({asset_id}) is not a market-pegged asset")
    return asset


# --- asset_update_bitasset ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpdateBitassetPlan:
    asset: AssetObject
    data: AssetBitassetData
    bsrm_changes_feed: bool


OWNER_RATIOS = (
    ("maintenance_collateral_ratio", DISABLE_MCR_UPDATE, "MCR"),
    ("initial_collateral_ratio", DISABLE_ICR_UPDATE, "ICR"),
    ("maximum_short_squeeze_ratio", DISABLE_MSSR_UPDATE, "MSSR"),
)


@register
class AssetUpdateBitassetEvaluator(Evaluator[AssetUpdateBitasset]):
    operation = AssetUpdateBitasset

    def validate(self, op: AssetUpdateBitasset) -> None:
        check_fee(op.fee)
        check_bitasset_options(op.new_options, "asset_update_bitasset")

    def evaluate(self, state: ChainState, op: AssetUpdateBitasset) -> Any:
        rule = "asset_update_bitasset"
        asset = market_pegged(state, op.asset_to_update, rule)
        require_issuer(state, asset, op.issuer, rule)
        data = bitasset_of(state, asset)
        new, old = op.new_options, data.options
        if data.is_prediction_market and new.extensions.black_swan_response_method is not None:
            raise ValidationError(
                f"{rule}: {asset.symbol} is a prediction market and cannot set "
                "black_swan_response_method"
            )
        for field, permission, name in OWNER_RATIOS:
            if (asset.options.issuer_permissions & permission
                    and getattr(new.extensions, field) != getattr(old.extensions, field)):
                raise PermissionError_(
                    f"{rule}: the owner may not update the {name} of {asset.symbol} "
                    f"(disable_{name.lower()}_update permission); {field} stays "
                    f"{getattr(old.extensions, field)}"
                )
        bsrm_changes_feed = check_bsrm_change(state, asset, data, new)
        if new.short_backing_asset != old.short_backing_asset:
            check_backing_change(state, asset, data, new)
        check_block_interval_bounds(state, new, rule)
        return UpdateBitassetPlan(asset, data, bsrm_changes_feed)

    def apply(self, state: ChainState, op: AssetUpdateBitasset, plan: Any) -> OperationResult:
        if update_bitasset_options(state, plan, op.new_options):
            run_margin_calls(state, state.asset(plan.asset.id))
        return VOID_RESULT


def check_bsrm_change(state: ChainState, asset: AssetObject, data: AssetBitassetData,
                      new: BitassetOptions) -> bool:
    """Refuse a black-swan response change that is not allowed; whether it moves the current
    feed (``no_settlement`` before or after)."""
    rule = "asset_update_bitasset"
    old_method, new_method = data.options.black_swan_response_method, new.black_swan_response_method
    if old_method == new_method:
        return False
    if asset.options.issuer_permissions & DISABLE_BSRM_UPDATE:
        raise PermissionError_(
            f"{rule}: the owner may not update the black swan response method of {asset.symbol} "
            f"(disable_bsrm_update permission); it stays {old_method}"
        )
    if data.has_settlement():
        raise ValidationError(
            f"{rule}: cannot change the black swan response method of {asset.symbol} after its "
            "global settlement"
        )
    if old_method == BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND and data.individual_settlement_debt != 0:
        raise ValidationError(
            f"{rule}: cannot change the black swan response method of {asset.symbol} while its "
            f"individual settlement fund holds debt {state.fmt(data.individual_settlement_debt, asset.id)}"
        )
    if old_method == BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER and settled_debt_order(state, asset.id):
        raise ValidationError(
            f"{rule}: cannot change the black swan response method of {asset.symbol} while an "
            "individual settlement order exists"
        )
    return BSRM_NO_SETTLEMENT in (old_method, new_method)


def settled_debt_order(state: ChainState, asset_id: ObjectId) -> LimitOrder | None:
    """The individual settlement order of ``asset_id`` (owned by the null account), if any."""
    for order in state.db.group(LimitOrder, "by_account").equal(ids.NULL_ACCOUNT):
        if order.is_settled_debt and order.receive_asset == asset_id:
            return order
    return None


def check_backing_change(state: ChainState, asset: AssetObject, data: AssetBitassetData,
                         new: BitassetOptions) -> None:
    rule = "asset_update_bitasset"
    if data.has_settlement():
        raise ValidationError(
            f"{rule}: cannot change the backing asset of {asset.symbol} after its global settlement"
        )
    dyn = state.asset_dynamic(asset)
    if dyn.current_supply != 0:
        raise ValidationError(
            f"{rule}: cannot change the backing asset of {asset.symbol} while its supply is "
            f"{state.fmt(dyn.current_supply, asset.id)}"
        )
    if dyn.accumulated_collateral_fees != 0:
        raise ValidationError(
            f"{rule}: claim the collateral fees of {asset.symbol} "
            f"({state.fmt(dyn.accumulated_collateral_fees, data.options.short_backing_asset)}) "
            "before changing its backing asset"
        )
    backing = backing_asset(state, new.short_backing_asset, rule)
    if backing.id == asset.id:
        raise ValidationError(f"{rule}: {asset.symbol} cannot be backed by itself")
    if data.is_prediction_market and backing.precision != asset.precision:
        raise ValidationError(
            f"{rule}: a prediction market's backing asset must have its precision "
            f"{asset.precision}, {backing.symbol} has {backing.precision}"
        )
    if backing.id != ids.CORE_ASSET:
        check_children(state, asset, backing)
    check_backing_chain(state, asset.issuer, backing, rule)


def check_children(state: ChainState, asset: AssetObject, new_backing: AssetObject) -> None:
    """Assets backed by ``asset`` stay valid when it becomes backed by ``new_backing``."""
    rule = "asset_update_bitasset"
    for child_data in state.db.group(AssetBitassetData, "by_backing").equal(asset.id):
        child = state.asset(child_data.asset_id)
        if child.id == new_backing.id:
            raise ValidationError(
                f"{rule}: {child.symbol} is backed by {asset.symbol}, which cannot be backed by "
                f"{child.symbol} in turn"
            )
        if child.issuer == ids.COMMITTEE_ACCOUNT:
            raise ValidationError(
                f"{rule}: the committee's {child.symbol} is backed by {asset.symbol}, whose "
                f"backing asset cannot then become {new_backing.symbol}"
            )
        if is_market_issued(new_backing):
            raise ValidationError(
                f"{rule}: {child.symbol} is backed by {asset.symbol}, which then cannot be backed "
                f"by the market-pegged {new_backing.symbol}"
            )


def update_bitasset_options(state: ChainState, plan: UpdateBitassetPlan,
                            new: BitassetOptions) -> bool:
    """Apply the new options (core's ``update_bitasset_object_options``); whether margin calls
    are due."""
    data, old = plan.data, plan.data.options
    backing_changed = new.short_backing_asset != old.short_backing_asset
    update_feeds = (new.minimum_feeds != old.minimum_feeds
                    or new.feed_lifetime_sec != old.feed_lifetime_sec
                    or backing_changed
                    or any(getattr(new.extensions, field) != getattr(old.extensions, field)
                           for field, _, _ in OWNER_RATIOS))
    fee_ratio_changed = (new.extensions.margin_call_fee_ratio
                         != old.extensions.margin_call_fee_ratio)
    fed_by_chain = bool(plan.asset.options.flags & (WITNESS_FED_ASSET | COMMITTEE_FED_ASSET))
    with state.db.modify(data) as d:
        d.options = new
        if backing_changed:
            d.feeds = () if fed_by_chain else tuple(
                (publisher, (published, null_settlement(feed)))
                for publisher, (published, feed) in d.feeds
            )
    if not (update_feeds or plan.bsrm_changes_feed):
        return fee_ratio_changed
    old_current, old_median = data.current_feed, data.median_feed
    update_bitasset_current_feed(state, data, skip_median_update=not update_feeds)
    feed_changed = (not margin_call_params_equal(old_current, data.current_feed)
                    or not margin_call_params_equal(old_median, data.median_feed))
    return feed_changed or fee_ratio_changed


def null_settlement(feed: PriceFeedWithIcr) -> PriceFeedWithIcr:
    return msgspec.structs.replace(feed, settlement_price=NULL_PRICE)


# --- asset_update_feed_producers ----------------------------------------------------------------


@register
class AssetUpdateFeedProducersEvaluator(Evaluator[AssetUpdateFeedProducers]):
    operation = AssetUpdateFeedProducers

    def validate(self, op: AssetUpdateFeedProducers) -> None:
        check_fee(op.fee)

    def evaluate(self, state: ChainState, op: AssetUpdateFeedProducers) -> Any:
        rule = "asset_update_feed_producers"
        limit = state.params.maximum_asset_feed_publishers
        if len(op.new_feed_producers) > limit:
            raise ValidationError(
                f"{rule}: {len(op.new_feed_producers)} feed producers, more than "
                f"maximum_asset_feed_publishers {limit}"
            )
        asset = market_pegged(state, op.asset_to_update, rule)
        if asset.options.flags & COMMITTEE_FED_ASSET:
            raise ValidationError(
                f"{rule}: {asset.symbol} is committee-fed; it has no feed producers to set"
            )
        if asset.options.flags & WITNESS_FED_ASSET:
            raise ValidationError(
                f"{rule}: {asset.symbol} is witness-fed; it has no feed producers to set"
            )
        require_issuer(state, asset, op.issuer, rule)
        for producer in op.new_feed_producers:
            state.account(producer)
        return asset

    def apply(self, state: ChainState, op: AssetUpdateFeedProducers, plan: Any) -> OperationResult:
        asset: AssetObject = plan
        data = bitasset_of(state, asset)
        kept = dict(data.feeds)
        empty = (0, PriceFeedWithIcr())
        feeds = tuple((producer, kept.get(producer, empty))
                      for producer in sorted(set(op.new_feed_producers)))
        with state.db.modify(data) as d:
            d.feeds = feeds
        update_bitasset_current_feed(state, data)
        run_margin_calls(state, state.asset(asset.id))
        return VOID_RESULT


# --- asset_publish_feed -------------------------------------------------------------------------


def check_ratio(value: int, name: str) -> None:
    if not MIN_COLLATERAL_RATIO <= value <= MAX_COLLATERAL_RATIO:
        raise ValidationError(
            f"asset_publish_feed: {name} {value} must be in [{MIN_COLLATERAL_RATIO}, "
            f"{MAX_COLLATERAL_RATIO}]"
        )


def check_feed(feed: PriceFeed, asset_id: ObjectId, icr: int | None) -> None:
    """core's ``asset_publish_feed_operation::validate``."""
    if is_null(feed.settlement_price):
        raise ValidationError("asset_publish_feed: the settlement price is null")
    if is_null(feed.core_exchange_rate):
        raise ValidationError("asset_publish_feed: the core exchange rate is null")
    for name in ("settlement_price", "core_exchange_rate"):
        check_price_shape(getattr(feed, name), f"asset_publish_feed: {name}",
                          check_upper_bound=False)
    check_ratio(feed.maximum_short_squeeze_ratio, "maximum_short_squeeze_ratio")
    check_ratio(feed.maintenance_collateral_ratio, "maintenance_collateral_ratio")
    if icr is not None:
        check_ratio(icr, "initial_collateral_ratio")
    for name, price in (("settlement_price", feed.settlement_price),
                        ("core_exchange_rate", feed.core_exchange_rate)):
        if price.base.asset_id != asset_id:
            raise ValidationError(
                f"asset_publish_feed: the {name} must price {asset_id} (as its base), got "
                f"{price.base.asset_id}/{price.quote.asset_id}"
            )


def active_witness_accounts(state: ChainState) -> set[ObjectId]:
    return {state.db.get(w, Witness).witness_account for w in state.gpo.active_witnesses}


def active_committee_accounts(state: ChainState) -> set[ObjectId]:
    return {state.db.get(c, CommitteeMember).committee_member_account
            for c in state.gpo.active_committee_members}


def check_publisher(state: ChainState, asset: AssetObject, data: AssetBitassetData,
                    publisher: ObjectId) -> None:
    rule = "asset_publish_feed"
    who = state.describe_account(publisher)
    if asset.options.flags & WITNESS_FED_ASSET:
        if publisher not in active_witness_accounts(state):
            raise PermissionError_(
                f"{rule}: only active witnesses may publish feeds for {asset.symbol}; {who} is not "
                "one"
            )
    elif asset.options.flags & COMMITTEE_FED_ASSET:
        if publisher not in active_committee_accounts(state):
            raise PermissionError_(
                f"{rule}: only active committee members may publish feeds for {asset.symbol}; "
                f"{who} is not one"
            )
    elif publisher not in dict(data.feeds):
        raise PermissionError_(
            f"{rule}: {who} is not a feed producer of {asset.symbol}"
        )


@register
class AssetPublishFeedEvaluator(Evaluator[AssetPublishFeed]):
    operation = AssetPublishFeed

    def validate(self, op: AssetPublishFeed) -> None:
        check_fee(op.fee)
        check_feed(op.feed, op.asset_id, op.extensions.initial_collateral_ratio)

    def evaluate(self, state: ChainState, op: AssetPublishFeed) -> Any:
        rule = "asset_publish_feed"
        asset = market_pegged(state, op.asset_id, rule)
        data = bitasset_of(state, asset)
        if data.is_prediction_market and data.has_settlement():
            raise ValidationError(
                f"{rule}: {asset.symbol} is a globally settled prediction market; no more feeds"
            )
        backing = data.options.short_backing_asset
        quote = op.feed.settlement_price.quote.asset_id
        if quote != backing:
            raise ValidationError(
                f"{rule}: the settlement price of {asset.symbol} must be quoted in its backing "
                f"asset {backing}, got {quote}"
            )
        if op.feed.core_exchange_rate.quote.asset_id != ids.CORE_ASSET:
            raise ValidationError(
                f"{rule}: the core exchange rate of {asset.symbol} must be quoted in the core "
                f"asset {ids.CORE_ASSET}, got {op.feed.core_exchange_rate.quote.asset_id}"
            )
        check_publisher(state, asset, data, op.publisher)
        return asset

    def apply(self, state: ChainState, op: AssetPublishFeed, plan: Any) -> OperationResult:
        asset: AssetObject = plan
        data = bitasset_of(state, asset)
        entry = (state.head_time, PriceFeedWithIcr.of(op.feed, op.extensions.initial_collateral_ratio))
        feeds = dict(data.feeds)
        feeds[op.publisher] = entry
        old_median = data.median_feed
        with state.db.modify(data) as d:
            d.feeds = tuple(sorted(feeds.items()))
        update_bitasset_current_feed(state, data)
        after_feed_change(state, asset, old_median)
        return VOID_RESULT
