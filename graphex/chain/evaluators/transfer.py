"""transfer: move an amount of an asset between two accounts (with an optional encrypted memo).

As BitShares' ``transfer_evaluator``: both accounts must be authorized for the asset (its
whitelist/blacklist authorities, :func:`.asset.is_authorized_asset`); a ``transfer_restricted``
asset moves only to or from its issuer; the sender holds the amount.
"""

from __future__ import annotations

from typing import Any

from ...protocol.operations import Transfer
from ...protocol.operations.base import VOID_RESULT, OperationResult
from ..errors import PermissionError_, ValidationError
from ..state import ChainState
from .asset_checks import TRANSFER_RESTRICTED, require_authorized
from .base import Evaluator, register
from .checks import check_fee, check_positive


@register
class TransferEvaluator(Evaluator[Transfer]):
    operation = Transfer

    def validate(self, op: Transfer) -> None:
        check_fee(op.fee)
        check_positive(op.amount, "transfer amount")
        if op.from_account == op.to_account:
            raise ValidationError(f"transfer from {op.from_account} to itself")

    def evaluate(self, state: ChainState, op: Transfer) -> Any:
        state.account(op.from_account)
        state.account(op.to_account)
        asset = state.asset(op.amount.asset_id)
        require_authorized(state, op.from_account, asset, "transfer")
        require_authorized(state, op.to_account, asset, "transfer")
        if asset.options.flags & TRANSFER_RESTRICTED and asset.issuer not in (
            op.from_account, op.to_account
        ):
            raise PermissionError_(
                f"transfer: {asset.symbol} is transfer-restricted; its issuer "
                f"{state.describe_account(asset.issuer)} must be the sender or the receiver"
            )
        state.require_balance(op.from_account, op.amount)
        return None

    def apply(self, state: ChainState, op: Transfer, plan: Any) -> OperationResult:
        asset_id = op.amount.asset_id
        state.adjust_balance(op.from_account, asset_id, -op.amount.amount)
        state.adjust_balance(op.to_account, asset_id, op.amount.amount)
        return VOID_RESULT
