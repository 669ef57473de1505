"""Operations: one wire struct per BitShares operation, and the ``operation`` static variant.

Operation ids 0–77 are BitShares' own (``reference/bitshares.md`` §7.1); graphex's new operations
take ids from 100 up. Each class declares ``op_id``, the field naming its fee payer, and which
accounts' active/owner authorities it needs. Importing this package registers every operation.
"""

from .base import OPERATION, OPERATION_RESULT, Operation, OperationResult, op_class, registered_ops
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
from .proposal import OpWrapper, ProposalCreate, ProposalDelete, ProposalUpdate
from .transfer import Transfer

__all__ = [
    "OPERATION", "OPERATION_RESULT", "Operation", "OperationResult", "op_class", "registered_ops",
    "AccountCreate", "AccountUpdate", "AccountUpgrade", "AssetClaimFees", "AssetClaimPool",
    "AssetCreate", "AssetFundFeePool", "AssetIssue", "AssetReserve", "AssetUpdate",
    "AssetUpdateIssuer", "OpWrapper", "ProposalCreate", "ProposalDelete", "ProposalUpdate",
    "Transfer",
]
