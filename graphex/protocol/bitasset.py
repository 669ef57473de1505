"""Market-pegged asset (smartcoin) value types: ``price_feed`` and ``bitasset_options``.

Wire layouts are BitShares' ``FC_REFLECT`` orders (core: protocol/asset.hpp ``price_feed``,
protocol/asset_ops.hpp ``bitasset_options``). Collateral ratios are per mille
(:data:`COLLATERAL_RATIO_DENOM`), percents per 10 000; the defaults are core's.
"""

from __future__ import annotations

from typing import Annotated

from .ids import ObjectId
from .struct import EXT, WireStruct
from .types import AssetId, Price, UInt8, UInt16, UInt32

COLLATERAL_RATIO_DENOM = 1000
MIN_COLLATERAL_RATIO = 1001
MAX_COLLATERAL_RATIO = 32000
DEFAULT_MAINTENANCE_COLLATERAL_RATIO = 1750
DEFAULT_MAX_SHORT_SQUEEZE_RATIO = 1500
DEFAULT_PRICE_FEED_LIFETIME_S = 86400
DEFAULT_FORCE_SETTLEMENT_DELAY_S = 86400
DEFAULT_FORCE_SETTLEMENT_OFFSET_PERCENT = 0
DEFAULT_FORCE_SETTLEMENT_MAX_VOLUME_PERCENT = 2000

# black_swan_response_method values (core: bitasset_options::black_swan_response_type)
BSRM_GLOBAL_SETTLEMENT = 0
BSRM_NO_SETTLEMENT = 1
BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND = 2
BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER = 3
BSRM_COUNT = 4


class PriceFeed(WireStruct, frozen=True):
    """A feed: ``settlement_price`` (debt/collateral), MCR, MSSR and the core exchange rate."""

    settlement_price: Price
    maintenance_collateral_ratio: UInt16
    maximum_short_squeeze_ratio: UInt16
    core_exchange_rate: Price


class BitassetOptionsExtensions(WireStruct, frozen=True):
    """``bitasset_options::ext``: owner overrides of feed parameters and settlement behaviour."""

    initial_collateral_ratio: UInt16 | None = None
    maintenance_collateral_ratio: UInt16 | None = None
    maximum_short_squeeze_ratio: UInt16 | None = None
    margin_call_fee_ratio: UInt16 | None = None
    force_settle_fee_percent: UInt16 | None = None
    black_swan_response_method: UInt8 | None = None


class BitassetOptions(WireStruct, frozen=True):
    """Options of a market-pegged asset (set at creation, changed by ``asset_update_bitasset``)."""

    feed_lifetime_sec: UInt32 = DEFAULT_PRICE_FEED_LIFETIME_S
    minimum_feeds: UInt8 = 1
    force_settlement_delay_sec: UInt32 = DEFAULT_FORCE_SETTLEMENT_DELAY_S
    force_settlement_offset_percent: UInt16 = DEFAULT_FORCE_SETTLEMENT_OFFSET_PERCENT
    maximum_force_settlement_volume: UInt16 = DEFAULT_FORCE_SETTLEMENT_MAX_VOLUME_PERCENT
    short_backing_asset: AssetId = ObjectId(1, 3, 0)
    extensions: Annotated[BitassetOptionsExtensions, EXT] = BitassetOptionsExtensions()

    @property
    def black_swan_response_method(self) -> int:
        method = self.extensions.black_swan_response_method
        return BSRM_GLOBAL_SETTLEMENT if method is None else method
