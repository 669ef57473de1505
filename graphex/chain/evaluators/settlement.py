"""asset_settle (17), asset_global_settle (18), bid_collateral (45).

As core's ``asset_evaluator.cpp`` and ``market_evaluator.cpp`` (``reference/bitshares.md``
§3.7–3.8):

- ``asset_settle``: a holder gives back a smartcoin for its backing asset. After a global
  settlement it is paid at once from the settlement fund at the settlement price (rounded in
  the fund's favour: only what the payout is worth is taken); while an individual settlement fund
  (``individual_settlement_to_fund``) holds debt, it is paid at once from that fund, and the rest
  goes on as a normal settlement if the asset allows force settlement. Otherwise the amount waits
  in a force settlement order (1.4.x) for ``force_settlement_delay_sec`` (see
  :mod:`..smartcoin.force_settle`), and is matched at once with margin calls. Payouts from a fund
  pay the collateral fee (the difference to MCOP) and the backing asset's market fee.
- ``asset_global_settle``: the issuer settles the asset at a price of its choosing, with the
  ``global_settle`` permission, if the least collateralised position can pay at that price.
- ``bid_collateral``: while the asset is globally settled, offer collateral to take over debt;
  a new bid replaces the bidder's old one, a bid of zero debt cancels it. Bids are executed or
  refunded at maintenance (:mod:`..smartcoin.revival`).

graphex checks in ``evaluate`` what core finds only while applying (a payout rounding to nothing,
a balance that cannot pay both the fee and the amount), so ``apply`` cannot fail; and it refuses a
global settlement price that is not positive or not in the backing asset, which core would
accept or fail on obscurely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...protocol import ids
from ...protocol.bitasset import BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND
from ...protocol.operations import BidCollateral
from ...protocol.operations.base import (
    VOID_RESULT,
    ExtendableOperationResult,
    OperationResult,
    extendable_result,
)
from ...protocol.operations.smartcoin import AssetGlobalSettle, AssetSettle
from ...protocol.types import Asset, Price
from ..asset_rules import is_authorized_asset
from ..errors import (
    ChainError,
    InsufficientBalance,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from ..invariant import invariant
from ..market.fees import pay_market_fees
from ..market.price import mul_down, mul_up
from ..objects import AssetObject
from ..smartcoin.feeds import update_bitasset_current_feed
from ..smartcoin.force_settle import apply_force_settlement
from ..smartcoin.margin import check_call_orders
from ..smartcoin.objects import AssetBitassetData, CollateralBid, ForceSettlement
from ..smartcoin.positions import bitasset_of, least_collateralized
from ..smartcoin.prices import bitasset_mcop, is_null, price_eq
from ..smartcoin.revival import cancel_bid
from ..smartcoin.settlement import globally_settle_asset, individual_settlement_price
from ..state import ChainState
from .base import Evaluator, register
from .checks import check_fee, check_positive
from .market import require_funds

DISABLE_FORCE_SETTLE, GLOBAL_SETTLE, DISABLE_COLLATERAL_BIDDING = 0x10, 0x20, 0x8000


class SettlementError(ChainError):
    """A settlement or collateral bid refused by the smartcoin's rules."""

    rule = "settlement"


def _smartcoin(state: ChainState, asset_id: ids.ObjectId, rule: str, purpose: str
               ) -> tuple[AssetObject, AssetBitassetData]:
    try:
        asset = state.asset(asset_id)
    except UnknownObjectError as exc:
        raise UnknownObjectError(f"{rule}: {exc}") from None
    if asset.bitasset_data_id is None:
        raise SettlementError(
            f"{rule}: {asset.symbol} ({asset.id}) is not a market-pegged asset; {purpose}")
    return asset, bitasset_of(state, asset)


def _require_authorized(state: ChainState, account: ids.ObjectId, assets: tuple[AssetObject, ...],
                        rule: str) -> None:
    for asset in assets:
        if not is_authorized_asset(state, state.account(account), asset):
            raise PermissionError_(
                f"{rule}: account {state.describe_account(account)} is not authorized to "
                f"transact {asset.symbol} (asset whitelist/blacklist)")


def settled_to_fund(data: AssetBitassetData) -> bool:
    """core's ``is_individually_settled_to_fund``."""
    return data.individual_settlement_debt != 0 and \
        data.options.black_swan_response_method == BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND


# --- asset_settle -------------------------------------------------------------------------------
RULE_SETTLE = "asset_settle"


