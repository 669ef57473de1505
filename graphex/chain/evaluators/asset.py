"""User-issued assets: asset_create (10), asset_update (11), asset_issue (14), asset_reserve (15),
asset_fund_fee_pool (16), asset_claim_fees (43), asset_claim_pool (47), asset_update_issuer (48).

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
    BSRM_COUNT,
    BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER,
    MAX_COLLATERAL_RATIO,
    MIN_COLLATERAL_RATIO,
    BitassetOptions,
)
from ...protocol.ids import ObjectId
from ...protocol.operations import (
    AssetClaimFees,
    AssetClaimPool,
    AssetCreate,
    AssetFundFeePool,
    AssetIssue,
    AssetReserve,
    AssetUpdate,
    AssetUpdateIssuer,
)
from ...protocol.operations.base import VOID_RESULT, OperationResult, object_result
from ...protocol.types import MAX_SHARE_SUPPLY, Asset, AssetOptions, Price
from ..asset_rules import is_authorized_asset
from ..errors import (
    InsufficientBalance,
    NotSupported,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from ..fees import convert_to_core
from ..objects import AccountStatistics, AssetDynamicData, AssetObject
from ..smartcoin.feeds import bitasset_data
from ..smartcoin.objects import AssetBitassetData, CollateralBid, ForceSettlement
from ..smartcoin.prices import price_eq
from ..state import ChainState
from .base import Evaluator, register
from .checks import check_fee, check_positive, is_valid_symbol

FULL_PERCENT = 10_000
MAX_PRECISION = 12

# asset_issuer_permission_flags (core: protocol/types.hpp)
CHARGE_MARKET_FEE, WHITE_LIST, OVERRIDE_AUTHORITY, TRANSFER_RESTRICTED = 0x01, 0x02, 0x04, 0x08
DISABLE_FORCE_SETTLE, GLOBAL_SETTLE, DISABLE_CONFIDENTIAL = 0x10, 0x20, 0x40
WITNESS_FED_ASSET, COMMITTEE_FED_ASSET = 0x80, 0x100
LOCK_MAX_SUPPLY, DISABLE_NEW_SUPPLY = 0x200, 0x400
DISABLE_MCR_UPDATE, DISABLE_ICR_UPDATE, DISABLE_MSSR_UPDATE = 0x800, 0x1000, 0x2000
DISABLE_BSRM_UPDATE, DISABLE_COLLATERAL_BIDDING = 0x4000, 0x8000

ENABLE_BITS = (CHARGE_MARKET_FEE | WHITE_LIST | OVERRIDE_AUTHORITY | TRANSFER_RESTRICTED
               | DISABLE_FORCE_SETTLE | GLOBAL_SETTLE | DISABLE_CONFIDENTIAL | WITNESS_FED_ASSET
               | COMMITTEE_FED_ASSET)
DISABLE_BITS = (LOCK_MAX_SUPPLY | DISABLE_NEW_SUPPLY | DISABLE_MCR_UPDATE | DISABLE_ICR_UPDATE
                | DISABLE_MSSR_UPDATE | DISABLE_BSRM_UPDATE | DISABLE_COLLATERAL_BIDDING)
PERMISSION_MASK = ENABLE_BITS | DISABLE_BITS
UIA_PERMISSION_MASK = (CHARGE_MARKET_FEE | WHITE_LIST | OVERRIDE_AUTHORITY | TRANSFER_RESTRICTED
                       | DISABLE_CONFIDENTIAL | LOCK_MAX_SUPPLY | DISABLE_NEW_SUPPLY)
NON_UIA_PERMISSION_MASK = PERMISSION_MASK ^ UIA_PERMISSION_MASK
PERMISSION_ONLY_MASK = (GLOBAL_SETTLE | DISABLE_MCR_UPDATE | DISABLE_ICR_UPDATE
                        | DISABLE_MSSR_UPDATE | DISABLE_BSRM_UPDATE)
VALID_FLAGS_MASK = PERMISSION_MASK & ~PERMISSION_ONLY_MASK
UIA_VALID_FLAGS_MASK = UIA_PERMISSION_MASK

NEW_ASSET_PLACEHOLDER = ObjectId(1, 3, 1)
"""The id an asset_create's core exchange rate uses for the asset being created."""


