"""``get_config``: the chain's compile-time constants, as bitshares-core's ``get_config()``
(libraries/chain/get_config.cpp) lists them — one flat object of ``GRAPHENE_*`` names.

The symbol, address prefix and precision are this chain's (from its genesis); ``DEFAULT_*`` values
are graphex's default chain parameters (BitShares' defaults); the rest are protocol constants.
Integers above ``0xffffffff`` are sent as decimal strings, as fc does for 64-bit values.
"""

from __future__ import annotations

from ..chain.database import MAX_UNDO_HISTORY_BLOCKS
from ..chain.genesis import Genesis
from ..protocol import ids
from ..protocol.chain_parameters import (
    MAX_BLOCK_INTERVAL_S,
    MIN_BLOCK_INTERVAL_S,
    MIN_BLOCK_SIZE_LIMIT,
    MIN_TRANSACTION_SIZE_LIMIT,
    WITNESS_PAY_VESTING_SECONDS,
    default_chain_parameters,
)
from ..protocol.codec import Json
from ..protocol.fee_schedule import FULL_SCALE
from ..protocol.types import MAX_SHARE_SUPPLY

MIN_ACCOUNT_NAME_LENGTH, MAX_ACCOUNT_NAME_LENGTH = 1, 63
MIN_ASSET_SYMBOL_LENGTH, MAX_ASSET_SYMBOL_LENGTH = 3, 16
MIN_UNDO_HISTORY_BLOCKS = 10
MAX_SIG_CHECK_DEPTH = 2
MAX_WORKER_NAME_LENGTH, MAX_URL_LENGTH = 63, 127
CORE_ASSET_CYCLE_RATE, CORE_ASSET_CYCLE_RATE_BITS = 17, 32
COLLATERAL_RATIO_DENOM, MIN_COLLATERAL_RATIO, MAX_COLLATERAL_RATIO = 1000, 1001, 32000
DEFAULT_MAINTENANCE_COLLATERAL_RATIO, DEFAULT_MAX_SHORT_SQUEEZE_RATIO = 1750, 1500
DEFAULT_FORCE_SETTLEMENT_DELAY_S, DEFAULT_FORCE_SETTLEMENT_OFFSET = 86400, 0
DEFAULT_FORCE_SETTLEMENT_MAX_VOLUME, DEFAULT_PRICE_FEED_LIFETIME_S = 2000, 86400
DEFAULT_BURN_PERCENT_OF_FEE = 2000
_FC_MAX_PLAIN_INT = 0xFFFFFFFF


def _fc_int(value: int) -> int | str:
    return value if value <= _FC_MAX_PLAIN_INT else str(value)


