"""limit_order_create (1), limit_order_cancel (2), limit_order_update (77).

As core's ``market_evaluator.cpp``: an order sells an amount of one asset for at least an amount of
another; the creation fee is held on the order (deferred) until its first fill or cancellation.
The new (or updated) order is matched at once (:mod:`..market.matching`); under ``fill_or_kill``
an order not completely filled refuses the whole transaction. Take-profit ``on_fill`` actions
(OSO) are not supported yet and are refused.
"""

from __future__ import annotations

from typing import Any

from ...protocol import ids
from ...protocol.codec import format_time
from ...protocol.operations import LimitOrderCancel, LimitOrderCreate, LimitOrderUpdate
from ...protocol.operations.base import VOID_RESULT, OperationResult, asset_result, object_result
from ...protocol.types import Asset, Price
from ..asset_rules import is_authorized_asset
from ..errors import (
    InsufficientBalance,
    NotSupported,
    OrderError,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from ..fees import FeePlan
from ..market.matching import apply_order
from ..market.objects import LimitOrder
from ..market.orders import (
    add_core_in_orders,
    cancel_limit_order,
    refund_deferred_fee,
    update_cancel_fee,
)
from ..market.price import mul_down
from ..objects import AssetObject
from ..state import ChainState
from .base import Evaluator, register
from .checks import check_fee, check_positive


def check_market(state: ChainState, seller: ids.ObjectId, sell: AssetObject,
                 receive: AssetObject, rule: str) -> None:
    """The sold asset's market white/blacklists and both assets' account white/blacklists."""
    options = sell.options
    if options.whitelist_markets and receive.id not in options.whitelist_markets:
        raise PermissionError_(
            f"{rule}: {sell.symbol} may only be traded against its whitelisted markets; "
            f"{receive.symbol} is not one of them"
        )
    if receive.id in options.blacklist_markets:
        raise PermissionError_(f"{rule}: {sell.symbol} has blacklisted the {receive.symbol} market")
    account = state.account(seller)
    for asset, role in ((sell, "sell"), (receive, "receive")):
        if not is_authorized_asset(state, account, asset):
            raise PermissionError_(
                f"{rule}: account {state.describe_account(seller)} is not authorized to {role} "
                f"{asset.symbol} (asset whitelist/blacklist)"
            )


def check_expiration(state: ChainState, expiration: int, rule: str) -> None:
    if expiration < state.head_time:
        raise ValidationError(
            f"{rule}: expiration {format_time(expiration)} is in the past (head block time "
            f"{format_time(state.head_time)})"
        )


def require_funds(state: ChainState, owner: ids.ObjectId, amount: Asset, fee: Asset,
                  rule: str) -> None:
    """The owner holds ``amount`` (plus the fee when paid in the same asset)."""
    needed = amount.amount + (fee.amount if fee.asset_id == amount.asset_id else 0)
    have = state.balance(owner, amount.asset_id)
    if have < needed:
        extra = f" plus the fee {state.fmt_asset(fee)}" if needed != amount.amount else ""
        raise InsufficientBalance(
            f"{rule}: insufficient balance: account {state.describe_account(owner)} has "
            f"{state.fmt(have, amount.asset_id)}, needs {state.fmt_asset(amount)}{extra}"
        )


def _deferred(fee_plan: FeePlan) -> tuple[int, Asset]:
    paid = fee_plan.fee if fee_plan.fee.asset_id != ids.CORE_ASSET else Asset(0, ids.CORE_ASSET)
    return fee_plan.core_fee_paid, paid


@register
class LimitOrderCreateEvaluator(Evaluator[LimitOrderCreate]):
    operation = LimitOrderCreate
    defers_fee = True

    def validate(self, op: LimitOrderCreate) -> None:
        check_fee(op.fee)
        check_positive(op.amount_to_sell, "limit_order_create: amount_to_sell")
        check_positive(op.min_to_receive, "limit_order_create: min_to_receive")
        if op.amount_to_sell.asset_id == op.min_to_receive.asset_id:
            raise ValidationError(
                f"limit_order_create: amount_to_sell and min_to_receive are the same asset "
                f"{op.amount_to_sell.asset_id}; an order trades one asset for another"
            )
        if op.extensions.on_fill is not None:
            raise NotSupported("limit_order_create: on_fill (take-profit) actions are not supported")

    def evaluate(self, state: ChainState, op: LimitOrderCreate) -> Any:
        rule = "limit_order_create"
        check_expiration(state, op.expiration, rule)
        try:
            sell = state.asset(op.amount_to_sell.asset_id)
            receive = state.asset(op.min_to_receive.asset_id)
        except UnknownObjectError as exc:
            raise UnknownObjectError(f"{rule}: {exc}") from None
        check_market(state, op.seller, sell, receive, rule)
        require_funds(state, op.seller, op.amount_to_sell, op.fee, rule)
        return None

    def apply(self, state: ChainState, op: LimitOrderCreate, plan: Any) -> OperationResult:
        _, fee_plan = plan
        deferred_core, deferred_paid = _deferred(fee_plan)
        sold = op.amount_to_sell
        if sold.asset_id == ids.CORE_ASSET:
            add_core_in_orders(state, op.seller, sold.amount)
        state.adjust_balance(op.seller, sold.asset_id, -sold.amount)
        order = state.db.create(
            LimitOrder,
            expiration=op.expiration,
            seller=op.seller,
            for_sale=sold.amount,
            sell_price=Price(sold, op.min_to_receive),
            deferred_fee=deferred_core,
            deferred_paid_fee=deferred_paid,
        )
        order_id = order.id
        gone = apply_order(state, order)
        if op.fill_or_kill and not gone:
            left = state.db.get(order_id, LimitOrder)
            raise OrderError(
                f"limit_order_create: fill_or_kill order not completely filled: "
                f"{state.fmt(left.for_sale, sold.asset_id)} of {state.fmt_asset(sold)} left "
                f"unmatched at {state.fmt_asset(op.amount_to_sell)} for "
                f"{state.fmt_asset(op.min_to_receive)}"
            )
        return object_result(order_id)


def find_own_order(state: ChainState, order_id: ids.ObjectId, owner: ids.ObjectId,
                   rule: str) -> LimitOrder:
    order = state.db.find(order_id, LimitOrder) if order_id[:2] == ids.LIMIT_ORDER else None
    if order is None:
        raise UnknownObjectError(f"{rule}: limit order {order_id} does not exist (filled, "
                                 f"cancelled or expired)")
    if order.seller != owner:
        raise OrderError(
            f"{rule}: limit order {order_id} belongs to {state.describe_account(order.seller)}, "
            f"not to {state.describe_account(owner)}"
        )
    return order


@register
class LimitOrderCancelEvaluator(Evaluator[LimitOrderCancel]):
    operation = LimitOrderCancel

    def validate(self, op: LimitOrderCancel) -> None:
        check_fee(op.fee)

    def evaluate(self, state: ChainState, op: LimitOrderCancel) -> Any:
        return find_own_order(state, op.order, op.fee_paying_account, "limit_order_cancel")

    def apply(self, state: ChainState, op: LimitOrderCancel, plan: Any) -> OperationResult:
        return asset_result(cancel_limit_order(state, plan, by_chain=False))


@register
class LimitOrderUpdateEvaluator(Evaluator[LimitOrderUpdate]):
    operation = LimitOrderUpdate
    defers_fee = True

    def validate(self, op: LimitOrderUpdate) -> None:
        check_fee(op.fee)
        if (op.new_price is None and op.delta_amount_to_sell is None and op.new_expiration is None
                and op.on_fill is None):  # core counts an on_fill (even empty) as a change
            raise ValidationError("limit_order_update: nothing to update (give a new price, a "
                                  "change of amount or a new expiration)")
        if op.new_price is not None:
            check_positive(op.new_price.base, "limit_order_update: new_price.base")
            check_positive(op.new_price.quote, "limit_order_update: new_price.quote")
        if op.delta_amount_to_sell is not None and op.delta_amount_to_sell.amount == 0:
            raise ValidationError("limit_order_update: delta_amount_to_sell must not be zero")
        if op.on_fill is not None:
            raise NotSupported("limit_order_update: on_fill (take-profit) actions are not supported")

    def evaluate(self, state: ChainState, op: LimitOrderUpdate) -> Any:
        rule = "limit_order_update"
        order = find_own_order(state, op.order, op.seller, rule)
        price = order.sell_price
        if op.new_price is not None:
            new = op.new_price
            if (new.base.asset_id, new.quote.asset_id) != (price.base.asset_id, price.quote.asset_id):
                raise ValidationError(
                    f"{rule}: new_price trades {new.base.asset_id} for {new.quote.asset_id}, the "
                    f"order trades {price.base.asset_id} for {price.quote.asset_id}"
                )
            ceiling = max(order.for_sale, price.base.amount)
            if op.delta_amount_to_sell is not None:
                ceiling += op.delta_amount_to_sell.amount
            if new.base.amount > ceiling:
                raise ValidationError(
                    f"{rule}: new_price.base {new.base.amount} is greater than the most the order "
                    f"can sell ({ceiling})"
                )
        new_amount = order.for_sale
        if op.delta_amount_to_sell is not None:
            delta = op.delta_amount_to_sell
            if delta.asset_id != price.base.asset_id:
                raise ValidationError(
                    f"{rule}: delta_amount_to_sell is in {delta.asset_id}, the order sells "
                    f"{price.base.asset_id}"
                )
            if delta.amount < 0 and order.for_sale <= -delta.amount:
                raise OrderError(
                    f"{rule}: cannot take {state.fmt(-delta.amount, delta.asset_id)} out of an order "
                    f"with {state.fmt(order.for_sale, delta.asset_id)} for sale; cancel it instead"
                )
            if delta.amount > 0:
                require_funds(state, op.seller, delta, op.fee, rule)
            new_amount += delta.amount
        new_price = op.new_price if op.new_price is not None else price
        if mul_down(new_amount, new_price.base.asset_id, new_price).amount == 0:
            raise OrderError(f"{rule}: the order would become too small to receive anything; "
                             f"cancel it instead")
        if op.new_expiration is not None:
            check_expiration(state, op.new_expiration, rule)
        sell, receive = state.asset(price.base.asset_id), state.asset(price.quote.asset_id)
        check_market(state, op.seller, sell, receive, rule)
        return order

    def apply(self, state: ChainState, op: LimitOrderUpdate, plan: Any) -> OperationResult:
        order, fee_plan = plan
        delta = op.delta_amount_to_sell
        if delta is not None:
            state.adjust_balance(op.seller, delta.asset_id, -delta.amount)
            if delta.asset_id == ids.CORE_ASSET:
                add_core_in_orders(state, op.seller, delta.amount)
        refund_deferred_fee(state, order, update_cancel_fee(state))
        deferred_core, deferred_paid = _deferred(fee_plan)
        with state.db.modify(order) as o:
            if op.new_price is not None:
                o.sell_price = op.new_price
            if delta is not None:
                o.for_sale += delta.amount
            if op.new_expiration is not None:
                o.expiration = op.new_expiration
            o.deferred_fee = deferred_core
            o.deferred_paid_fee = deferred_paid
        apply_order(state, order)
        return VOID_RESULT