# --- shared checks ------------------------------------------------------------------------------


def is_market_issued(asset: AssetObject) -> bool:
    return asset.bitasset_data_id is not None


def enabled_permissions(options: AssetOptions) -> int:
    """core's ``get_enabled_issuer_permissions_mask``: the flags the issuer may still change."""
    perms = options.issuer_permissions
    return (perms & ENABLE_BITS) | (~perms & DISABLE_BITS)


def check_price_shape(price: Price, what: str, *, check_upper_bound: bool = True) -> None:
    """core's ``price::validate``: positive amounts (at most the maximum supply when
    ``check_upper_bound``), two different assets."""
    if price.base.amount <= 0 or price.quote.amount <= 0:
        raise ValidationError(
            f"{what} must have positive amounts, got {price.base.amount}/{price.quote.amount}"
        )
    if check_upper_bound and (price.base.amount > MAX_SHARE_SUPPLY
                              or price.quote.amount > MAX_SHARE_SUPPLY):
        raise ValidationError(f"{what} amounts must not exceed {MAX_SHARE_SUPPLY}")
    if price.base.asset_id == price.quote.asset_id:
        raise ValidationError(f"{what} must be a ratio of two different assets")


def check_core_exchange_rate(price: Price, asset_id: ObjectId, what: str) -> None:
    """One side is the core asset 1.3.0, the other ``asset_id``."""
    check_price_shape(price, what)
    sides = {price.base.asset_id, price.quote.asset_id}
    if sides != {ids.CORE_ASSET, asset_id}:
        raise ValidationError(
            f"{what} must price {asset_id} against the core asset {ids.CORE_ASSET}, got "
            f"{price.base.asset_id}/{price.quote.asset_id}"
        )


def check_options(options: AssetOptions, what: str) -> None:
    """core's ``asset_options::validate`` (the core-exchange-rate sides are checked separately)."""
    if not 0 < options.max_supply <= MAX_SHARE_SUPPLY:
        raise ValidationError(
            f"{what}: max_supply {options.max_supply} must be in 1..{MAX_SHARE_SUPPLY}"
        )
    if options.market_fee_percent > FULL_PERCENT:
        raise ValidationError(
            f"{what}: market_fee_percent {options.market_fee_percent} exceeds 10000 (100%)"
        )
    taker = options.extensions.taker_fee_percent
    if taker is not None and taker > FULL_PERCENT:
        raise ValidationError(f"{what}: taker_fee_percent {taker} exceeds 10000 (100%)")
    reward = options.extensions.reward_percent
    if reward is not None and reward > FULL_PERCENT:
        raise ValidationError(f"{what}: reward_percent {reward} exceeds 10000 (100%)")
    if not 0 <= options.max_market_fee <= MAX_SHARE_SUPPLY:
        raise ValidationError(
            f"{what}: max_market_fee {options.max_market_fee} must be in 0..{MAX_SHARE_SUPPLY}"
        )
    if options.issuer_permissions & ~PERMISSION_MASK:
        unknown = options.issuer_permissions & ~PERMISSION_MASK
        raise ValidationError(f"{what}: unknown issuer permission bits {unknown:#x}")
    if (options.whitelist_authorities or options.blacklist_authorities) and not (
        options.flags & WHITE_LIST
    ):
        raise ValidationError(
            f"{what}: whitelist/blacklist authorities need the white_list flag"
        )
    overlap = set(options.whitelist_markets) & set(options.blacklist_markets)
    if overlap:
        raise ValidationError(
            f"{what}: markets {sorted(overlap)} are both whitelisted and blacklisted"
        )


