"""call_order_update (3): borrow a smartcoin against collateral, repay it, add or remove
collateral — one debt position per account and smartcoin (core: ``call_order_update_evaluator``
in market_evaluator.cpp, every hard fork passed; ``reference/bitshares.md`` §3.4).

- The debt asset is market-pegged, not globally settled; the collateral is its backing asset;
  new debt needs the ``disable_new_supply`` flag off and keeps the supply within ``[0, max_supply]``;
  the account may hold both assets (white/black lists); a feed is needed, except to close.
- A new position has both deltas positive; an updated one keeps collateral and debt positive, or
  brings both to zero (closed: the collateral goes back). A prediction market borrows 1:1.
- The debt issued or repaid changes the smartcoin's supply; core collateral counts in the
  borrower's ``total_core_in_orders``. ``target_collateral_ratio`` is replaced by the operation's
  (absent clears it).
- The position may not be born (or left) below the squeeze price — collateral/debt under
  ``~MSSP`` of the median feed — unless the update only raises its ratio without adding debt.
- Then margin calls run (no black swan allowed). Afterwards the position must be gone (filled),
  or have raised its ratio without adding debt, or be above the initial collateralization
  (ICR, else MCR). These last rules depend on the matching, so they are checked in ``apply`` and
  refuse the operation there (the transaction's undo session takes everything back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...protocol import ids
from ...protocol.bitasset import BSRM_NO_SETTLEMENT
from ...protocol.operations import CallOrderUpdate
from ...protocol.operations.base import OperationResult, object_result
from ...protocol.types import Asset, Price
from ..asset_rules import is_authorized_asset
from ..errors import ChainError, InsufficientBalance, UnknownObjectError, ValidationError
from ..invariant import invariant
from ..market.orders import add_core_in_orders
from ..objects import AssetDynamicData, AssetObject
from ..smartcoin.margin import check_call_orders
from ..smartcoin.objects import AssetBitassetData, CallOrder
from ..smartcoin.positions import bitasset_of
from ..smartcoin.prices import collateralization, compare, invert, is_null, max_short_squeeze_price
from ..state import ChainState
from .base import Evaluator, register
from .checks import check_fee

RULE = "call_order_update"
DISABLE_NEW_SUPPLY = 0x400


class DebtPositionError(ChainError):
    """A debt position update refused by the smartcoin's rules."""

    rule = "debt position"


class NoPriceFeed(DebtPositionError):
    """Borrowing a smartcoin that has no price feed (core's ``insufficient_feeds``)."""

    rule = "price feed"


@dataclass(frozen=True, slots=True)
class _Plan:
    asset: AssetObject
    bitasset: AssetBitassetData
    dynamic: AssetDynamicData
    call: CallOrder | None
    new_collateral: int
    new_debt: int
    increasing_cr: bool = False
    """An update raising collateral/debt without adding debt (allowed even below ICR); taken
    before ``apply`` changes the position."""

    @property
    def closing(self) -> bool:
        return self.call is not None and self.new_debt == 0



def _ratio_text(collateral: int, debt: int) -> str:
    return f"{collateral}/{debt} (collateral/debt)"


@register
class CallOrderUpdateEvaluator(Evaluator[CallOrderUpdate]):
    operation = CallOrderUpdate

    def validate(self, op: CallOrderUpdate) -> None:
        check_fee(op.fee)
        if op.delta_collateral.asset_id == op.delta_debt.asset_id:
            raise ValidationError(
                f"{RULE}: delta_collateral and delta_debt are the same asset "
                f"{op.delta_debt.asset_id}; collateral backs a different asset"
            )
        if op.delta_collateral.amount == 0 and op.delta_debt.amount == 0:
            raise ValidationError(f"{RULE}: delta_collateral and delta_debt are both zero")

    def evaluate(self, state: ChainState, op: CallOrderUpdate) -> Any:
        asset = _debt_asset(state, op)
        dyn = state.asset_dynamic(asset)
        new_supply = dyn.current_supply + op.delta_debt.amount
        if new_supply > asset.options.max_supply:
            raise DebtPositionError(
                f"{RULE}: borrowing {state.fmt_asset(op.delta_debt)} would bring the supply of "
                f"{asset.symbol} to {state.fmt(new_supply, asset.id)}, above its maximum "
                f"{state.fmt(asset.options.max_supply, asset.id)}"
            )
        if new_supply < 0:
            raise DebtPositionError(
                f"{RULE}: repaying {state.fmt(-op.delta_debt.amount, asset.id)} would bring the "
                f"supply of {asset.symbol} below zero (it is {state.fmt(dyn.current_supply, asset.id)})"
            )
        bitasset = bitasset_of(state, asset)
        if bitasset.has_settlement():
            raise DebtPositionError(
                f"{RULE}: {asset.symbol} is globally settled; debt positions cannot be updated"
            )
        backing = bitasset.options.short_backing_asset
        if op.delta_collateral.asset_id != backing:
            raise DebtPositionError(
                f"{RULE}: collateral must be {asset.symbol}'s backing asset {_symbol(state, backing)}, "
                f"got {op.delta_collateral.asset_id}"
            )
        call = state.db.index(CallOrder, "by_account").get((op.funding_account, asset.id))
        plan = _position_change(state, op, asset, bitasset, dyn, call)
        _check_feed_and_authorization(state, op, plan)
        _check_funds(state, op)
        _check_squeeze(state, plan)
        return plan

    def apply(self, state: ChainState, op: CallOrderUpdate, plan: Any) -> OperationResult:
        p: _Plan = plan
        if op.delta_debt.amount:
            state.adjust_balance(op.funding_account, p.asset.id, op.delta_debt.amount)
            with state.db.modify(p.dynamic) as d:
                d.current_supply += op.delta_debt.amount
        if op.delta_collateral.amount:
            collateral = op.delta_collateral
            state.adjust_balance(op.funding_account, collateral.asset_id, -collateral.amount)
            if collateral.asset_id == ids.CORE_ASSET:
                add_core_in_orders(state, op.funding_account, collateral.amount)
        if p.call is not None and p.closing:
            call_id = p.call.id
            state.db.remove(p.call)
            _after_close(state, p)
            return object_result(call_id)
        return object_result(_update_position(state, op, p))


