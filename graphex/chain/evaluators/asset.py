"""Assets: asset_create (10), asset_update (11), asset_issue (14), asset_reserve (15),
asset_update_issuer (48). The shared rules and permission bits are in :mod:`.asset_checks`; the
fee pool and accumulated fees (16, 43, 47) in :mod:`.asset_fees`.

Rules are BitShares' current ones (core: protocol/asset_ops.cpp, chain/asset_evaluator.cpp), for
user-issued assets (UIA) and market-pegged assets (MPA, smartcoins; their own operations are in
:mod:`.bitasset`).

- Options: ``0 < max_supply <= 10^15``; market fee percents <= 10000; only UIA permission bits;
  flags only of valid UIA flag bits (a flag set without the matching permission is simply locked,
  as in BitShares); whitelist/blacklist authorities require the ``white_list`` flag.
- Core exchange rate: one side is the core asset, the other the asset itself. At creation the asset
  has no id yet, so the other side names ``1.3.1`` and is rewritten to the new id (as BitShares).
- Half of the creation fee (rounded down) seeds the new asset's fee pool (core's
  ``asset_create_evaluator::pay_fee``).
- Permissions: a bit in ``ENABLE_BITS`` lets the issuer change that flag; a bit in
  ``DISABLE_BITS`` (``lock_max_supply``, ``disable_new_supply``) takes a power away. Once supply
  exists, a revoked permission cannot be reinstated.
- Transfers and issues to accounts are subject to :func:`is_authorized_asset` (white/black lists).
- A market-pegged asset is created with its bitasset options (checked as core's
  ``bitasset_options::validate``) and gets its bitasset data (2.4.x). Its backing asset exists and
  is the core asset, a UIA, or an MPA backed by one of those; the committee's MPAs are backed by
  the core asset (directly or through their backing MPA); feed lifetime and force-settlement delay
  exceed the block interval. A prediction market keeps the ``global_settle`` permission, has no
  black-swan response and its backing asset's precision. Its supply comes only from borrowing:
  no issue, no reserve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ...protocol import ids
from ...protocol.bitasset import (
    BitassetOptions,
)
from ...protocol.ids import ObjectId
from ...protocol.operations import (
    AssetCreate,
    AssetIssue,
    AssetReserve,
    AssetUpdate,
    AssetUpdateIssuer,
)
from ...protocol.operations.base import VOID_RESULT, OperationResult, object_result
from ...protocol.types import Asset, AssetOptions, Price
from ..errors import (
    PermissionError_,
    ValidationError,
)
from ..fees import convert_to_core
from ..objects import AccountStatistics, AssetDynamicData, AssetObject
from ..smartcoin.objects import AssetBitassetData, CollateralBid, ForceSettlement
from ..smartcoin.prices import price_eq
from ..state import ChainState
from .asset_checks import (
    DISABLE_BSRM_UPDATE,
    DISABLE_COLLATERAL_BIDDING,
    DISABLE_FORCE_SETTLE,
    DISABLE_NEW_SUPPLY,
    GLOBAL_SETTLE,
    LOCK_MAX_SUPPLY,
    MAX_PRECISION,
    NEW_ASSET_PLACEHOLDER,
    PERMISSION_MASK,
    UIA_PERMISSION_MASK,
    UIA_VALID_FLAGS_MASK,
    VALID_FLAGS_MASK,
    backing_asset,
    bitasset_of,
    check_backing_chain,
    check_bitasset_options,
    check_block_interval_bounds,
    check_core_exchange_rate,
    check_list_authorities,
    check_mpa_bits,
    check_options,
    check_prediction_market,
    check_uia_bits,
    enabled_permissions,
    is_market_issued,
    require_authorized,
    require_issuer,
)
from .base import Evaluator, register
from .checks import check_fee, check_positive, is_valid_symbol

# --- asset_create -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatePlan:
    core_fee_paid: int


@register
class AssetCreateEvaluator(Evaluator[AssetCreate]):
    operation = AssetCreate

    def validate(self, op: AssetCreate) -> None:
        check_fee(op.fee)
        if not is_valid_symbol(op.symbol) or op.symbol.startswith("BIT"):
            raise ValidationError(
                f"asset_create: invalid symbol {op.symbol!r} (3-16 characters A-Z and 0-9 with at "
                "most one dot, starting with a letter, not starting with 'BIT')"
            )
        if op.precision > MAX_PRECISION:
            raise ValidationError(
                f"asset_create: precision {op.precision} exceeds the maximum {MAX_PRECISION}"
            )
        check_options(op.common_options, "asset_create")
        if op.bitasset_opts is None:
            if op.is_prediction_market:
                raise ValidationError(
                    "asset_create: a prediction market must be market-pegged (bitasset_opts)"
                )
            check_uia_bits(op.common_options, "asset_create")
        else:
            check_mpa_bits(op.common_options, "asset_create")
            check_bitasset_options(op.bitasset_opts, "asset_create")
            if op.is_prediction_market:
                check_prediction_market(op.common_options, op.bitasset_opts, "asset_create")
        check_core_exchange_rate(op.common_options.core_exchange_rate, NEW_ASSET_PLACEHOLDER,
                                 "asset_create: core_exchange_rate")

    def evaluate(self, state: ChainState, op: AssetCreate) -> Any:
        state.account(op.issuer)
        check_list_authorities(state, op.common_options, "asset_create")
        if state.asset_by_symbol(op.symbol) is not None:
            raise ValidationError(f"asset_create: symbol {op.symbol} is already taken")
        if "." in op.symbol:
            self._check_parent(state, op)
        if op.bitasset_opts is not None:
            self._check_backing(state, op, op.bitasset_opts)
        return CreatePlan(core_fee_paid(state, op.fee))

    @staticmethod
    def _check_backing(state: ChainState, op: AssetCreate, opts: BitassetOptions) -> None:
        backing = backing_asset(state, opts.short_backing_asset, "asset_create")
        check_backing_chain(state, op.issuer, backing, "asset_create")
        check_block_interval_bounds(state, opts, "asset_create")
        if op.is_prediction_market and op.precision != backing.precision:
            raise ValidationError(
                f"asset_create: a prediction market's precision {op.precision} must equal its "
                f"backing asset {backing.symbol}'s precision {backing.precision}"
            )

    @staticmethod
    def _check_parent(state: ChainState, op: AssetCreate) -> None:
        parent_symbol = op.symbol.rsplit(".", 1)[0]
        parent = state.asset_by_symbol(parent_symbol)
        if parent is None:
            raise ValidationError(
                f"asset_create: {op.symbol} may only be created by the issuer of {parent_symbol}, "
                f"which does not exist"
            )
        if parent.issuer != op.issuer:
            raise PermissionError_(
                f"asset_create: {op.symbol} may only be created by the issuer of {parent_symbol} "
                f"({state.describe_account(parent.issuer)}), not "
                f"{state.describe_account(op.issuer)}"
            )

    def apply(self, state: ChainState, op: AssetCreate, plan: Any) -> OperationResult:
        db = state.db
        to_pool = plan.core_fee_paid // 2
        move_fee_to_pool(state, op.issuer, to_pool)
        dyn = db.create(AssetDynamicData, fee_pool=to_pool)
        asset_id = ObjectId(1, 3, db.next_instance(AssetObject))
        bitasset_id = None
        if op.bitasset_opts is not None:
            bitasset_id = db.create(AssetBitassetData, asset_id=asset_id,
                                    options=op.bitasset_opts,
                                    is_prediction_market=op.is_prediction_market).id
        asset = db.create(
            AssetObject,
            symbol=op.symbol,
            precision=op.precision,
            issuer=op.issuer,
            options=with_asset_id(op.common_options, asset_id),
            dynamic_asset_data_id=dyn.id,
            bitasset_data_id=bitasset_id,
            creation_block_num=state.head_num + 1,
            creation_time=state.head_time,
        )
        return object_result(asset.id)


def core_fee_paid(state: ChainState, fee: Asset) -> int:
    """The fee's worth in core units, as :mod:`graphex.chain.fees` converts it."""
    if fee.asset_id == ids.CORE_ASSET:
        return fee.amount
    return convert_to_core(fee.amount, state.asset(fee.asset_id).options.core_exchange_rate)