def check_uia_bits(options: AssetOptions, what: str) -> None:
    """Only UIA permission bits, and flags only of the valid UIA flag bits (``validate_flags``)."""
    non_uia = options.issuer_permissions & NON_UIA_PERMISSION_MASK
    if non_uia:
        raise ValidationError(
            f"{what}: issuer permission bits {non_uia:#x} are for market-pegged assets only"
        )
    if options.flags & ~UIA_VALID_FLAGS_MASK:
        raise ValidationError(
            f"{what}: flag bits {options.flags & ~UIA_VALID_FLAGS_MASK:#x} are not valid for a "
            "user-issued asset"
        )


def check_mpa_bits(options: AssetOptions, what: str) -> None:
    """Flags of a market-pegged asset (core's ``asset_options::validate`` and ``validate_flags``):
    known bits only, no permission-only bit, not both witness- and committee-fed."""
    unknown = options.flags & ~PERMISSION_MASK
    if unknown:
        raise ValidationError(f"{what}: unknown flag bits {unknown:#x}")
    permission_only = options.flags & PERMISSION_ONLY_MASK
    if permission_only:
        raise ValidationError(
            f"{what}: flag bits {permission_only:#x} are issuer permissions only, not flags"
        )
    if options.flags & WITNESS_FED_ASSET and options.flags & COMMITTEE_FED_ASSET:
        raise ValidationError(
            f"{what}: an asset cannot be both witness-fed and committee-fed (flags "
            f"{options.flags:#x})"
        )


def check_bitasset_options(options: BitassetOptions, what: str) -> None:
    """core's ``bitasset_options::validate``."""
    if options.minimum_feeds == 0:
        raise ValidationError(f"{what}: minimum_feeds must be positive")
    for name in ("force_settlement_offset_percent", "maximum_force_settlement_volume"):
        value = getattr(options, name)
        if value > FULL_PERCENT:
            raise ValidationError(f"{what}: {name} {value} exceeds 10000 (100%)")
    ext = options.extensions
    if ext.margin_call_fee_ratio is not None and ext.margin_call_fee_ratio > MAX_COLLATERAL_RATIO:
        raise ValidationError(
            f"{what}: margin_call_fee_ratio {ext.margin_call_fee_ratio} exceeds "
            f"{MAX_COLLATERAL_RATIO}"
        )
    for name in ("initial_collateral_ratio", "maintenance_collateral_ratio",
                 "maximum_short_squeeze_ratio"):
        ratio = getattr(ext, name)
        if ratio is not None and not MIN_COLLATERAL_RATIO <= ratio <= MAX_COLLATERAL_RATIO:
            raise ValidationError(
                f"{what}: {name} {ratio} must be in [{MIN_COLLATERAL_RATIO}, "
                f"{MAX_COLLATERAL_RATIO}]"
            )
    fee = ext.force_settle_fee_percent
    if fee is not None and fee > FULL_PERCENT:
        raise ValidationError(f"{what}: force_settle_fee_percent {fee} exceeds 10000 (100%)")
    method = ext.black_swan_response_method
    if method is not None and method >= BSRM_COUNT:
        raise ValidationError(
            f"{what}: black_swan_response_method {method} must be less than {BSRM_COUNT}"
        )
    if method == BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER:
        raise NotSupported(
            f"{what}: black_swan_response_method {method} (individual_settlement_to_order) is "
            f"not supported yet; use 0 (global settlement), 1 (no settlement) or 2 "
            f"(individual settlement to fund)"
        )


def check_block_interval_bounds(state: ChainState, options: BitassetOptions, what: str) -> None:
    """Feed lifetime and force-settlement delay exceed the block interval."""
    interval = state.params.block_interval
    for name in ("feed_lifetime_sec", "force_settlement_delay_sec"):
        value = getattr(options, name)
        if value <= interval:
            raise ValidationError(
                f"{what}: {name} {value} s must exceed the block interval {interval} s"
            )