@dataclass(frozen=True, slots=True)
class _SettlePlan:
    asset: AssetObject
    data: AssetBitassetData
    from_fund: tuple[int, int] | None
    """(smartcoin paid, collateral paid out) from the global settlement fund."""
    from_pool: tuple[int, int] | None
    """(smartcoin paid, collateral paid out) from the individual settlement fund."""


def _too_small(state: ChainState, amount: Asset) -> SettlementError:
    return SettlementError(f"{RULE_SETTLE}: settling {state.fmt_asset(amount)} is too small to "
                           f"receive anything due to rounding")


def _fund_payout(state: ChainState, asset: AssetObject, data: AssetBitassetData,
                 amount: Asset) -> tuple[int, int]:
    """What a holder pays and gets from the global settlement fund (all of it for the whole
    supply; else at the settlement price, rounded down, paying only what that is worth)."""
    supply = state.asset_dynamic(asset).current_supply
    if amount.amount == supply:
        return amount.amount, data.settlement_fund
    settled = mul_down(amount.amount, asset.id, data.settlement_price).amount
    invariant(settled <= data.settlement_fund,
              f"{asset.symbol}: settling {amount.amount} would take {settled} from a settlement "
              f"fund of {data.settlement_fund}")
    if settled == 0:
        if not data.is_prediction_market:
            raise _too_small(state, amount)
        return amount.amount, 0
    backing = data.options.short_backing_asset
    return mul_up(settled, backing, data.settlement_price).amount, settled


def _pool_payout(state: ChainState, data: AssetBitassetData, amount: Asset) -> tuple[int, int]:
    """What a holder pays and gets from the individual settlement fund (all of it when the
    amount covers its debt)."""
    if amount.amount >= data.individual_settlement_debt:
        return data.individual_settlement_debt, data.individual_settlement_fund
    price = individual_settlement_price(data)
    settled = mul_down(amount.amount, data.asset_id, price).amount
    if settled == 0:
        raise _too_small(state, amount)
    return mul_up(settled, data.options.short_backing_asset, price).amount, settled


def _collateral_fee(state: ChainState, asset: AssetObject, data: AssetBitassetData, pays: int,
                    settled: int) -> int | None:
    """A payout better than at MCOP leaves the difference to the asset as a collateral fee
    (core's ``pay_collateral_fees``, hard fork core-2591); None when there is no such fee."""
    if data.is_prediction_market or is_null(data.current_feed.settlement_price):
        return None
    by_mcop = mul_up(pays, asset.id, bitasset_mcop(data)).amount
    if by_mcop >= settled:
        return None
    fee = settled - by_mcop
    with state.db.modify(state.asset_dynamic(asset)) as d:
        d.accumulated_collateral_fees += fee
    return fee


def _pay_out(state: ChainState, account: ids.ObjectId, asset: AssetObject,
             data: AssetBitassetData, pays: int, settled: int) -> ExtendableOperationResult:
    """Burn ``pays`` and give ``settled`` collateral less the collateral and market fees."""
    backing = data.options.short_backing_asset
    state.adjust_balance(account, asset.id, -pays)
    with state.db.modify(state.asset_dynamic(asset)) as d:
        d.current_supply -= pays
    collateral_fee, market_fee = None, 0
    if settled > 0:
        collateral_fee = _collateral_fee(state, asset, data, pays, settled)
        settled -= collateral_fee or 0
        market_fee = pay_market_fees(state, account, state.asset(backing), settled, False)
        settled -= market_fee
        state.adjust_balance(account, backing, settled)
    fees = (Asset(market_fee, backing),) if collateral_fee is None else \
        (Asset(collateral_fee, backing), Asset(market_fee, backing))
    return ExtendableOperationResult(paid=(Asset(pays, asset.id),),
                                     received=(Asset(settled, backing),), fees=fees)


