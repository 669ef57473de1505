"""DEX and debt-position operations: limit_order_create (1), limit_order_cancel (2),
call_order_update (3), fill_order (4, virtual), bid_collateral (45), execute_bid (46, virtual),
limit_order_update (77).

Field orders are core's ``FC_REFLECT`` (core: protocol/market.hpp). ``fill_order.order_id`` is a
generic ``object_id_type`` (u64 on the wire) because it names a limit, call or settle order.
"""

from __future__ import annotations

from typing import Annotated, Any

from ..codec import VariantCodec
from ..struct import EXT, WireStruct, codec_of
from ..types import (
    AccountId,
    Asset,
    AssetId,
    Extensions,
    GenericId,
    LimitOrderId,
    Price,
    TimeSec,
    UInt16,
    UInt32,
)
from .base import Operation, op_class

MAX_EXPIRATION = 0xFFFFFFFF
"""``time_point_sec::maximum()``: the expiration of an order that never expires."""


class CreateTakeProfitOrderAction(WireStruct, frozen=True):
    """On fill, place a take-profit order on the other side (BSIP-85 style auto action)."""

    fee_asset_id: AssetId
    spread_percent: UInt16
    size_percent: UInt16
    expiration_seconds: UInt32
    repeat: bool
    extensions: Extensions = ()


_AUTO_ACTION_TAGS: dict[type, int] = {CreateTakeProfitOrderAction: 0}

AUTO_ACTION: VariantCodec[Any] = VariantCodec(
    "limit_order_auto_action",
    {0: codec_of(CreateTakeProfitOrderAction)},
    lambda action: _AUTO_ACTION_TAGS[type(action)],
)
"""``limit_order_auto_action = static_variant<create_take_profit_order_action>``."""

AutoAction = Annotated[CreateTakeProfitOrderAction, AUTO_ACTION]


class LimitOrderCreateOptions(WireStruct, frozen=True):
    """``limit_order_create_operation::options_type``."""

    on_fill: tuple[AutoAction, ...] | None = None


@op_class
class LimitOrderCreate(Operation, frozen=True):
    op_id = 1
    fee_payer_field = "seller"

    fee: Asset
    seller: AccountId
    amount_to_sell: Asset
    min_to_receive: Asset
    expiration: TimeSec = MAX_EXPIRATION
    fill_or_kill: bool = False
    extensions: Annotated[LimitOrderCreateOptions, EXT] = LimitOrderCreateOptions()


@op_class
class LimitOrderCancel(Operation, frozen=True):
    op_id = 2
    fee_payer_field = "fee_paying_account"

    fee: Asset
    fee_paying_account: AccountId
    order: LimitOrderId
    extensions: Extensions = ()


class CallOrderUpdateOptions(WireStruct, frozen=True):
    """``call_order_update_operation::options_type``."""

    target_collateral_ratio: UInt16 | None = None


@op_class
class CallOrderUpdate(Operation, frozen=True):
    op_id = 3
    fee_payer_field = "funding_account"

    fee: Asset
    funding_account: AccountId
    delta_collateral: Asset
    delta_debt: Asset
    extensions: Annotated[CallOrderUpdateOptions, EXT] = CallOrderUpdateOptions()


@op_class
class FillOrder(Operation, frozen=True):
    op_id = 4
    fee_payer_field = "account_id"
    virtual = True

    fee: Asset
    order_id: GenericId
    account_id: AccountId
    pays: Asset
    receives: Asset
    fill_price: Price
    is_maker: bool = True


@op_class
class BidCollateral(Operation, frozen=True):
    op_id = 45
    fee_payer_field = "bidder"

    fee: Asset
    bidder: AccountId
    additional_collateral: Asset
    debt_covered: Asset
    extensions: Extensions = ()


@op_class
class ExecuteBid(Operation, frozen=True):
    op_id = 46
    fee_payer_field = "bidder"
    virtual = True

    fee: Asset
    bidder: AccountId
    debt: Asset
    collateral: Asset


@op_class
class LimitOrderUpdate(Operation, frozen=True):
    op_id = 77
    fee_payer_field = "seller"

    fee: Asset
    seller: AccountId
    order: LimitOrderId
    new_price: Price | None = None
    delta_amount_to_sell: Asset | None = None
    new_expiration: TimeSec | None = None
    on_fill: tuple[AutoAction, ...] | None = None
    extensions: Extensions = ()