def chain_config(genesis: Genesis) -> dict[str, Json]:
    """The ``get_config`` object of the chain defined by ``genesis``."""
    precision = 10**genesis.core_precision
    p = default_chain_parameters(precision)
    values: dict[str, int | str] = {
        "GRAPHENE_SYMBOL": genesis.core_symbol,
        "GRAPHENE_ADDRESS_PREFIX": genesis.address_prefix,
        "GRAPHENE_MIN_ACCOUNT_NAME_LENGTH": MIN_ACCOUNT_NAME_LENGTH,
        "GRAPHENE_MAX_ACCOUNT_NAME_LENGTH": MAX_ACCOUNT_NAME_LENGTH,
        "GRAPHENE_MIN_ASSET_SYMBOL_LENGTH": MIN_ASSET_SYMBOL_LENGTH,
        "GRAPHENE_MAX_ASSET_SYMBOL_LENGTH": MAX_ASSET_SYMBOL_LENGTH,
        "GRAPHENE_MAX_SHARE_SUPPLY": MAX_SHARE_SUPPLY,
        "GRAPHENE_MAX_SIG_CHECK_DEPTH": MAX_SIG_CHECK_DEPTH,
        "GRAPHENE_MIN_TRANSACTION_SIZE_LIMIT": MIN_TRANSACTION_SIZE_LIMIT,
        "GRAPHENE_MIN_BLOCK_INTERVAL": MIN_BLOCK_INTERVAL_S,
        "GRAPHENE_MAX_BLOCK_INTERVAL": MAX_BLOCK_INTERVAL_S,
        "GRAPHENE_DEFAULT_BLOCK_INTERVAL": p.block_interval,
        "GRAPHENE_DEFAULT_MAX_TRANSACTION_SIZE": p.maximum_transaction_size,
        "GRAPHENE_DEFAULT_MAX_BLOCK_SIZE": p.maximum_block_size,
        "GRAPHENE_DEFAULT_MAX_TIME_UNTIL_EXPIRATION": p.maximum_time_until_expiration,
        "GRAPHENE_DEFAULT_MAINTENANCE_INTERVAL": p.maintenance_interval,
        "GRAPHENE_DEFAULT_MAINTENANCE_SKIP_SLOTS": p.maintenance_skip_slots,
        "GRAPHENE_MIN_UNDO_HISTORY": MIN_UNDO_HISTORY_BLOCKS,
        "GRAPHENE_MAX_UNDO_HISTORY": MAX_UNDO_HISTORY_BLOCKS,
        "GRAPHENE_MIN_BLOCK_SIZE_LIMIT": MIN_BLOCK_SIZE_LIMIT,
        "GRAPHENE_BLOCKCHAIN_PRECISION": precision,
        "GRAPHENE_BLOCKCHAIN_PRECISION_DIGITS": genesis.core_precision,
        "GRAPHENE_100_PERCENT": FULL_SCALE,
        "GRAPHENE_1_PERCENT": FULL_SCALE // 100,
        "GRAPHENE_MAX_MARKET_FEE_PERCENT": FULL_SCALE,
        "GRAPHENE_DEFAULT_FORCE_SETTLEMENT_DELAY": DEFAULT_FORCE_SETTLEMENT_DELAY_S,
        "GRAPHENE_DEFAULT_FORCE_SETTLEMENT_OFFSET": DEFAULT_FORCE_SETTLEMENT_OFFSET,
        "GRAPHENE_DEFAULT_FORCE_SETTLEMENT_MAX_VOLUME": DEFAULT_FORCE_SETTLEMENT_MAX_VOLUME,
        "GRAPHENE_DEFAULT_PRICE_FEED_LIFETIME": DEFAULT_PRICE_FEED_LIFETIME_S,
        "GRAPHENE_DEFAULT_MAX_AUTHORITY_MEMBERSHIP": p.maximum_authority_membership,
        "GRAPHENE_DEFAULT_MAX_ASSET_WHITELIST_AUTHORITIES": p.maximum_asset_whitelist_authorities,
        "GRAPHENE_DEFAULT_MAX_ASSET_FEED_PUBLISHERS": p.maximum_asset_feed_publishers,
        "GRAPHENE_COLLATERAL_RATIO_DENOM": COLLATERAL_RATIO_DENOM,
        "GRAPHENE_MIN_COLLATERAL_RATIO": MIN_COLLATERAL_RATIO,
        "GRAPHENE_MAX_COLLATERAL_RATIO": MAX_COLLATERAL_RATIO,
        "GRAPHENE_DEFAULT_MAINTENANCE_COLLATERAL_RATIO": DEFAULT_MAINTENANCE_COLLATERAL_RATIO,
        "GRAPHENE_DEFAULT_MAX_SHORT_SQUEEZE_RATIO": DEFAULT_MAX_SHORT_SQUEEZE_RATIO,
        "GRAPHENE_DEFAULT_MAX_WITNESSES": p.maximum_witness_count,
        "GRAPHENE_DEFAULT_MAX_COMMITTEE": p.maximum_committee_count,
        "GRAPHENE_DEFAULT_MAX_PROPOSAL_LIFETIME_SEC": p.maximum_proposal_lifetime,
        "GRAPHENE_DEFAULT_COMMITTEE_PROPOSAL_REVIEW_PERIOD_SEC": p.committee_proposal_review_period,
        "GRAPHENE_DEFAULT_NETWORK_PERCENT_OF_FEE": p.network_percent_of_fee,
        "GRAPHENE_DEFAULT_LIFETIME_REFERRER_PERCENT_OF_FEE": p.lifetime_referrer_percent_of_fee,
        "GRAPHENE_DEFAULT_CASHBACK_VESTING_PERIOD_SEC": p.cashback_vesting_period_seconds,
        "GRAPHENE_DEFAULT_CASHBACK_VESTING_THRESHOLD": p.cashback_vesting_threshold,
        "GRAPHENE_DEFAULT_BURN_PERCENT_OF_FEE": DEFAULT_BURN_PERCENT_OF_FEE,
        "GRAPHENE_DEFAULT_MAX_ASSERT_OPCODE": p.max_predicate_opcode,
        "GRAPHENE_DEFAULT_FEE_LIQUIDATION_THRESHOLD": p.fee_liquidation_threshold,
        "GRAPHENE_DEFAULT_ACCOUNTS_PER_FEE_SCALE": p.accounts_per_fee_scale,
        "GRAPHENE_DEFAULT_ACCOUNT_FEE_SCALE_BITSHIFTS": p.account_fee_scale_bitshifts,
        "GRAPHENE_MAX_WORKER_NAME_LENGTH": MAX_WORKER_NAME_LENGTH,
        "GRAPHENE_MAX_URL_LENGTH": MAX_URL_LENGTH,
        "GRAPHENE_CORE_ASSET_CYCLE_RATE": CORE_ASSET_CYCLE_RATE,
        "GRAPHENE_CORE_ASSET_CYCLE_RATE_BITS": CORE_ASSET_CYCLE_RATE_BITS,
        "GRAPHENE_DEFAULT_WITNESS_PAY_PER_BLOCK": p.witness_pay_per_block,
        "GRAPHENE_DEFAULT_WITNESS_PAY_VESTING_SECONDS": WITNESS_PAY_VESTING_SECONDS,
        "GRAPHENE_DEFAULT_WORKER_BUDGET_PER_DAY": p.worker_budget_per_day,
        "GRAPHENE_COMMITTEE_ACCOUNT": str(ids.COMMITTEE_ACCOUNT),
        "GRAPHENE_WITNESS_ACCOUNT": str(ids.WITNESS_ACCOUNT),
        "GRAPHENE_RELAXED_COMMITTEE_ACCOUNT": str(ids.RELAXED_COMMITTEE_ACCOUNT),
        "GRAPHENE_NULL_ACCOUNT": str(ids.NULL_ACCOUNT),
        "GRAPHENE_TEMP_ACCOUNT": str(ids.TEMP_ACCOUNT),
    }
    return {name: _fc_int(v) if isinstance(v, int) else v for name, v in values.items()}
