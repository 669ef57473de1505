"""Helpers for the spot market tests: a devnet with chosen market parameters, user-issued assets
with market fees, placing / cancelling / updating orders, and reading fills and the book.

Amounts are always in the smallest unit (satoshis), so the arithmetic in the tests is exact.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from graphex.chain.genesis import devnet_genesis
from graphex.chain.market.objects import LimitOrder, book_side
from graphex.chain.objects import AccountStatistics, AssetObject
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    AssetCreate,
    AssetFundFeePool,
    AssetIssue,
    FillOrder,
    LimitOrderCancel,
    LimitOrderCreate,
    LimitOrderUpdate,
)
from graphex.protocol.operations.market import MAX_EXPIRATION
from graphex.protocol.types import Asset, AssetOptions, AssetOptionsExtensions, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, with_fee

CHARGE_MARKET_FEE = 0x01
UIA_PERMISSIONS = 0x01 | 0x02 | 0x04 | 0x08 | 0x40
NEW_ASSET_PLACEHOLDER = ObjectId(1, 3, 1)
"""asset_create prices its core exchange rate against 1.3.1, standing for the new asset."""
CREATE_FEE = 500_000
"""The devnet's limit_order_create fee (5 GPX)."""


def market_chain(*, cancel_fee: int | None = None, update_fee: int | None = None,
                 maker_fee_discount_percent: int | None = None,
                 market_fee_network_percent: int | None = None) -> DevChain:
    """A devnet whose genesis parameters set the given fees and market parameters."""
    data = json.loads(devnet_genesis())
    params = data["initial_parameters"]
    for op_id, fee in ((2, cancel_fee), (77, update_fee)):
        if fee is not None:
            for entry in params["current_fees"]["parameters"]:
                if entry[0] == op_id:
                    entry[1]["fee"] = fee
    extensions = params.setdefault("extensions", {})
    if maker_fee_discount_percent is not None:
        extensions["maker_fee_discount_percent"] = maker_fee_discount_percent
    if market_fee_network_percent is not None:
        extensions["market_fee_network_percent"] = market_fee_network_percent
    return DevChain(genesis_text=json.dumps(data, indent=1, sort_keys=True).encode())


def new_uia(chain: DevChain, symbol: str, *, issuer: str = "alice", precision: int = 4,
            market_fee_percent: int = 0, max_market_fee: int = 10**12,
            taker_fee_percent: int | None = None, charge_market_fee: bool | None = None,
            cer: tuple[int, int] = (1, 1), reward_percent: int | None = None,
            whitelist_market_fee_sharing: tuple[ObjectId, ...] | None = None) -> ObjectId:
    """Create a user-issued asset. It has the ``charge_market_fee`` flag when asked, or by default
    when ``market_fee_percent`` or ``taker_fee_percent`` is given. ``cer`` = (core units, asset
    units) of its core exchange rate."""
    asset_id = ObjectId(1, 3, sum(1 for _ in chain.state.db.table(AssetObject)))
    charges = charge_market_fee
    if charges is None:
        charges = market_fee_percent > 0 or taker_fee_percent is not None
    opts = AssetOptions(
        10**15, market_fee_percent, max_market_fee, UIA_PERMISSIONS,
        CHARGE_MARKET_FEE if charges else 0,
        Price(Asset(cer[0], GPX), Asset(cer[1], NEW_ASSET_PLACEHOLDER)), (), (), (), (), "",
        AssetOptionsExtensions(reward_percent, whitelist_market_fee_sharing, taker_fee_percent),
    )
    push(chain, AssetCreate(Asset(0, GPX), chain.account_id(issuer), symbol, precision, opts),
         [issuer])
    found = chain.state.asset_by_symbol(symbol)
    assert found is not None and found.id == asset_id
    return asset_id


def issue(chain: DevChain, asset_id: ObjectId, amounts: dict[str, int]) -> None:
    issuer = chain.state.account(chain.state.asset(asset_id).issuer).name
    ops = [with_fee(chain, AssetIssue(Asset(0, GPX), chain.account_id(issuer),
                                      Asset(amount, asset_id), chain.account_id(name)))
           for name, amount in amounts.items()]
    chain.push(ops, [issuer])