def bitasset_of(state: ChainState, asset: AssetObject) -> AssetBitassetData:
    """The bitasset data of a market-pegged ``asset`` (a ValidationError for any other)."""
    return bitasset_data(state, asset.id)


def backing_asset(state: ChainState, backing_id: ObjectId, what: str) -> AssetObject:
    """The backing asset ``backing_id``; an UnknownObjectError naming the rule when missing."""
    found = state.db.find(backing_id, AssetObject) if backing_id[:2] == ids.ASSET else None
    if found is None:
        raise UnknownObjectError(f"{what}: backing asset {backing_id} does not exist")
    return found


def check_backing_chain(state: ChainState, issuer: ObjectId, backing: AssetObject,
                        what: str) -> None:
    """The backing asset is the core asset, a UIA, or an MPA backed by one of those; an MPA of
    the committee is backed by the core asset, directly or through its backing MPA."""
    root = backing
    if is_market_issued(backing):
        root = state.asset(bitasset_of(state, backing).options.short_backing_asset)
        if is_market_issued(root):
            raise ValidationError(
                f"{what}: may not create a market-pegged asset backed by {backing.symbol}, which "
                f"is backed by {root.symbol}, itself market-pegged"
            )
    if issuer == ids.COMMITTEE_ACCOUNT and root.id != ids.CORE_ASSET:
        raise ValidationError(
            f"{what}: a blockchain-controlled (committee) market-pegged asset must be backed by "
            f"the core asset, not {backing.symbol}"
        )


def check_prediction_market(options: AssetOptions, bitasset: BitassetOptions, what: str) -> None:
    """A prediction market keeps the global_settle permission and has no black-swan response."""
    if not options.issuer_permissions & GLOBAL_SETTLE:
        raise ValidationError(f"{what}: a prediction market needs the global_settle permission")
    if options.issuer_permissions & DISABLE_BSRM_UPDATE:
        raise ValidationError(
            f"{what}: a prediction market cannot have the disable_bsrm_update permission"
        )
    if bitasset.extensions.black_swan_response_method is not None:
        raise ValidationError(f"{what}: a prediction market cannot set black_swan_response_method")


def check_list_authorities(state: ChainState, options: AssetOptions, what: str) -> None:
    limit = state.params.maximum_asset_whitelist_authorities
    for name, accounts in (("whitelist", options.whitelist_authorities),
                           ("blacklist", options.blacklist_authorities)):
        if len(accounts) > limit:
            raise ValidationError(
                f"{what}: {len(accounts)} {name} authorities, more than "
                f"maximum_asset_whitelist_authorities {limit}"
            )
        for account in accounts:
            state.account(account)


def require_authorized(state: ChainState, account_id: ObjectId, asset: AssetObject,
                       rule: str) -> None:
    if not is_authorized_asset(state, state.account(account_id), asset):
        raise PermissionError_(
            f"{rule}: account {state.describe_account(account_id)} is not authorized to hold or "
            f"transact {asset.symbol} (asset whitelist/blacklist)"
        )


def require_issuer(state: ChainState, asset: AssetObject, account: ObjectId, rule: str) -> None:
    if asset.issuer != account:
        raise PermissionError_(
            f"{rule}: only the issuer {state.describe_account(asset.issuer)} of {asset.symbol} may "
            f"do this, not {state.describe_account(account)}"
        )


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


# --- fee pool and accumulated fees --------------------------------------------------------------