@register
class AssetSettleEvaluator(Evaluator[AssetSettle]):
    operation = AssetSettle

    def validate(self, op: AssetSettle) -> None:
        check_fee(op.fee)
        if op.amount.amount < 0:
            raise ValidationError(f"{RULE_SETTLE}: amount must not be negative, got "
                                  f"{op.amount.amount}")

    def evaluate(self, state: ChainState, op: AssetSettle) -> Any:
        rule = RULE_SETTLE
        asset, data = _smartcoin(state, op.amount.asset_id, rule,
                                 "only smartcoins and prediction markets can be settled")
        settled, pool = data.has_settlement(), settled_to_fund(data)
        if asset.options.flags & DISABLE_FORCE_SETTLE and not settled and not pool:
            raise SettlementError(
                f"{rule}: force settlement of {asset.symbol} is disabled (flag "
                f"disable_force_settle) and there is no settlement fund to pay from")
        if data.is_prediction_market:
            if not settled:
                raise SettlementError(f"{rule}: prediction market {asset.symbol} can only be "
                                      f"settled after its global settlement")
        elif is_null(data.current_feed.settlement_price) and not settled and not pool:
            raise SettlementError(f"{rule}: {asset.symbol} has no price feed (too few live "
                                  f"feeds) and no settlement fund; it cannot be settled now")
        require_funds(state, op.account, op.amount, op.fee, rule)
        backing = state.asset(data.options.short_backing_asset)
        _require_authorized(state, op.account, (asset, backing), rule)
        from_fund = _fund_payout(state, asset, data, op.amount) if settled else None
        from_pool = _pool_payout(state, data, op.amount) if pool and not settled else None
        return _SettlePlan(asset, data, from_fund, from_pool)

    def apply(self, state: ChainState, op: AssetSettle, plan: Any) -> OperationResult:
        asset, data = plan.asset, plan.data
        if plan.from_fund is not None:
            pays, settled = plan.from_fund
            with state.db.modify(data) as d:
                d.settlement_fund -= settled
            return extendable_result(_pay_out(state, op.account, asset, data, pays, settled))
        result = ExtendableOperationResult()
        to_settle = op.amount.amount
        if plan.from_pool is not None:
            result = self._pay_from_pool(state, op.account, asset, data, *plan.from_pool)
            if settled_to_fund(data) or asset.options.flags & DISABLE_FORCE_SETTLE:
                return extendable_result(result)
            to_settle -= plan.from_pool[0]
        if to_settle == 0 or is_null(data.current_feed.settlement_price):
            return extendable_result(result)
        state.adjust_balance(op.account, asset.id, -to_settle)
        settle = state.db.create(
            ForceSettlement, owner=op.account, balance=Asset(to_settle, asset.id),
            settlement_date=state.head_time + data.options.force_settlement_delay_sec)
        new_objects = (settle.id,)
        apply_force_settlement(state, settle, asset, data)
        return extendable_result(ExtendableOperationResult(
            new_objects=new_objects, paid=result.paid, received=result.received, fees=result.fees))

    @staticmethod
    def _pay_from_pool(state: ChainState, account: ids.ObjectId, asset: AssetObject,
                       data: AssetBitassetData, pays: int, settled: int
                       ) -> ExtendableOperationResult:
        with state.db.modify(data) as d:
            d.individual_settlement_debt -= pays
            d.individual_settlement_fund -= settled
        result = _pay_out(state, account, asset, data, pays, settled)
        old_price = data.current_feed.settlement_price
        update_bitasset_current_feed(state, data, skip_median_update=True)
        if data.individual_settlement_debt == 0 and \
                not price_eq(old_price, data.current_feed.settlement_price):
            check_call_orders(state, asset, allow_black_swan=True)
        return result


# --- asset_global_settle ------------------------------------------------------------------------
RULE_GLOBAL = "asset_global_settle"


@register
class AssetGlobalSettleEvaluator(Evaluator[AssetGlobalSettle]):
    operation = AssetGlobalSettle

    def validate(self, op: AssetGlobalSettle) -> None:
        check_fee(op.fee)
        price = op.settle_price
        if price.base.asset_id != op.asset_to_settle:
            raise ValidationError(
                f"{RULE_GLOBAL}: settle_price.base is in {price.base.asset_id}, not in the asset "
                f"to settle {op.asset_to_settle}")
        check_positive(price.base, f"{RULE_GLOBAL}: settle_price.base")
        check_positive(price.quote, f"{RULE_GLOBAL}: settle_price.quote")

    def evaluate(self, state: ChainState, op: AssetGlobalSettle) -> Any:
        rule = RULE_GLOBAL
        asset, data = _smartcoin(state, op.asset_to_settle, rule,
                                 "only market-pegged assets can be globally settled")
        if not asset.options.issuer_permissions & GLOBAL_SETTLE:
            raise PermissionError_(
                f"{rule}: the global_settle permission of {asset.symbol} is disabled")
        if asset.issuer != op.issuer:
            raise PermissionError_(
                f"{rule}: only the issuer {state.describe_account(asset.issuer)} of "
                f"{asset.symbol} may globally settle it, not {state.describe_account(op.issuer)}")
        if state.asset_dynamic(asset).current_supply == 0:
            raise SettlementError(f"{rule}: {asset.symbol} has no supply to settle")
        if data.has_settlement():
            raise SettlementError(f"{rule}: {asset.symbol} is already globally settled")
        backing = data.options.short_backing_asset
        if op.settle_price.quote.asset_id != backing:
            raise SettlementError(
                f"{rule}: settle_price.quote is in {op.settle_price.quote.asset_id}, not in "
                f"{asset.symbol}'s backing asset {backing}")
        worst = least_collateralized(state.db, data)
        if worst is not None:
            needed = mul_down(worst.debt, asset.id, op.settle_price).amount
            if needed > worst.collateral:
                raise SettlementError(
                    f"{rule}: cannot settle {asset.symbol} at {state.fmt_asset(op.settle_price.base)}"
                    f" per {state.fmt_asset(op.settle_price.quote)}: the least collateralized "
                    f"position {worst.id} owes {state.fmt(worst.debt, asset.id)} worth "
                    f"{state.fmt(needed, backing)} but holds {state.fmt(worst.collateral, backing)}")
        return asset

    def apply(self, state: ChainState, op: AssetGlobalSettle, plan: Any) -> OperationResult:
        globally_settle_asset(state, plan, op.settle_price)
        return VOID_RESULT