def create_op(chain: DevChain, who: str, sell: Asset, receive: Asset, *,
              expiration: int = MAX_EXPIRATION, fill_or_kill: bool = False) -> LimitOrderCreate:
    return LimitOrderCreate(Asset(0, GPX), chain.account_id(who), sell, receive, expiration,
                            fill_or_kill)


def sell(chain: DevChain, who: str, sell: Asset, receive: Asset, *,
         expiration: int = MAX_EXPIRATION, fill_or_kill: bool = False,
         fee: Asset | None = None) -> ObjectId:
    """Place a limit order in its own block (core fee by default); returns its id."""
    op = create_op(chain, who, sell, receive, expiration=expiration, fill_or_kill=fill_or_kill)
    op = with_fee(chain, op) if fee is None else msgspec.structs.replace(op, fee=fee)
    processed = chain.push([op], [who])
    order_id: ObjectId = processed.operation_results[0].value
    return order_id


def cancel(chain: DevChain, who: str, order_id: ObjectId) -> Asset:
    """Cancel an order in its own block; returns the refunded amount (the operation result)."""
    processed = push(chain, LimitOrderCancel(Asset(0, GPX), chain.account_id(who), order_id),
                     [who])
    refunded: Asset = processed.operation_results[0].value
    return refunded


def update_op(chain: DevChain, who: str, order_id: ObjectId, **changes: Any) -> LimitOrderUpdate:
    return LimitOrderUpdate(Asset(0, GPX), chain.account_id(who), order_id, **changes)


def order(chain: DevChain, order_id: ObjectId) -> LimitOrder | None:
    return chain.state.db.find(order_id, LimitOrder)


def for_sale(chain: DevChain, order_id: ObjectId) -> int:
    """What is left for sale in an open order (0 when it is gone)."""
    found = order(chain, order_id)
    return 0 if found is None else found.for_sale


def fills(chain: DevChain) -> list[FillOrder]:
    """The fill_order virtual operations of the last block, in order."""
    return [r.op for r in chain.state.block_ops if isinstance(r.op, FillOrder)]


def virtual_cancels(chain: DevChain) -> list[tuple[LimitOrderCancel, Asset]]:
    """The chain's limit_order_cancel virtual operations of the last block, with their refunds."""
    return [(r.op, r.result.value) for r in chain.state.block_ops
            if r.is_virtual and isinstance(r.op, LimitOrderCancel)]


def fill(chain: DevChain, order_id: ObjectId, who: str, pays: Asset, receives: Asset,
         price: Price, *, is_maker: bool, fee: int = 0) -> FillOrder:
    """The fill_order operation expected for ``order_id``."""
    return FillOrder(Asset(fee, receives.asset_id), order_id, chain.account_id(who), pays,
                     receives, price, is_maker)


def stats(chain: DevChain, who: str) -> AccountStatistics:
    return chain.state.db.get(chain.state.account(chain.account_id(who)).statistics,
                              AccountStatistics)


def dyn(chain: DevChain, asset_id: ObjectId) -> Any:
    return chain.state.asset_dynamic(chain.state.asset(asset_id))


def book(chain: DevChain, sell_asset: ObjectId, receive_asset: ObjectId) -> list[LimitOrder]:
    """One side of a market, best first."""
    return list(book_side(chain.state.db, sell_asset, receive_asset))


def fund_fee_pool(chain: DevChain, asset_id: ObjectId, core_amount: int) -> None:
    push(chain, AssetFundFeePool(Asset(0, GPX), chain.account_id("alice"), asset_id, core_amount))


PEOPLE = ("alice", "bob", "carol", "dave", "committee-account")

Ledger = dict[tuple[str, ObjectId], int]


def ledger(chain: DevChain, *assets: ObjectId) -> Ledger:
    """Every devnet trader's (and committee-account's) balance of ``assets``."""
    return {(name, a): chain.balance(name, a) for name in PEOPLE for a in assets}


def changes(chain: DevChain, before: Ledger) -> Ledger:
    """The balances that changed since ``before``, as deltas."""
    now = {key: chain.balance(*key) for key in before}
    return {key: now[key] - value for key, value in before.items() if now[key] != value}


def pending(chain: DevChain, who: str) -> int:
    """Core fees ``who`` has paid, held in its statistics until maintenance."""
    return stats(chain, who).pending_fees

