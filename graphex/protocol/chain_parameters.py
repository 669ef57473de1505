"""Chain parameters: the committee-governed settings of the chain, including the fee schedule.

Wire layout is core's ``FC_REFLECT(chain_parameters, …)`` (core: protocol/chain_parameters.hpp):
``current_fees`` is a ``shared_ptr<fee_schedule>``, packed as the schedule itself with no presence
flag. Core's ``witness_pay_vesting_seconds`` member is not reflected, so it is not on the wire
and is a constant here (:data:`WITNESS_PAY_VESTING_SECONDS`). Percents are per 10 000.

Defaults are core's ``GRAPHENE_DEFAULT_*`` values (core: protocol/config.hpp); note core's
default block interval is 5 s (BitShares mainnet runs 3 s by committee vote) and the maintenance
interval one day: a genesis file sets the values a chain actually uses.
"""

from __future__ import annotations

from typing import Annotated

from .fee_schedule import (
    CORE_PRECISION,
    FULL_SCALE,
    FeeError,
    FeeParameters,
    FeeSchedule,
    default_fee_parameters,
    default_fee_schedule,
)
from .fees import calculate_fee, fee_for
from .struct import EXT, WireStruct
from .types import Int64, UInt8, UInt16, UInt32

WITNESS_PAY_VESTING_SECONDS = 86400
"""``GRAPHENE_DEFAULT_WITNESS_PAY_VESTING_SECONDS`` (not a wire field)."""

MIN_BLOCK_INTERVAL_S, MAX_BLOCK_INTERVAL_S = 1, 30
MIN_TRANSACTION_SIZE_LIMIT = 1024
MIN_BLOCK_SIZE_LIMIT = 5 * MIN_TRANSACTION_SIZE_LIMIT


class HtlcOptions(WireStruct, frozen=True):
    max_timeout_secs: UInt32
    max_preimage_size: UInt32


class CustomAuthorityOptions(WireStruct, frozen=True):
    max_custom_authority_lifetime_seconds: UInt32 = 30 * 86400
    max_custom_authorities_per_account: UInt32 = 10
    max_custom_authorities_per_account_op: UInt32 = 3
    max_custom_authority_restrictions: UInt32 = 10


class ChainParametersExtensions(WireStruct, frozen=True):
    """``chain_parameters::ext``."""

    updatable_htlc_options: HtlcOptions | None = None
    custom_authority_options: CustomAuthorityOptions | None = None
    market_fee_network_percent: UInt16 | None = None
    maker_fee_discount_percent: UInt16 | None = None


class ChainParameters(WireStruct, frozen=True):
    current_fees: FeeSchedule
    block_interval: UInt8 = 5
    maintenance_interval: UInt32 = 86400
    maintenance_skip_slots: UInt8 = 3
    committee_proposal_review_period: UInt32 = 14 * 86400
    maximum_transaction_size: UInt32 = 2048
    maximum_block_size: UInt32 = 2_000_000
    maximum_time_until_expiration: UInt32 = 86400
    maximum_proposal_lifetime: UInt32 = 28 * 86400
    maximum_asset_whitelist_authorities: UInt8 = 10
    maximum_asset_feed_publishers: UInt8 = 10
    maximum_witness_count: UInt16 = 1001
    maximum_committee_count: UInt16 = 1001
    maximum_authority_membership: UInt16 = 10
    reserve_percent_of_fee: UInt16 = 2000
    network_percent_of_fee: UInt16 = 2000
    lifetime_referrer_percent_of_fee: UInt16 = 3000
    cashback_vesting_period_seconds: UInt32 = 365 * 86400
    cashback_vesting_threshold: Int64 = 100 * CORE_PRECISION
    count_non_member_votes: bool = True
    allow_non_member_whitelists: bool = False
    witness_pay_per_block: Int64 = 10 * CORE_PRECISION
    worker_budget_per_day: Int64 = 500_000 * CORE_PRECISION
    max_predicate_opcode: UInt16 = 1
    fee_liquidation_threshold: Int64 = 100 * CORE_PRECISION
    accounts_per_fee_scale: UInt16 = 1000
    account_fee_scale_bitshifts: UInt8 = 4
    max_authority_depth: UInt8 = 2
    extensions: Annotated[ChainParametersExtensions, EXT] = ChainParametersExtensions()

    @property
    def market_fee_network_percent(self) -> int:
        value = self.extensions.market_fee_network_percent
        return 0 if value is None else value

    @property
    def maker_fee_discount_percent(self) -> int:
        value = self.extensions.maker_fee_discount_percent
        return 0 if value is None else value