def _debt_asset(state: ChainState, op: CallOrderUpdate) -> AssetObject:
    try:
        asset = state.asset(op.delta_debt.asset_id)
        state.asset(op.delta_collateral.asset_id)
    except UnknownObjectError as exc:
        raise UnknownObjectError(f"{RULE}: {exc}") from None
    if asset.bitasset_data_id is None:
        raise DebtPositionError(
            f"{RULE}: {asset.symbol} is not a market-pegged asset; only smartcoins can be borrowed"
        )
    if op.delta_debt.amount > 0 and asset.options.flags & DISABLE_NEW_SUPPLY:
        raise DebtPositionError(
            f"{RULE}: {asset.symbol} has the disable_new_supply flag; no new debt can be created"
        )
    return asset


def _symbol(state: ChainState, asset_id: ids.ObjectId) -> str:
    return f"{state.asset(asset_id).symbol} ({asset_id})"


def _position_change(state: ChainState, op: CallOrderUpdate, asset: AssetObject,
                     bitasset: AssetBitassetData, dyn: AssetDynamicData,
                     call: CallOrder | None) -> _Plan:
    """One position per account and smartcoin: a new one, an update, or a close."""
    if call is None:
        if op.delta_collateral.amount <= 0 or op.delta_debt.amount <= 0:
            raise DebtPositionError(
                f"{RULE}: account {state.describe_account(op.funding_account)} has no "
                f"{asset.symbol} debt position; opening one needs positive delta_collateral and "
                f"delta_debt, got {op.delta_collateral.amount} and {op.delta_debt.amount}"
            )
        return _Plan(asset, bitasset, dyn, None, op.delta_collateral.amount, op.delta_debt.amount)
    new_collateral = call.collateral + op.delta_collateral.amount
    new_debt = call.debt + op.delta_debt.amount
    if new_debt == 0:
        if new_collateral != 0:
            raise DebtPositionError(
                f"{RULE}: closing debt position {call.id} must claim all its collateral "
                f"{state.fmt(call.collateral, call.collateral_type)}; delta_collateral would "
                f"leave {state.fmt(new_collateral, call.collateral_type)}"
            )
    elif new_collateral <= 0 or new_debt <= 0:
        raise DebtPositionError(
            f"{RULE}: debt position {call.id} would be left with collateral "
            f"{state.fmt(new_collateral, call.collateral_type)} and debt "
            f"{state.fmt(new_debt, call.debt_type)}; both must stay positive unless it is closed"
        )
    increasing_cr = (new_debt != 0 and new_debt <= call.debt
                     and new_collateral * call.debt > call.collateral * new_debt)
    return _Plan(asset, bitasset, dyn, call, new_collateral, new_debt, increasing_cr)


def _check_feed_and_authorization(state: ChainState, op: CallOrderUpdate, plan: _Plan) -> None:
    bitasset, asset = plan.bitasset, plan.asset
    if bitasset.is_prediction_market:
        if op.delta_collateral.amount != op.delta_debt.amount:
            raise DebtPositionError(
                f"{RULE}: {asset.symbol} is a prediction market; delta_collateral "
                f"{op.delta_collateral.amount} must equal delta_debt {op.delta_debt.amount}"
            )
    elif is_null(bitasset.current_feed.settlement_price) and not plan.closing:
        raise NoPriceFeed(f"{RULE}: {asset.symbol} has no price feed; cannot borrow it")
    account = state.account(op.funding_account)
    for checked, role in ((asset, "debt"), (state.asset(op.delta_collateral.asset_id),
                                            "collateral")):
        if not is_authorized_asset(state, account, checked):
            raise DebtPositionError(
                f"{RULE}: account {state.describe_account(op.funding_account)} is not allowed "
                f"to transact {checked.symbol}, the {role} asset (asset whitelist/blacklist)"
            )


