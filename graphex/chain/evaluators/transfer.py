"""transfer: move an amount of an asset between two accounts (with an optional encrypted memo)."""

from __future__ import annotations

from typing import Any

from ...protocol.operations import Transfer
from ...protocol.operations.base import VOID_RESULT, OperationResult
from ..errors import ValidationError
from ..state import ChainState
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
        state.account(op.to_account)
        state.asset(op.amount.asset_id)
        state.require_balance(op.from_account, op.amount)
        return None

    def apply(self, state: ChainState, op: Transfer, plan: Any) -> OperationResult:
        asset_id = op.amount.asset_id
        state.adjust_balance(op.from_account, asset_id, -op.amount.amount)
        state.adjust_balance(op.to_account, asset_id, op.amount.amount)
        return VOID_RESULT
