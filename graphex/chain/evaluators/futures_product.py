"""futures_product_create (100) and futures_product_update (101) (SPEC §7 "Product").

- create: by any existing account, on two existing, different assets underlying U / quote Q, one
  product per (U, Q); valid parameters (below) whose contract size gives a whole tick value ≥ 1
  (``contract_size × 10^Qp / (10^Up × 10^6)``); a feed mark needs one asset to be a
  market-pegged asset backed by the other. The product lists the four months of the calendar at
  once (virtual ``futures_series_list``); the result is its id.
- update: by the product's owner only (the committee acts on committee-owned products through a
  proposal, as their owner); the same parameter rules on the same pair. It changes the parameters
  and tick value for series listed afterwards; listed series keep theirs.

Parameters: ``contract_size`` > 0; 0 < maintenance < initial ≤ 100% (ppm); trade, liquidation and
delivery fees ≤ 10% each; liquidation fee < maintenance; mark source last trade (0) or feed (1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...protocol.ids import ObjectId
from ...protocol.operations.base import VOID_RESULT, OperationResult, object_result
from ...protocol.operations.futures import (
    MARK_FEED,
    MARK_LAST_TRADE,
    PPM,
    FuturesParameters,
    FuturesProductCreate,
    FuturesProductUpdate,
)
from ..errors import PermissionError_, UnknownObjectError
from ..futures.errors import ProductError
from ..futures.listing import list_series
from ..futures.objects import FuturesProduct
from ..futures.units import smallest_contract_size, tick_value
from ..objects import AssetObject
from ..smartcoin.objects import AssetBitassetData
from ..state import ChainState
from .base import Evaluator, register
from .checks import check_fee

MAX_FEE_PPM = 100_000
"""A product's trade, liquidation or delivery fee is at most 10% of notional."""


def check_parameters(params: FuturesParameters, rule: str) -> None:
    """The stateless parameter rules (the tick value needs the assets: :func:`tick_value_of`)."""
    if params.contract_size <= 0:
        raise ProductError(f"{rule}: contract size must be positive, got {params.contract_size}")
    initial, maintenance = params.initial_margin_ppm, params.maintenance_margin_ppm
    if not 0 < maintenance < initial <= PPM:
        raise ProductError(
            f"{rule}: margins must satisfy 0 < maintenance < initial <= {PPM} ppm, got "
            f"maintenance {maintenance} ppm, initial {initial} ppm")
    for name in ("trade_fee_ppm", "liquidation_fee_ppm", "delivery_fee_ppm"):
        value = getattr(params, name)
        if value > MAX_FEE_PPM:
            raise ProductError(f"{rule}: {name} {value} exceeds the maximum {MAX_FEE_PPM} ppm")
    if params.liquidation_fee_ppm >= maintenance:
        raise ProductError(
            f"{rule}: liquidation fee {params.liquidation_fee_ppm} ppm must be below the "
            f"maintenance margin {maintenance} ppm")
    if params.mark_price_source not in (MARK_LAST_TRADE, MARK_FEED):
        raise ProductError(f"{rule}: mark price source must be {MARK_LAST_TRADE} (last trade) or "
                           f"{MARK_FEED} (feed), got {params.mark_price_source}")


def tick_value_of(params: FuturesParameters, underlying: AssetObject, quote: AssetObject,
                  rule: str) -> int:
    """The tick value of ``params`` on U/Q; a ProductError naming the smallest valid size."""
    value = tick_value(params.contract_size, underlying.precision, quote.precision)
    if value is None:
        smallest = smallest_contract_size(underlying.precision, quote.precision)
        raise ProductError(
            f"{rule}: contract size {params.contract_size} of {underlying.symbol} (precision "
            f"{underlying.precision}) gives no whole tick value in {quote.symbol} (precision "
            f"{quote.precision}); it must be a multiple of the smallest valid contract size "
            f"{smallest}")
    return value