def move_fee_to_pool(state: ChainState, payer: ObjectId, amount: int) -> None:
    """Take ``amount`` of the fee just paid back out of the payer's pending fees (for the pool)."""
    if amount == 0:
        return
    stats = state.db.get(state.account(payer).statistics, AccountStatistics)
    with state.db.modify(stats) as s:
        s.pending_fees -= amount
        s.lifetime_fees_paid -= amount


def with_asset_id(options: AssetOptions, asset_id: ObjectId) -> AssetOptions:
    """The options with the core exchange rate's non-core side naming ``asset_id``."""
    cer = options.core_exchange_rate
    if cer.base.asset_id == ids.CORE_ASSET:
        cer = Price(cer.base, Asset(cer.quote.amount, asset_id))
    else:
        cer = Price(Asset(cer.base.amount, asset_id), cer.quote)
    return replace_options(options, core_exchange_rate=cer)


def replace_options(options: AssetOptions, **changes: Any) -> AssetOptions:
    return msgspec.structs.replace(options, **changes)


# --- asset_update / asset_update_issuer ---------------------------------------------------------


@register
class AssetUpdateEvaluator(Evaluator[AssetUpdate]):
    operation = AssetUpdate

    def validate(self, op: AssetUpdate) -> None:
        check_fee(op.fee)
        if op.new_issuer is not None:
            raise ValidationError(
                "asset_update: new_issuer is not allowed; use asset_update_issuer (which needs the "
                "issuer's owner authority)"
            )
        check_options(op.new_options, "asset_update")
        check_core_exchange_rate(op.new_options.core_exchange_rate, op.asset_to_update,
                                 "asset_update: core_exchange_rate")
        ext = op.extensions
        if ext.new_precision is not None and ext.new_precision > MAX_PRECISION:
            raise ValidationError(
                f"asset_update: new_precision {ext.new_precision} exceeds the maximum "
                f"{MAX_PRECISION}"
            )
        if ext.skip_core_exchange_rate is not None and not ext.skip_core_exchange_rate:
            raise ValidationError("asset_update: skip_core_exchange_rate, if given, must be true")

    def evaluate(self, state: ChainState, op: AssetUpdate) -> Any:
        asset = state.asset(op.asset_to_update)
        require_issuer(state, asset, op.issuer, "asset_update")
        new = op.new_options
        data = bitasset_of(state, asset) if is_market_issued(asset) else None
        enabled = enabled_permissions(asset.options)
        # permission bits whose reinstatement is refused once there is supply
        reinstate_mask = PERMISSION_MASK if data is not None else UIA_PERMISSION_MASK
        if data is None:
            check_uia_bits(new, "asset_update")
        else:
            check_mpa_bits(new, "asset_update")
            if data.is_prediction_market:
                check_prediction_market_update(asset, new)
                enabled |= GLOBAL_SETTLE
                reinstate_mask &= ~DISABLE_BSRM_UPDATE
        supply = state.asset_dynamic(asset).current_supply
        if supply != 0:
            check_update_with_supply(state, asset, op, enabled, supply, reinstate_mask)
        valid_flags = VALID_FLAGS_MASK if data is not None else UIA_VALID_FLAGS_MASK
        changed = (new.flags ^ asset.options.flags) & valid_flags & ~enabled
        if changed:
            raise PermissionError_(
                f"asset_update: changing flag bits {changed:#x} of {asset.symbol} is forbidden by "
                f"its issuer permissions {asset.options.issuer_permissions:#x}"
            )
        if asset.options.flags & LOCK_MAX_SUPPLY and new.max_supply != asset.options.max_supply:
            raise PermissionError_(
                f"asset_update: the max supply of {asset.symbol} is locked at "
                f"{state.fmt(asset.options.max_supply, asset.id)}"
            )
        precision = op.extensions.new_precision
        if precision is not None:
            check_precision_change(state, asset, data, precision)
        check_list_authorities(state, new, "asset_update")
        return asset

    def apply(self, state: ChainState, op: AssetUpdate, plan: Any) -> OperationResult:
        asset: AssetObject = plan
        options = op.new_options
        if op.extensions.skip_core_exchange_rate:
            options = replace_options(options, core_exchange_rate=asset.options.core_exchange_rate)
        elif is_market_issued(asset) and not price_eq(asset.options.core_exchange_rate,
                                                      options.core_exchange_rate):
            data = bitasset_of(state, asset)
            if not data.asset_cer_updated:
                with state.db.modify(data) as d:
                    d.asset_cer_updated = True
        turning_on = options.flags & ~asset.options.flags
        if turning_on & DISABLE_FORCE_SETTLE:
            cancel_force_settlements(state, asset.id)
        if turning_on & DISABLE_COLLATERAL_BIDDING:
            cancel_collateral_bids(state, asset.id)
        with state.db.modify(asset) as a:
            if op.extensions.new_precision is not None:
                a.precision = op.extensions.new_precision
            a.options = options
        return VOID_RESULT


