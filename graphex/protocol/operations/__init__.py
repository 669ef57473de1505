"""Operations: one wire struct per BitShares operation, and the ``operation`` static variant.

Operation ids 0–77 are BitShares' own (``reference/bitshares.md`` §7.1); graphex's new operations
take ids from 100 up. Each class declares ``op_id``, the field naming its fee payer, and which
accounts' active/owner authorities it needs. Importing this package registers every operation;
BitShares operations graphex does not implement stay unregistered, so decoding one fails with
"unknown or unsupported operation id N".
"""

from .account import AccountCreate, AccountUpdate, AccountUpgrade
from .asset import (
    AssetClaimFees,
    AssetClaimPool,
    AssetCreate,
    AssetFundFeePool,
    AssetIssue,
    AssetReserve,
    AssetUpdate,
    AssetUpdateIssuer,
)
from .base import OPERATION, OPERATION_RESULT, Operation, OperationResult, op_class, registered_ops
from .committee import (
    CommitteeMemberCreate,
    CommitteeMemberUpdate,
    CommitteeMemberUpdateGlobalParameters,
)
from .futures import (
    FuturesDeleverage,
    FuturesDelivery,
    FuturesFill,
    FuturesLiquidation,
    FuturesOrderCancel,
    FuturesOrderCancelled,
    FuturesOrderCreate,
    FuturesParameters,
    FuturesProductCreate,
    FuturesProductUpdate,
    FuturesSeriesList,
    MarginDeposit,
    MarginWithdraw,
)
from .market import (
    BidCollateral,
    CallOrderUpdate,
    CallOrderUpdateOptions,
    CreateTakeProfitOrderAction,
    ExecuteBid,
    FillOrder,
    LimitOrderCancel,
    LimitOrderCreate,
    LimitOrderCreateOptions,
    LimitOrderUpdate,
)
from .proposal import OpWrapper, ProposalCreate, ProposalDelete, ProposalUpdate
from .smartcoin import (
    AssetGlobalSettle,
    AssetPublishFeed,
    AssetPublishFeedExtensions,
    AssetSettle,
    AssetSettleCancel,
    AssetUpdateBitasset,
    AssetUpdateFeedProducers,
)
from .transfer import Transfer
from .witness import WitnessCreate, WitnessUpdate

__all__ = [
    "OPERATION",
    "OPERATION_RESULT",
    "AccountCreate",
    "AccountUpdate",
    "AccountUpgrade",
    "AssetClaimFees",
    "AssetClaimPool",
    "AssetCreate",
    "AssetFundFeePool",
    "AssetGlobalSettle",
    "AssetIssue",
    "AssetPublishFeed",
    "AssetPublishFeedExtensions",
    "AssetReserve",
    "AssetSettle",
    "AssetSettleCancel",
    "AssetUpdate",
    "AssetUpdateBitasset",
    "AssetUpdateFeedProducers",
    "AssetUpdateIssuer",
    "BidCollateral",
    "CallOrderUpdate",
    "CallOrderUpdateOptions",
    "CommitteeMemberCreate",
    "CommitteeMemberUpdate",
    "CommitteeMemberUpdateGlobalParameters",
    "CreateTakeProfitOrderAction",
    "ExecuteBid",
    "FillOrder",
    "FuturesDeleverage",
    "FuturesDelivery",
    "FuturesFill",
    "FuturesLiquidation",
    "FuturesOrderCancel",
    "FuturesOrderCancelled",
    "FuturesOrderCreate",
    "FuturesParameters",
    "FuturesProductCreate",
    "FuturesProductUpdate",
    "FuturesSeriesList",
    "LimitOrderCancel",
    "LimitOrderCreate",
    "LimitOrderCreateOptions",
    "LimitOrderUpdate",
    "MarginDeposit",
    "MarginWithdraw",
    "OpWrapper",
    "Operation",
    "OperationResult",
    "ProposalCreate",
    "ProposalDelete",
    "ProposalUpdate",
    "Transfer",
    "WitnessCreate",
    "WitnessUpdate",
    "op_class",
    "registered_ops",
]
