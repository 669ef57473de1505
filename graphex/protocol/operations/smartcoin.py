"""Market-pegged asset operations: asset_update_bitasset (12), asset_update_feed_producers (13),
asset_settle (17), asset_global_settle (18), asset_publish_feed (19), asset_settle_cancel
(42, virtual).

Field orders are core's ``FC_REFLECT`` (core: protocol/asset_ops.hpp).
"""

from __future__ import annotations

from typing import Annotated

from ..bitasset import BitassetOptions, PriceFeed
from ..struct import EXT, SET, WireStruct
from ..types import (
    AccountId,
    Asset,
    AssetId,
    Extensions,
    ForceSettlementId,
    Price,
    UInt16,
)
from .base import Operation, op_class


@op_class
class AssetUpdateBitasset(Operation, frozen=True):
    op_id = 12
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    asset_to_update: AssetId
    new_options: BitassetOptions
    extensions: Extensions = ()


@op_class
class AssetUpdateFeedProducers(Operation, frozen=True):
    op_id = 13
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    asset_to_update: AssetId
    new_feed_producers: Annotated[tuple[AccountId, ...], SET]
    extensions: Extensions = ()


@op_class
class AssetSettle(Operation, frozen=True):
    op_id = 17
    fee_payer_field = "account"

    fee: Asset
    account: AccountId
    amount: Asset
    extensions: Extensions = ()


@op_class
class AssetGlobalSettle(Operation, frozen=True):
    op_id = 18
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    asset_to_settle: AssetId
    settle_price: Price
    extensions: Extensions = ()


class AssetPublishFeedExtensions(WireStruct, frozen=True):
    """``asset_publish_feed_operation::ext``."""

    initial_collateral_ratio: UInt16 | None = None


@op_class
class AssetPublishFeed(Operation, frozen=True):
    op_id = 19
    fee_payer_field = "publisher"

    fee: Asset
    publisher: AccountId
    asset_id: AssetId
    feed: PriceFeed
    extensions: Annotated[AssetPublishFeedExtensions, EXT] = AssetPublishFeedExtensions()


@op_class
class AssetSettleCancel(Operation, frozen=True):
    op_id = 42
    fee_payer_field = "account"
    virtual = True

    fee: Asset
    settlement: ForceSettlementId
    account: AccountId
    amount: Asset