def check_update_with_supply(state: ChainState, asset: AssetObject, op: AssetUpdate,
                             enabled: int, supply: int, reinstate_mask: int) -> None:
    """Once supply exists: no reinstated permissions, no precision change, max supply >= supply."""
    new = op.new_options
    reinstated = enabled_permissions(new) & ~enabled & reinstate_mask
    if reinstated:
        raise PermissionError_(
            f"asset_update: cannot reinstate revoked issuer permission bits {reinstated:#x} of "
            f"{asset.symbol} while its supply is non-zero ({state.fmt(supply, asset.id)})"
        )
    if op.extensions.new_precision is not None:
        raise ValidationError(
            f"asset_update: cannot change the precision of {asset.symbol} while its supply is "
            f"non-zero ({state.fmt(supply, asset.id)})"
        )
    if new.max_supply < supply:
        raise ValidationError(
            f"asset_update: new max_supply {state.fmt(new.max_supply, asset.id)} is below the "
            f"current supply {state.fmt(supply, asset.id)}"
        )


def check_prediction_market_update(asset: AssetObject, new: AssetOptions) -> None:
    if new.issuer_permissions & DISABLE_BSRM_UPDATE:
        raise ValidationError(
            f"asset_update: {asset.symbol} is a prediction market and cannot have the "
            "disable_bsrm_update permission"
        )
    if not new.issuer_permissions & GLOBAL_SETTLE:
        raise ValidationError(
            f"asset_update: {asset.symbol} is a prediction market and must keep the "
            "global_settle permission"
        )


