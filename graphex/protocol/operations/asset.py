"""User-issued asset operations: asset_create (10), asset_update (11), asset_issue (14),
asset_reserve (15), asset_fund_fee_pool (16), asset_claim_fees (43), asset_claim_pool (47),
asset_update_issuer (48)."""

from __future__ import annotations

from typing import Annotated

from ..bitasset import BitassetOptions
from ..ids import ObjectId
from ..struct import EXT, WireStruct
from ..types import (
    AccountId,
    Asset,
    AssetId,
    AssetOptions,
    Extensions,
    Int64,
    Memo,
    UInt8,
    UInt16,
    Void,
)
from .base import Operation, op_class


@op_class
class AssetCreate(Operation, frozen=True):
    op_id = 10
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    symbol: str
    precision: UInt8
    common_options: AssetOptions
    bitasset_opts: BitassetOptions | None = None
    is_prediction_market: bool = False
    extensions: Extensions = ()


class AssetUpdateExtensions(WireStruct, frozen=True):
    new_precision: UInt8 | None = None
    skip_core_exchange_rate: bool | None = None


@op_class
class AssetUpdate(Operation, frozen=True):
    op_id = 11
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    asset_to_update: AssetId
    new_issuer: AccountId | None
    new_options: AssetOptions
    extensions: Annotated[AssetUpdateExtensions, EXT] = AssetUpdateExtensions()


@op_class
class AssetIssue(Operation, frozen=True):
    op_id = 14
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    asset_to_issue: Asset
    issue_to_account: AccountId
    memo: Memo | None = None
    extensions: Extensions = ()


@op_class
class AssetReserve(Operation, frozen=True):
    op_id = 15
    fee_payer_field = "payer"

    fee: Asset
    payer: AccountId
    amount_to_reserve: Asset
    extensions: Extensions = ()


@op_class
class AssetFundFeePool(Operation, frozen=True):
    op_id = 16
    fee_payer_field = "from_account"

    fee: Asset
    from_account: AccountId
    asset_id: AssetId
    amount: Int64
    extensions: Extensions = ()


class AssetClaimFeesExtensions(WireStruct, frozen=True):
    claim_from_asset_id: AssetId | None = None


@op_class
class AssetClaimFees(Operation, frozen=True):
    op_id = 43
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    amount_to_claim: Asset
    extensions: Annotated[AssetClaimFeesExtensions, EXT] = AssetClaimFeesExtensions()


@op_class
class AssetClaimPool(Operation, frozen=True):
    op_id = 47
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    asset_id: AssetId
    amount_to_claim: Asset
    extensions: Extensions = ()


@op_class
class AssetUpdateIssuer(Operation, frozen=True):
    op_id = 48
    fee_payer_field = "issuer"

    fee: Asset
    issuer: AccountId
    asset_to_update: AssetId
    new_issuer: AccountId
    extensions: Extensions = ()

    def required_active(self) -> tuple[ObjectId, ...]:
        return ()

    def required_owner(self) -> tuple[ObjectId, ...]:
        return (self.issuer,)


_ = (UInt16, Void)
