"""Futures operations (SPEC §7, seed 003): graphex's own, ids 100–111.

Units, fixed for every futures structure:

- ``contract_size``: units of the underlying U per lot, in U's smallest units (satoshis).
- ``price``: ticks of 10^-6 Q per whole U (at most 6 decimals; a client cuts extra decimals,
  as the seed says). One lot moving one tick is worth ``tick_value`` smallest units of Q, an
  integer ≥ 1 that the listing requires (see ``chain/futures/units.py``).
- rates (margins, fees): parts per million (ppm) of notional.
- ``delivery_month``: ``YYYYMM`` as an integer (202612 is December 2026), all times UTC.
- ``lots``: whole lots; ``side`` 0 = long (buy), 1 = short (sell).

Real operations: futures_product_create (100), futures_product_update (101), margin_deposit
(102), margin_withdraw (103), futures_order_create (104), futures_order_cancel (105, also
virtual when the chain cancels: expiry, liquidation, delivery, IOC remainder).
Virtual operations: futures_fill (106), futures_liquidation (107), futures_deleverage (108),
futures_series_list (109), futures_delivery (110).
"""

from __future__ import annotations

from ..struct import WireStruct
from ..types import (
    AccountId,
    Asset,
    AssetId,
    Extensions,
    FuturesOrderId,
    FuturesProductId,
    FuturesSeriesId,
    Int64,
    TimeSec,
    UInt8,
    UInt32,
)
from .base import Operation, op_class
from .market import MAX_EXPIRATION

LONG, SHORT = 0, 1
"""``side`` values: a long (buy) or a short (sell) order."""

REDUCE_ONLY, POST_ONLY, IMMEDIATE_OR_CANCEL = 0x1, 0x2, 0x4
"""``futures_order_create.flags`` bits."""
ORDER_FLAGS = REDUCE_ONLY | POST_ONLY | IMMEDIATE_OR_CANCEL

MARK_LAST_TRADE, MARK_FEED = 0, 1
"""``mark_price_source``: the close of the latest block with trades (seed), or the on-chain feed."""

PRICE_DECIMALS = 6
PRICE_SCALE = 10**PRICE_DECIMALS
"""Ticks per whole unit of price: prices have at most 6 decimals."""

PPM = 1_000_000
"""Rates are parts per million."""


class FuturesParameters(WireStruct, frozen=True):
    """A product's parameters; each series keeps those in force when it listed.

    Defaults are SPEC §7's: initial margin 10%, maintenance 5%, trade fee 0.01% of notional each
    side, liquidation fee 0.5%, delivery fee 0.01%, mark = close of the last block with trades.
    """

    contract_size: Int64
    initial_margin_ppm: UInt32 = 100_000
    maintenance_margin_ppm: UInt32 = 50_000
    trade_fee_ppm: UInt32 = 100
    liquidation_fee_ppm: UInt32 = 5_000
    delivery_fee_ppm: UInt32 = 100
    mark_price_source: UInt8 = MARK_LAST_TRADE
    extensions: Extensions = ()


@op_class
class FuturesProductCreate(Operation, frozen=True):
    """List a futures product on the pair underlying/quote (one product per pair)."""

    op_id = 100
    fee_payer_field = "owner"

    fee: Asset
    owner: AccountId
    underlying: AssetId
    quote: AssetId
    parameters: FuturesParameters
    extensions: Extensions = ()


@op_class
class FuturesProductUpdate(Operation, frozen=True):
    """Change a product's parameters for series listed from now on (open series keep theirs)."""

    op_id = 101
    fee_payer_field = "owner"

    fee: Asset
    owner: AccountId
    product: FuturesProductId
    new_parameters: FuturesParameters
    extensions: Extensions = ()


@op_class
class MarginDeposit(Operation, frozen=True):
    """Move ``amount`` from the account's balance into its margin account in that asset."""

    op_id = 102
    fee_payer_field = "account"

    fee: Asset
    account: AccountId
    amount: Asset
    extensions: Extensions = ()


@op_class
class MarginWithdraw(Operation, frozen=True):
    """Move ``amount`` of free margin back to the account's balance."""

    op_id = 103
    fee_payer_field = "account"

    fee: Asset
    account: AccountId
    amount: Asset
    extensions: Extensions = ()