class ChainParametersError(ValueError):
    """Chain parameters that break one of core's ``chain_parameters::validate`` rules."""


def default_chain_parameters(core_precision_factor: int = CORE_PRECISION) -> ChainParameters:
    """Core's default chain parameters with the default fee schedule."""
    p = core_precision_factor
    return ChainParameters(
        current_fees=default_fee_schedule(p),
        cashback_vesting_threshold=100 * p,
        witness_pay_per_block=10 * p,
        worker_budget_per_day=500_000 * p,
        fee_liquidation_threshold=100 * p,
    )


def validate_chain_parameters(params: ChainParameters) -> None:
    """Core's ``chain_parameters::validate``; raises :class:`ChainParametersError` on a breach."""
    checks = [
        (params.reserve_percent_of_fee <= FULL_SCALE, "reserve_percent_of_fee must be <= 10000"),
        (params.network_percent_of_fee <= FULL_SCALE, "network_percent_of_fee must be <= 10000"),
        (params.lifetime_referrer_percent_of_fee <= FULL_SCALE,
         "lifetime_referrer_percent_of_fee must be <= 10000"),
        (params.network_percent_of_fee + params.lifetime_referrer_percent_of_fee <= FULL_SCALE,
         "network_percent_of_fee + lifetime_referrer_percent_of_fee must be <= 10000"),
        (MIN_BLOCK_INTERVAL_S <= params.block_interval <= MAX_BLOCK_INTERVAL_S,
         f"block_interval must be in [{MIN_BLOCK_INTERVAL_S}, {MAX_BLOCK_INTERVAL_S}] s"),
        (params.maintenance_interval > params.block_interval,
         "maintenance_interval must be longer than block_interval"),
        (params.block_interval > 0 and params.maintenance_interval % params.block_interval == 0,
         "maintenance_interval must be a multiple of block_interval"),
        (params.maximum_transaction_size >= MIN_TRANSACTION_SIZE_LIMIT,
         f"maximum_transaction_size must be >= {MIN_TRANSACTION_SIZE_LIMIT}"),
        (params.maximum_block_size >= MIN_BLOCK_SIZE_LIMIT,
         f"maximum_block_size must be >= {MIN_BLOCK_SIZE_LIMIT}"),
        (params.maximum_time_until_expiration > params.block_interval,
         "maximum_time_until_expiration must exceed block_interval"),
        (params.maximum_proposal_lifetime - params.committee_proposal_review_period
         > params.block_interval,
         "committee_proposal_review_period must be shorter than maximum_proposal_lifetime"),
        (params.market_fee_network_percent <= 3000, "market_fee_network_percent must be <= 3000"),
        (params.maker_fee_discount_percent <= FULL_SCALE,
         "maker_fee_discount_percent must be <= 10000"),
    ]
    for ok, rule in checks:
        if not ok:
            raise ChainParametersError(f"invalid chain parameters: {rule} ({_values(params)})")


def _values(params: ChainParameters) -> str:
    return (
        f"block_interval={params.block_interval}, "
        f"maintenance_interval={params.maintenance_interval}, "
        f"maximum_transaction_size={params.maximum_transaction_size}, "
        f"maximum_block_size={params.maximum_block_size}, "
        f"reserve/network/referrer percent={params.reserve_percent_of_fee}/"
        f"{params.network_percent_of_fee}/{params.lifetime_referrer_percent_of_fee}, "
        f"market_fee_network_percent={params.market_fee_network_percent}, "
        f"maker_fee_discount_percent={params.maker_fee_discount_percent}"
    )


__all__ = [
    "WITNESS_PAY_VESTING_SECONDS",
    "ChainParameters",
    "ChainParametersError",
    "ChainParametersExtensions",
    "CustomAuthorityOptions",
    "FeeError",
    "FeeParameters",
    "FeeSchedule",
    "HtlcOptions",
    "calculate_fee",
    "default_chain_parameters",
    "default_fee_parameters",
    "default_fee_schedule",
    "fee_for",
    "validate_chain_parameters",
]