def _check_funds(state: ChainState, op: CallOrderUpdate) -> None:
    """The account holds the collateral it adds and the debt it repays (plus the fee)."""
    for needed in (op.delta_collateral, Asset(-op.delta_debt.amount, op.delta_debt.asset_id)):
        if needed.amount <= 0:
            continue
        total = needed.amount + (op.fee.amount if op.fee.asset_id == needed.asset_id else 0)
        have = state.balance(op.funding_account, needed.asset_id)
        if have < total:
            extra = f" plus the fee {state.fmt_asset(op.fee)}" if total != needed.amount else ""
            raise InsufficientBalance(
                f"{RULE}: insufficient balance: account "
                f"{state.describe_account(op.funding_account)} has "
                f"{state.fmt(have, needed.asset_id)}, needs {state.fmt_asset(needed)}{extra}"
            )


def _check_squeeze(state: ChainState, plan: _Plan) -> None:
    """Not at or below the squeeze price (collateral/debt under ~MSSP of the median feed): it
    would be a black swan at once (HF core-2481) — unless the ratio only rises."""
    median = plan.bitasset.median_feed
    if (plan.closing or plan.bitasset.is_prediction_market or plan.increasing_cr
            or is_null(median.settlement_price)):
        return
    squeeze = invert(max_short_squeeze_price(median))
    ratio = Price(Asset(plan.new_collateral, squeeze.base.asset_id),
                  Asset(plan.new_debt, squeeze.quote.asset_id))
    if compare(ratio, squeeze) < 0:
        raise DebtPositionError(
            f"{RULE}: debt position with collateral/debt "
            f"{_ratio_text(plan.new_collateral, plan.new_debt)} would be below the squeeze price "
            f"{_ratio_text(squeeze.base.amount, squeeze.quote.amount)} and trigger a black swan "
            f"at once; only raising the ratio of an existing position without adding debt is "
            f"allowed there"
        )


def _update_current_feed(state: ChainState, bitasset: AssetBitassetData) -> None:
    from ..smartcoin.feeds import update_bitasset_current_feed

    update_bitasset_current_feed(state, bitasset, skip_median_update=True)


def _after_close(state: ChainState, plan: _Plan) -> None:
    """A closed position may lift the ``no_settlement`` cap of the current feed."""
    bitasset = plan.bitasset
    if bitasset.options.black_swan_response_method != BSRM_NO_SETTLEMENT:
        return
    old_price = bitasset.current_feed.settlement_price
    _update_current_feed(state, bitasset)
    new_price = bitasset.current_feed.settlement_price
    if not is_null(new_price) and compare(new_price, old_price) != 0:
        check_call_orders(state, plan.asset, allow_black_swan=True)


def _update_position(state: ChainState, op: CallOrderUpdate, p: _Plan) -> ids.ObjectId:
    """Create or update the position, run margin calls, and check what is left of it."""
    tcr = op.extensions.target_collateral_ratio
    call = p.call
    if call is None:
        call = state.db.create(
            CallOrder, borrower=op.funding_account, collateral=p.new_collateral, debt=p.new_debt,
            call_price=Price(Asset(1, op.delta_collateral.asset_id), Asset(1, p.asset.id)),
            target_collateral_ratio=tcr,
        )
    else:
        with state.db.modify(call) as c:
            c.collateral, c.debt, c.target_collateral_ratio = p.new_collateral, p.new_debt, tcr
    call_id = call.id
    if p.bitasset.is_prediction_market:
        return call_id
    if p.bitasset.options.black_swan_response_method == BSRM_NO_SETTLEMENT:
        _update_current_feed(state, p.bitasset)
    called_some = check_call_orders(state, p.asset, allow_black_swan=False)
    left = state.db.find(call_id, CallOrder)
    if left is None:  # filled by the margin calls
        invariant(called_some, f"{RULE}: position {call_id} vanished without a margin call")
        return call_id
    ratio = collateralization(left)
    initial = p.bitasset.current_initial_collateralization
    if not p.increasing_cr and compare(ratio, initial) <= 0:
        raise DebtPositionError(
            f"{RULE}: debt position {call_id} would have collateral/debt "
            f"{_ratio_text(ratio.base.amount, ratio.quote.amount)}, not above the initial "
            f"collateralization {_ratio_text(initial.base.amount, initial.quote.amount)} "
            f"(ICR, else MCR); below it a position may only raise its ratio without adding debt"
        )
    return call_id
