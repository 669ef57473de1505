"""asset_fund_fee_pool (16), asset_claim_pool (47), asset_claim_fees (43): the core fee pool
that converts fees paid in an asset, and the issuer's accumulated fees."""

from __future__ import annotations

from typing import Any

from ...protocol import ids
from ...protocol.operations import (
    AssetClaimFees,
    AssetClaimPool,
    AssetFundFeePool,
)
from ...protocol.operations.base import VOID_RESULT, OperationResult
from ...protocol.types import Asset
from ..errors import (
    InsufficientBalance,
    ValidationError,
)
from ..state import ChainState
from .asset_checks import (
    require_issuer,
)
from .base import Evaluator, register
from .checks import check_fee, check_positive

# --- fee pool and accumulated fees --------------------------------------------------------------


@register
class AssetFundFeePoolEvaluator(Evaluator[AssetFundFeePool]):
    operation = AssetFundFeePool

    def validate(self, op: AssetFundFeePool) -> None:
        check_fee(op.fee)
        if op.fee.asset_id != ids.CORE_ASSET:
            raise ValidationError("asset_fund_fee_pool: the fee must be paid in the core asset")
        check_positive(Asset(op.amount, ids.CORE_ASSET), "asset_fund_fee_pool: amount")

    def evaluate(self, state: ChainState, op: AssetFundFeePool) -> Any:
        asset = state.asset(op.asset_id)
        state.require_balance(op.from_account, Asset(op.amount, ids.CORE_ASSET))
        return state.asset_dynamic(asset)

    def apply(self, state: ChainState, op: AssetFundFeePool, plan: Any) -> OperationResult:
        state.adjust_balance(op.from_account, ids.CORE_ASSET, -op.amount)
        with state.db.modify(plan) as d:
            d.fee_pool += op.amount
        return VOID_RESULT


@register
class AssetClaimPoolEvaluator(Evaluator[AssetClaimPool]):
    operation = AssetClaimPool

    def validate(self, op: AssetClaimPool) -> None:
        check_fee(op.fee)
        if op.fee.asset_id == op.asset_id:
            raise ValidationError(
                f"asset_claim_pool: the fee cannot be paid in {op.asset_id}, whose pool is claimed"
            )
        check_positive(op.amount_to_claim, "asset_claim_pool: amount")
        if op.amount_to_claim.asset_id != ids.CORE_ASSET:
            raise ValidationError("asset_claim_pool: the amount must be in the core asset")

    def evaluate(self, state: ChainState, op: AssetClaimPool) -> Any:
        asset = state.asset(op.asset_id)
        require_issuer(state, asset, op.issuer, "asset_claim_pool")
        dyn = state.asset_dynamic(asset)
        if op.amount_to_claim.amount > dyn.fee_pool:
            raise InsufficientBalance(
                f"asset_claim_pool: fee pool of {asset.symbol} has "
                f"{state.fmt(dyn.fee_pool, ids.CORE_ASSET)}, cannot claim "
                f"{state.fmt_asset(op.amount_to_claim)}"
            )
        return dyn

    def apply(self, state: ChainState, op: AssetClaimPool, plan: Any) -> OperationResult:
        with state.db.modify(plan) as d:
            d.fee_pool -= op.amount_to_claim.amount
        state.adjust_balance(op.issuer, ids.CORE_ASSET, op.amount_to_claim.amount)
        return VOID_RESULT


@register
class AssetClaimFeesEvaluator(Evaluator[AssetClaimFees]):
    operation = AssetClaimFees

    def validate(self, op: AssetClaimFees) -> None:
        check_fee(op.fee)
        check_positive(op.amount_to_claim, "asset_claim_fees: amount")
        source = op.extensions.claim_from_asset_id
        if source is not None and source == op.amount_to_claim.asset_id:
            raise ValidationError(
                "asset_claim_fees: claim_from_asset_id must differ from the claimed asset"
            )

    def evaluate(self, state: ChainState, op: AssetClaimFees) -> Any:
        source = op.extensions.claim_from_asset_id
        asset = state.asset(op.amount_to_claim.asset_id if source is None else source)
        require_issuer(state, asset, op.issuer, "asset_claim_fees")
        if source is not None:
            raise ValidationError(
                f"asset_claim_fees: {asset.symbol} is not backed by {op.amount_to_claim.asset_id} "
                "and does not hold it as fees"
            )
        dyn = state.asset_dynamic(asset)
        if op.amount_to_claim.amount > dyn.accumulated_fees:
            raise InsufficientBalance(
                f"asset_claim_fees: {asset.symbol} has accumulated "
                f"{state.fmt(dyn.accumulated_fees, asset.id)} in fees, cannot claim "
                f"{state.fmt_asset(op.amount_to_claim)}"
            )
        return dyn

    def apply(self, state: ChainState, op: AssetClaimFees, plan: Any) -> OperationResult:
        with state.db.modify(plan) as d:
            d.accumulated_fees -= op.amount_to_claim.amount
        state.adjust_balance(op.issuer, op.amount_to_claim.asset_id, op.amount_to_claim.amount)
        return VOID_RESULT