def check_precision_change(state: ChainState, asset: AssetObject,
                           data: AssetBitassetData | None, precision: int) -> None:
    """A new precision changes it, not of a prediction market, not of a backing asset."""
    if precision == asset.precision:
        raise ValidationError(
            f"asset_update: new_precision {precision} does not change the precision"
        )
    if data is not None and data.is_prediction_market:
        raise ValidationError(
            f"asset_update: cannot change the precision of {asset.symbol}, a prediction market"
        )
    backed = state.db.group(AssetBitassetData, "by_backing").get(asset.id)
    if backed is not None:
        raise ValidationError(
            f"asset_update: cannot change the precision of {asset.symbol}: "
            f"{state.asset(backed.asset_id).symbol} is backed by it"
        )


def cancel_force_settlements(state: ChainState, asset_id: ObjectId) -> None:
    """Cancel the asset's pending force settlements, in due-date order (core's asset_update)."""
    pending = list(state.db.ordered(ForceSettlement, "by_expiration").prefix((asset_id,)))
    if pending:
        from ..smartcoin.force_settle import cancel_settle_order  # lazy: it imports margin calls

        for settle in pending:
            cancel_settle_order(state, settle)


def cancel_collateral_bids(state: ChainState, asset_id: ObjectId) -> None:
    """Cancel the asset's collateral bids, best first (core's asset_update)."""
    if state.db.group(CollateralBid, "by_asset").count(asset_id):
        from ..smartcoin.revival import bids_best_first, cancel_bid  # lazy: it imports positions

        for bid in bids_best_first(state, asset_id):
            cancel_bid(state, bid)