@register
class AssetFundFeePoolEvaluator(Evaluator[AssetFundFeePool]):
    operation = AssetFundFeePool

    def validate(self, op: AssetFundFeePool) -> None:
        check_fee(op.fee)
        if op.fee.asset_id != ids.CORE_ASSET:
            raise ValidationError("asset_fund_fee_pool: the fee must be paid in the core asset")
        check_positive(Asset(op.amount, ids.CORE_ASSET), "asset_fund_fee_pool: amount")

    def evaluate(self, state: ChainState, op: AssetFundFeePool) -> Any:
        asset = state.asset(op.asset_id)
        state.require_balance(op.from_account, Asset(op.amount, ids.CORE_ASSET))
        return state.asset_dynamic(asset)

    def apply(self, state: ChainState, op: AssetFundFeePool, plan: Any) -> OperationResult:
        state.adjust_balance(op.from_account, ids.CORE_ASSET, -op.amount)
        with state.db.modify(plan) as d:
            d.fee_pool += op.amount
        return VOID_RESULT


@register
class AssetClaimPoolEvaluator(Evaluator[AssetClaimPool]):
    operation = AssetClaimPool

    def validate(self, op: AssetClaimPool) -> None:
        check_fee(op.fee)
        if op.fee.asset_id == op.asset_id:
            raise ValidationError(
                f"asset_claim_pool: the fee cannot be paid in {op.asset_id}, whose pool is claimed"
            )
        check_positive(op.amount_to_claim, "asset_claim_pool: amount")
        if op.amount_to_claim.asset_id != ids.CORE_ASSET:
            raise ValidationError("asset_claim_pool: the amount must be in the core asset")

    def evaluate(self, state: ChainState, op: AssetClaimPool) -> Any:
        asset = state.asset(op.asset_id)
        require_issuer(state, asset, op.issuer, "asset_claim_pool")
        dyn = state.asset_dynamic(asset)
        if op.amount_to_claim.amount > dyn.fee_pool:
            raise InsufficientBalance(
                f"asset_claim_pool: fee pool of {asset.symbol} has "
                f"{state.fmt(dyn.fee_pool, ids.CORE_ASSET)}, cannot claim "
                f"{state.fmt_asset(op.amount_to_claim)}"
            )
        return dyn

    def apply(self, state: ChainState, op: AssetClaimPool, plan: Any) -> OperationResult:
        with state.db.modify(plan) as d:
            d.fee_pool -= op.amount_to_claim.amount
        state.adjust_balance(op.issuer, ids.CORE_ASSET, op.amount_to_claim.amount)
        return VOID_RESULT


@register
class AssetClaimFeesEvaluator(Evaluator[AssetClaimFees]):
    operation = AssetClaimFees

    def validate(self, op: AssetClaimFees) -> None:
        check_fee(op.fee)
        check_positive(op.amount_to_claim, "asset_claim_fees: amount")
        source = op.extensions.claim_from_asset_id
        if source is not None and source == op.amount_to_claim.asset_id:
            raise ValidationError(
                "asset_claim_fees: claim_from_asset_id must differ from the claimed asset"
            )

    def evaluate(self, state: ChainState, op: AssetClaimFees) -> Any:
        source = op.extensions.claim_from_asset_id
        asset = state.asset(op.amount_to_claim.asset_id if source is None else source)
        require_issuer(state, asset, op.issuer, "asset_claim_fees")
        if source is not None:
            raise ValidationError(
                f"asset_claim_fees: {asset.symbol} is not backed by {op.amount_to_claim.asset_id} "
                "and does not hold it as fees"
            )
        dyn = state.asset_dynamic(asset)
        if op.amount_to_claim.amount > dyn.accumulated_fees:
            raise InsufficientBalance(
                f"asset_claim_fees: {asset.symbol} has accumulated "
                f"{state.fmt(dyn.accumulated_fees, asset.id)} in fees, cannot claim "
                f"{state.fmt_asset(op.amount_to_claim)}"
            )
        return dyn

    def apply(self, state: ChainState, op: AssetClaimFees, plan: Any) -> OperationResult:
        with state.db.modify(plan) as d:
            d.accumulated_fees -= op.amount_to_claim.amount
        state.adjust_balance(op.issuer, op.amount_to_claim.asset_id, op.amount_to_claim.amount)
        return VOID_RESULT

