"""Futures trading operations (SPEC §7): margin_deposit (102), margin_withdraw (103),
futures_order_create (104), futures_order_cancel (105). Products (100, 101) are in
``futures_product.py``; the market itself in ``graphex/chain/futures``.

- A deposit moves the account's own balance into its margin account in that asset (opened on
  first use); a withdrawal moves back at most the free margin (equity less the initial margin of
  the positions and what open orders lock, and never more than the unlocked balance).
- An order names its series by product and month. A month in the future that has not listed yet
  is a pre-order (:class:`SeriesNotListed`, which a node keeps waiting); a delivered or never
  listable month is unknown. Orders and cancels are refused from the series' cutoff (23:30:00 UTC
  on its last day) by the head block time, BitShares' clock for every time rule.
- The order locks initial margin for the lots that open or increase the position; the lots that
  reduce it lock nothing. Then it matches (``futures/matching.py``); immediate-or-cancel drops its
  rest, post-only refuses to take, reduce-only refuses to increase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...protocol.codec import format_time
from ...protocol.operations.base import VOID_RESULT, OperationResult, object_result
from ...protocol.operations.futures import (
    IMMEDIATE_OR_CANCEL,
    LONG,
    ORDER_FLAGS,
    POST_ONLY,
    REASON_IMMEDIATE_OR_CANCEL,
    REDUCE_ONLY,
    SHORT,
    FuturesOrderCancel,
    FuturesOrderCreate,
    MarginDeposit,
    MarginWithdraw,
)
from ..errors import InsufficientBalance, PermissionError_, UnknownObjectError, ValidationError
from ..futures.accounts import account_risk, change_balance, margin_account, open_margin_account
from ..futures.calendar import month_of, valid_month
from ..futures.errors import (
    InsufficientMargin,
    OrderRuleError,
    SeriesNotListed,
    TradingClosed,
    UnknownSeries,
)
from ..futures.matching import (
    best_order,
    crosses,
    match_order,
    order_lock,
    reducible_lots,
    remove_order,
)
from ..futures.names import price_text, series_label
from ..futures.objects import DELIVERED, FuturesOrder, FuturesProduct, FuturesSeries, MarginAccount
from ..futures.risk import rekey
from ..state import ChainState
from .asset_checks import require_authorized
from .base import Evaluator, register
from .checks import check_fee, check_positive

MAX_LOTS = 10**9
MAX_PRICE_TICKS = 10**15


def find_series(state: ChainState, product_id: Any, month: int) -> FuturesSeries:
    """The trading series of ``product_id`` for ``month``, or the refusal that applies."""
    product = state.db.find(product_id, FuturesProduct)
    if product is None:
        raise UnknownSeries(f"futures order: no futures product {product_id}")
    label = series_label(state, product.underlying, product.quote, month)
    series: FuturesSeries | None = state.db.index(FuturesSeries, "by_month").get(
        (product.id, month))
    if series is None:
        if month < month_of(state.head_time):
            raise UnknownSeries(f"futures order: series {label} is past; it was never listed")
        raise SeriesNotListed(
            f"futures order: series {label} is not listed yet (it lists with the first block "
            f"of the month that makes it one of the four trading months); the transaction "
            f"waits until then or until it expires")
    if series.status == DELIVERED:
        raise UnknownSeries(f"futures order: series {label} was delivered at "
                            f"{format_time(series.delivery_time)}")
    if state.head_time >= series.cutoff_time:
        raise TradingClosed(
            f"futures order: trading in {label} closed at {format_time(series.cutoff_time)} UTC "
            f"(30 minutes before delivery); the chain's time is {format_time(state.head_time)}")
    return series


@register
class MarginDepositEvaluator(Evaluator[MarginDeposit]):
    operation = MarginDeposit

    def validate(self, op: MarginDeposit) -> None:
        check_fee(op.fee)
        check_positive(op.amount, "margin deposit")

    def evaluate(self, state: ChainState, op: MarginDeposit) -> Any:
        state.account(op.account)
        asset = state.asset(op.amount.asset_id)
        require_authorized(state, op.account, asset, "margin deposit")
        state.require_balance(op.account, op.amount)
        return None

    def apply(self, state: ChainState, op: MarginDeposit, plan: Any) -> OperationResult:
        state.adjust_balance(op.account, op.amount.asset_id, -op.amount.amount)
        margin = open_margin_account(state, op.account, op.amount.asset_id)
        change_balance(state, margin, op.amount.amount)
        rekey(state, margin)
        return object_result(margin.id)


@register
class MarginWithdrawEvaluator(Evaluator[MarginWithdraw]):
    operation = MarginWithdraw

    def validate(self, op: MarginWithdraw) -> None:
        check_fee(op.fee)
        check_positive(op.amount, "margin withdrawal")

    def evaluate(self, state: ChainState, op: MarginWithdraw) -> MarginAccount:
        state.account(op.account)
        asset = state.asset(op.amount.asset_id)
        margin = margin_account(state, op.account, asset.id)
        if margin is None:
            raise InsufficientBalance(
                f"margin withdrawal: {state.describe_account(op.account)} has no margin account "
                f"in {asset.symbol}")
        risk = account_risk(state, margin)
        if op.amount.amount > risk.free:
            raise InsufficientMargin(
                f"margin withdrawal: {state.fmt_asset(op.amount)} exceeds the free margin "
                f"{state.fmt(max(risk.free, 0), asset.id)} (balance "
                f"{state.fmt(risk.balance, asset.id)}, locked by orders "
                f"{state.fmt(risk.locked, asset.id)}, initial margin of positions "
                f"{state.fmt(risk.initial, asset.id)}, equity {state.fmt(risk.equity, asset.id)})")
        return margin

    def apply(self, state: ChainState, op: MarginWithdraw, plan: MarginAccount) -> OperationResult:
        change_balance(state, plan, -op.amount.amount)
        state.adjust_balance(op.account, op.amount.asset_id, op.amount.amount)
        rekey(state, plan)
        return VOID_RESULT


@dataclass(frozen=True, slots=True)
class _OrderPlan:
    series: FuturesSeries
    open_lots: int
    lock: int


@register
class FuturesOrderCreateEvaluator(Evaluator[FuturesOrderCreate]):
    operation = FuturesOrderCreate

    def validate(self, op: FuturesOrderCreate) -> None:
        check_fee(op.fee)
        if op.side not in (LONG, SHORT):
            raise ValidationError(f"futures order: side must be 0 (long) or 1 (short), got {op.side}")
        if not 1 <= op.lots <= MAX_LOTS:
            raise ValidationError(
                f"futures order: lots must be a whole number from 1 to {MAX_LOTS}, got {op.lots}")
        if not 1 <= op.price <= MAX_PRICE_TICKS:
            raise ValidationError(
                f"futures order: price must be 1 to {MAX_PRICE_TICKS} ticks of 0.000001, "
                f"got {op.price}")
        if op.flags & ~ORDER_FLAGS:
            raise ValidationError(f"futures order: unknown flags {op.flags:#x}")
        if op.flags & POST_ONLY and op.flags & IMMEDIATE_OR_CANCEL:
            raise ValidationError("futures order: post-only and immediate-or-cancel exclude "
                                  "each other")
        if not valid_month(op.delivery_month):
            raise ValidationError(
                f"futures order: delivery month {op.delivery_month} is not YYYYMM")

    def evaluate(self, state: ChainState, op: FuturesOrderCreate) -> _OrderPlan:
        state.account(op.account)
        series = find_series(state, op.product, op.delivery_month)
        if op.expiration <= state.head_time:
            raise ValidationError(
                f"futures order: expiration {format_time(op.expiration)} is not after the "
                f"chain's time {format_time(state.head_time)}")
        require_authorized(state, op.account, state.asset(series.quote), "futures order")
        reducible = reducible_lots(state, op.account, series.id, op.side)
        if op.flags & REDUCE_ONLY and op.lots > reducible:
            raise OrderRuleError(
                f"futures order: reduce-only order for {op.lots} lots would increase the "
                f"position: only {reducible} lots can still be reduced")
        if op.flags & POST_ONLY:
            best = best_order(state, series.id, 1 - op.side)
            if best is not None and crosses(op.side, op.price, best.price):
                raise OrderRuleError(
                    f"futures order: post-only order at {price_text(op.price)} would take the "
                    f"resting order {best.id} at {price_text(best.price)}")
        open_lots = op.lots - min(op.lots, reducible)
        lock = order_lock(series, open_lots, op.price)
        if lock:
            margin = margin_account(state, op.account, series.quote)
            free = account_risk(state, margin).free if margin is not None else 0
            if lock > free:
                quote = series.quote
                raise InsufficientMargin(
                    f"futures order: opening {open_lots} lots at {price_text(op.price)} needs "
                    f"initial margin {state.fmt(lock, quote)}; free margin is "
                    f"{state.fmt(max(free, 0), quote)} (deposit with margin_deposit)")
        return _OrderPlan(series, open_lots, lock)

    def apply(self, state: ChainState, op: FuturesOrderCreate, plan: _OrderPlan
              ) -> OperationResult:
        series = plan.series
        margin = open_margin_account(state, op.account, series.quote)
        if plan.lock:
            with state.db.modify(margin) as m:
                m.locked += plan.lock
        order = state.db.create(
            FuturesOrder, account=op.account, series=series.id, quote=series.quote, side=op.side,
            price=op.price, lots=op.lots, open_lots=plan.open_lots, locked=plan.lock,
            flags=op.flags, expiration=op.expiration)
        touched: dict[Any, MarginAccount] = {margin.id: margin}
        match_order(state, series, order, touched)
        live = state.db.find(order.id, FuturesOrder)
        if live is not None and op.flags & IMMEDIATE_OR_CANCEL:
            remove_order(state, live, REASON_IMMEDIATE_OR_CANCEL)
        for margin_id in sorted(touched):
            found = state.db.find(margin_id, MarginAccount)
            if found is not None:
                rekey(state, found)
        return object_result(order.id)


@register
class FuturesOrderCancelEvaluator(Evaluator[FuturesOrderCancel]):
    operation = FuturesOrderCancel

    def validate(self, op: FuturesOrderCancel) -> None:
        check_fee(op.fee)

    def evaluate(self, state: ChainState, op: FuturesOrderCancel) -> FuturesOrder:
        order = state.db.find(op.order, FuturesOrder)
        if order is None:
            raise UnknownObjectError(f"futures order cancel: no open futures order {op.order}")
        if order.account != op.account:
            raise PermissionError_(
                f"futures order cancel: order {op.order} belongs to "
                f"{state.describe_account(order.account)}, not "
                f"{state.describe_account(op.account)}")
        series = state.db.get(order.series, FuturesSeries)
        if state.head_time >= series.cutoff_time:
            label = series_label(state, series.underlying, series.quote, series.delivery_month)
            raise TradingClosed(
                f"futures order cancel: trading in {label} closed at "
                f"{format_time(series.cutoff_time)} UTC; open orders are cancelled at delivery")
        return order

    def apply(self, state: ChainState, op: FuturesOrderCancel, plan: FuturesOrder
              ) -> OperationResult:
        margin = margin_account(state, plan.account, plan.quote)
        remove_order(state, plan, None)
        if margin is not None:
            rekey(state, margin)
        return VOID_RESULT