@register
class AssetUpdateIssuerEvaluator(Evaluator[AssetUpdateIssuer]):
    operation = AssetUpdateIssuer

    def validate(self, op: AssetUpdateIssuer) -> None:
        check_fee(op.fee)
        if op.issuer == op.new_issuer:
            raise ValidationError(f"asset_update_issuer: {op.issuer} is already the issuer")

    def evaluate(self, state: ChainState, op: AssetUpdateIssuer) -> Any:
        asset = state.asset(op.asset_to_update)
        state.account(op.new_issuer)
        if is_market_issued(asset) and op.new_issuer == ids.COMMITTEE_ACCOUNT:
            backing = state.asset(bitasset_of(state, asset).options.short_backing_asset)
            check_backing_chain(state, op.new_issuer, backing, "asset_update_issuer")
        require_issuer(state, asset, op.issuer, "asset_update_issuer")
        return asset

    def apply(self, state: ChainState, op: AssetUpdateIssuer, plan: Any) -> OperationResult:
        with state.db.modify(plan) as a:
            a.issuer = op.new_issuer
        return VOID_RESULT


# --- supply: asset_issue / asset_reserve --------------------------------------------------------


@register
class AssetIssueEvaluator(Evaluator[AssetIssue]):
    operation = AssetIssue

    def validate(self, op: AssetIssue) -> None:
        check_fee(op.fee)
        check_positive(op.asset_to_issue, "asset_issue: amount")
        if op.asset_to_issue.asset_id == ids.CORE_ASSET:
            raise ValidationError("asset_issue: the core asset cannot be issued")

    def evaluate(self, state: ChainState, op: AssetIssue) -> Any:
        asset = state.asset(op.asset_to_issue.asset_id)
        require_issuer(state, asset, op.issuer, "asset_issue")
        if is_market_issued(asset):
            raise ValidationError(
                f"asset_issue: cannot manually issue {asset.symbol}, a market-issued asset (its "
                "supply comes from borrowing against collateral)"
            )
        if asset.options.flags & DISABLE_NEW_SUPPLY:
            raise PermissionError_(f"asset_issue: new supply of {asset.symbol} is disabled")
        require_authorized(state, op.issue_to_account, asset, "asset_issue")
        dyn = state.asset_dynamic(asset)
        after = dyn.current_supply + op.asset_to_issue.amount
        if after > asset.options.max_supply:
            raise ValidationError(
                f"asset_issue: issuing {state.fmt_asset(op.asset_to_issue)} would bring the supply "
                f"to {state.fmt(after, asset.id)}, above max_supply "
                f"{state.fmt(asset.options.max_supply, asset.id)}"
            )
        return dyn

    def apply(self, state: ChainState, op: AssetIssue, plan: Any) -> OperationResult:
        state.adjust_balance(op.issue_to_account, op.asset_to_issue.asset_id,
                             op.asset_to_issue.amount)
        with state.db.modify(plan) as d:
            d.current_supply += op.asset_to_issue.amount
        return VOID_RESULT


@register
class AssetReserveEvaluator(Evaluator[AssetReserve]):
    operation = AssetReserve

    def validate(self, op: AssetReserve) -> None:
        check_fee(op.fee)
        check_positive(op.amount_to_reserve, "asset_reserve: amount")

    def evaluate(self, state: ChainState, op: AssetReserve) -> Any:
        asset = state.asset(op.amount_to_reserve.asset_id)
        if is_market_issued(asset):
            raise ValidationError(
                f"asset_reserve: cannot reserve {asset.symbol} because it is a market-issued asset"
            )
        require_authorized(state, op.payer, asset, "asset_reserve")
        dyn = state.asset_dynamic(asset)
        if op.amount_to_reserve.amount > dyn.current_supply:
            raise ValidationError(
                f"asset_reserve: cannot reserve {state.fmt_asset(op.amount_to_reserve)}, more than "
                f"the current supply {state.fmt(dyn.current_supply, asset.id)}"
            )
        state.require_balance(op.payer, op.amount_to_reserve)
        return dyn

    def apply(self, state: ChainState, op: AssetReserve, plan: Any) -> OperationResult:
        state.adjust_balance(op.payer, op.amount_to_reserve.asset_id, -op.amount_to_reserve.amount)
        with state.db.modify(plan) as d:
            d.current_supply -= op.amount_to_reserve.amount
        return VOID_RESULT