# --- bid_collateral -----------------------------------------------------------------------------
RULE_BID = "bid_collateral"


@register
class BidCollateralEvaluator(Evaluator[BidCollateral]):
    operation = BidCollateral

    def validate(self, op: BidCollateral) -> None:
        check_fee(op.fee)
        debt, collateral = op.debt_covered.amount, op.additional_collateral.amount
        if debt != 0 and not (debt > 0 and collateral > 0):
            raise ValidationError(
                f"{RULE_BID}: a bid covers a positive debt with positive collateral (or covers "
                f"0 to cancel); got debt {debt}, collateral {collateral}")

    def evaluate(self, state: ChainState, op: BidCollateral) -> Any:
        rule = RULE_BID
        asset, data = _smartcoin(state, op.debt_covered.asset_id, rule,
                                 "only a collateralized asset's debt can be covered")
        if asset.options.flags & DISABLE_COLLATERAL_BIDDING:
            raise PermissionError_(f"{rule}: collateral bidding is disabled for {asset.symbol}")
        if not data.has_settlement():
            raise SettlementError(
                f"{rule}: cannot bid on {asset.symbol}: it is not globally settled")
        backing = data.options.short_backing_asset
        if op.additional_collateral.asset_id != backing:
            raise ValidationError(
                f"{rule}: additional_collateral is in {op.additional_collateral.asset_id}, not in "
                f"{asset.symbol}'s backing asset {backing}")
        if data.is_prediction_market:
            raise SettlementError(f"{rule}: cannot bid on prediction market {asset.symbol}")
        existing = next((b for b in state.db.group(CollateralBid, "by_asset").equal(asset.id)
                         if b.bidder == op.bidder), None)
        if existing is None and op.debt_covered.amount == 0:
            raise SettlementError(f"{rule}: {state.describe_account(op.bidder)} has no bid on "
                                  f"{asset.symbol} to cancel")
        if op.additional_collateral.amount > 0:
            self._check_balance(state, op, existing)
        _require_authorized(state, op.bidder, (asset, state.asset(backing)), rule)
        return existing

    @staticmethod
    def _check_balance(state: ChainState, op: BidCollateral, existing: CollateralBid | None
                       ) -> None:
        collateral = op.additional_collateral
        locked = 0 if existing is None else existing.inv_swan_price.base.amount
        needed = collateral.amount - locked
        if op.debt_covered.amount > 0 and op.fee.asset_id == collateral.asset_id:
            needed += op.fee.amount
        have = state.balance(op.bidder, collateral.asset_id)
        if have < needed:
            raise InsufficientBalance(
                f"{RULE_BID}: insufficient balance: account {state.describe_account(op.bidder)} "
                f"has {state.fmt(have, collateral.asset_id)}, needs "
                f"{state.fmt(needed, collateral.asset_id)} more to bid "
                f"{state.fmt_asset(collateral)}")

    def apply(self, state: ChainState, op: BidCollateral, plan: Any) -> OperationResult:
        if plan is not None:
            cancel_bid(state, plan, virtual_op=False)
        if op.debt_covered.amount == 0:
            return VOID_RESULT
        collateral = op.additional_collateral
        state.adjust_balance(op.bidder, collateral.asset_id, -collateral.amount)
        state.db.create(CollateralBid, bidder=op.bidder,
                        inv_swan_price=Price(collateral, op.debt_covered))
        return VOID_RESULT