@op_class
class FuturesOrderCreate(Operation, frozen=True):
    """A limit order for ``lots`` of the product's ``delivery_month`` series at ``price`` ticks.

    The series is named by product and month so an order for a month not yet listed (a
    pre-order) can wait in a node's pending pool until the month lists.
    """

    op_id = 104
    fee_payer_field = "account"

    fee: Asset
    account: AccountId
    product: FuturesProductId
    delivery_month: UInt32
    side: UInt8
    lots: Int64
    price: Int64
    expiration: TimeSec = MAX_EXPIRATION
    flags: UInt8 = 0
    extensions: Extensions = ()


@op_class
class FuturesOrderCancel(Operation, frozen=True):
    """Cancel an open futures order (virtual when the chain cancels it)."""

    op_id = 105
    fee_payer_field = "account"

    fee: Asset
    account: AccountId
    order: FuturesOrderId
    extensions: Extensions = ()


REASON_OWNER, REASON_EXPIRED, REASON_LIQUIDATION, REASON_DELIVERY = 0, 1, 2, 3
REASON_IMMEDIATE_OR_CANCEL, REASON_REDUCE_ONLY, REASON_MARGIN, REASON_SELF_TRADE = 4, 5, 6, 7
"""Why the chain cancelled an order (``futures_order_cancelled.reason``); a maker that would
trade with its own account's taker is cancelled (self-trade prevention, "expire maker")."""


@op_class
class FuturesFill(Operation, frozen=True):
    """Virtual: one side of a futures match (each match yields two, maker and taker).

    ``realized_pnl`` is the profit or loss the fill realized on the reduced part of the position;
    ``fee`` went to the quote asset's futures fee pool. ``liquidation`` marks the forced side.
    """

    op_id = 106
    fee_payer_field = "account"
    virtual = True

    fee: Asset
    account: AccountId
    order: FuturesOrderId | None
    series: FuturesSeriesId
    side: UInt8
    lots: Int64
    price: Int64
    realized_pnl: Int64
    is_maker: bool
    liquidation: bool = False


@op_class
class FuturesLiquidation(Operation, frozen=True):
    """Virtual: an account below its maintenance margin was liquidated (this block's part).

    ``equity`` and ``maintenance`` are at the mark before liquidating; ``closed_lots`` against the
    book, ``deleveraged_lots`` against opposite positions; ``deferred`` when the book could not
    absorb the rest and the margin ratio was still ≥ 2.5% (retried next block).
    """

    op_id = 107
    fee_payer_field = "account"
    virtual = True

    fee: Asset
    account: AccountId
    equity: Int64
    maintenance: Int64
    cancelled_orders: UInt32
    closed_lots: Int64
    deleveraged_lots: Int64
    deferred: bool


@op_class
class FuturesDeleverage(Operation, frozen=True):
    """Virtual: ``lots`` of the liquidated ``account``'s position closed against
    ``counterparty``'s opposite position at the bankruptcy ``price``."""

    op_id = 108
    fee_payer_field = "account"
    virtual = True

    fee: Asset
    account: AccountId
    counterparty: AccountId
    series: FuturesSeriesId
    side: UInt8
    lots: Int64
    price: Int64
    realized_pnl: Int64
    counterparty_realized_pnl: Int64


@op_class
class FuturesSeriesList(Operation, frozen=True):
    """Virtual: the calendar listed ``series`` (delivery at the end of ``delivery_month``)."""

    op_id = 109
    fee_payer_field = "owner"
    virtual = True

    fee: Asset
    owner: AccountId
    product: FuturesProductId
    series: FuturesSeriesId
    delivery_month: UInt32
    cutoff_time: TimeSec
    delivery_time: TimeSec


@op_class
class FuturesDelivery(Operation, frozen=True):
    """Virtual: ``account``'s position of ``lots`` (signed: > 0 long) closed at the delivery
    ``price``, realizing ``realized_pnl`` and paying the delivery ``fee``."""

    op_id = 110
    fee_payer_field = "account"
    virtual = True

    fee: Asset
    account: AccountId
    series: FuturesSeriesId
    lots: Int64
    price: Int64
    realized_pnl: Int64


@op_class
class FuturesOrderCancelled(Operation, frozen=True):
    """Virtual: the chain cancelled ``order`` (``reason``: expired, liquidation, delivery, the
    rest of an immediate-or-cancel order, a reduce-only order with nothing left to reduce, a
    maker whose fill its margin could not carry, or a maker meeting its own account's taker), releasing ``released_margin``."""

    op_id = 111
    fee_payer_field = "account"
    virtual = True

    fee: Asset
    account: AccountId
    order: FuturesOrderId
    reason: UInt8
    released_margin: Int64