def backed_by(state: ChainState, asset: AssetObject, backing: ObjectId) -> bool:
    """``asset`` is a market-pegged asset backed by ``backing``."""
    if asset.bitasset_data_id is None:
        return False
    data = state.db.get(asset.bitasset_data_id, AssetBitassetData)
    return data.options.short_backing_asset == backing


def check_mark_source(state: ChainState, params: FuturesParameters, underlying: AssetObject,
                      quote: AssetObject, rule: str) -> None:
    """A feed mark needs a feed on the pair: one asset market-pegged and backed by the other."""
    if params.mark_price_source != MARK_FEED:
        return
    if not (backed_by(state, underlying, quote.id) or backed_by(state, quote, underlying.id)):
        raise ProductError(
            f"{rule}: mark price source feed needs a price feed on {underlying.symbol}/"
            f"{quote.symbol}: one of them must be a market-pegged asset backed by the other")


def checked_tick_value(state: ChainState, params: FuturesParameters, underlying: AssetObject,
                       quote: AssetObject, rule: str) -> int:
    """The stateful parameter rules; the tick value."""
    value = tick_value_of(params, underlying, quote, rule)
    check_mark_source(state, params, underlying, quote, rule)
    return value


# --- futures_product_create -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _CreatePlan:
    tick_value: int


@register
class FuturesProductCreateEvaluator(Evaluator[FuturesProductCreate]):
    operation = FuturesProductCreate
    rule = "futures_product_create"

    def validate(self, op: FuturesProductCreate) -> None:
        check_fee(op.fee)
        if op.underlying == op.quote:
            raise ProductError(f"{self.rule}: underlying and quote are the same asset "
                               f"{op.underlying}")
        check_parameters(op.parameters, self.rule)

    def evaluate(self, state: ChainState, op: FuturesProductCreate) -> Any:
        state.account(op.owner)
        underlying, quote = state.asset(op.underlying), state.asset(op.quote)
        existing = state.db.index(FuturesProduct, "by_pair").get((op.underlying, op.quote))
        if existing is not None:
            raise ProductError(
                f"{self.rule}: {underlying.symbol}/{quote.symbol} already has the futures "
                f"product {existing.id}; one product per pair")
        return _CreatePlan(checked_tick_value(state, op.parameters, underlying, quote, self.rule))

    def apply(self, state: ChainState, op: FuturesProductCreate, plan: Any) -> OperationResult:
        product = state.db.create(
            FuturesProduct, owner=op.owner, underlying=op.underlying, quote=op.quote,
            parameters=op.parameters, tick_value=plan.tick_value)
        list_series(state, product, state.head_time)
        return object_result(product.id)


# --- futures_product_update -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _UpdatePlan:
    product: FuturesProduct
    tick_value: int


@register
class FuturesProductUpdateEvaluator(Evaluator[FuturesProductUpdate]):
    operation = FuturesProductUpdate
    rule = "futures_product_update"

    def validate(self, op: FuturesProductUpdate) -> None:
        check_fee(op.fee)
        check_parameters(op.new_parameters, self.rule)

    def evaluate(self, state: ChainState, op: FuturesProductUpdate) -> Any:
        product = state.db.find(op.product, FuturesProduct)
        if product is None:
            raise UnknownObjectError(f"{self.rule}: unknown futures product {op.product}")
        if op.owner != product.owner:
            raise PermissionError_(
                f"{self.rule}: only the owner {state.describe_account(product.owner)} of futures "
                f"product {product.id} may update it, not {state.describe_account(op.owner)}")
        underlying, quote = state.asset(product.underlying), state.asset(product.quote)
        value = checked_tick_value(state, op.new_parameters, underlying, quote, self.rule)
        return _UpdatePlan(product, value)

    def apply(self, state: ChainState, op: FuturesProductUpdate, plan: Any) -> OperationResult:
        with state.db.modify(plan.product) as p:
            p.parameters = op.new_parameters
            p.tick_value = plan.tick_value
        return VOID_RESULT
