"""Asset rules shared by the asset evaluators: issuer permission and flag bits (core:
protocol/types.hpp), option, price and bitasset-option validation, backing-asset rules, and the
issuer and authorization checks."""

from __future__ import annotations

from ...protocol import ids
from ...protocol.bitasset import (
    BSRM_COUNT,
    BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER,
    MAX_COLLATERAL_RATIO,
    MIN_COLLATERAL_RATIO,
    BitassetOptions,
)
from ...protocol.ids import ObjectId
from ...protocol.types import MAX_SHARE_SUPPLY, AssetOptions, Price
from ..asset_rules import is_authorized_asset
from ..errors import (
    NotSupported,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from ..objects import AssetObject
from ..smartcoin.feeds import bitasset_data
from ..smartcoin.objects import AssetBitassetData
from ..state import ChainState

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
