"""A margin-call cascade on a fresh devnet, for ``graphex bench margin`` and its test: a
witness-fed smartcoin BENCHUSD (precision 4) backed by GPX, ``positions`` debt positions of
slightly different collateral ratios, and a book of orders selling BENCHUSD for GPX deep enough
to buy all their debt; then one feed that makes every position callable.

All of it is built from real operations (account_create, transfer, asset_create,
asset_publish_feed, call_order_update, limit_order_create) applied straight to the state with
:func:`apply_operation` at genesis — in bulk, no blocks, no signatures — so that 10 000 positions
take seconds. The drop itself is a signed transaction for :meth:`DevChain.produce`.

Numbers (1 USD = 10 000 units, 1 GPX = 100 000 units):

- the setup feed is 1 USD = 5 GPX with MCR 1600, MSSR 1100 and a margin call fee ratio of 50:
  positions are callable at or below 8 GPX per USD;
- each position owes 1 USD against 10 to 10.5 GPX (collateral ratios 2.0 to 2.1, spread evenly
  over the positions), and has no target ratio, so a margin call buys all its debt;
- the market maker ``bob`` borrows the positions' total debt and 10% more against 20 GPX per USD
  and offers it in ``orders`` limit orders asking 7.00 to 7.30 GPX per USD — below MCOP now
  (1 USD for 5.25 GPX), resting;
- the drop: 1 USD = 7 GPX. Positions are callable at or below 11.2 GPX per USD (all of them);
  MCOP is 1 USD for 7.35 GPX, so the whole book reaches it; the squeeze price (7.7 GPX per USD)
  is below every position's ratio, so no black swan: every position is margin-called and closed.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from ..chain.tx_apply import apply_operation
from ..protocol.bitasset import BitassetOptions, BitassetOptionsExtensions, PriceFeed
from ..protocol.fees import fee_for
from ..protocol.ids import PROXY_TO_SELF_ACCOUNT, ObjectId
from ..protocol.operations import (
    AccountCreate,
    AssetCreate,
    CallOrderUpdate,
    LimitOrderCreate,
    Transfer,
)
from ..protocol.operations.base import Operation
from ..protocol.operations.smartcoin import AssetPublishFeed
from ..protocol.transaction import SignedTransaction
from ..protocol.types import (
    WITNESS_FED_ASSET,
    AccountOptions,
    Asset,
    AssetOptions,
    Authority,
    Price,
)
from .chain import GPX, DevChain

SYMBOL = "BENCHUSD"
USD_UNITS, GPX_UNITS = 10_000, 100_000
SETUP_GPX_PER_USD, DROP_GPX_PER_USD = 5, 7
MCR, MSSR, MCFR = 1600, 1100, 50
POSITION_DEBT = USD_UNITS  # 1 USD each
LOW_CR_PERMILLE, CR_SPREAD_PERMILLE = 2000, 100  # collateral ratios 2.0 .. 2.1
MAKER, REGISTRAR, PUBLISHER = "bob", "gateway", "init0"
MAKER_CR, MAKER_EXTRA_PERCENT = 4, 10
ASK_LOW, ASK_HIGH = 700, 730
"""The asks' range, in hundredths of a GPX per USD."""
MPA_PERMISSIONS = 0x1FF
"""Every "enable" permission bit of a market-pegged asset."""


@dataclass
class Cascade:
    """A chain ready for the drop, and the transaction that publishes it."""

    chain: DevChain
    usd: ObjectId
    positions: int
    orders: int
    drop: SignedTransaction


def _with_fee(chain: DevChain, op: Operation) -> Operation:
    """``op`` paying exactly its core fee."""
    fee = fee_for(chain.state.params.current_fees, op)
    return msgspec.structs.replace(op, fee=Asset(fee, GPX))


def _apply(chain: DevChain, op: Operation) -> None:
    """Apply ``op`` with its fee, straight to the state (no block, no signature)."""
    apply_operation(chain.state, _with_fee(chain, op))


def feed_op(chain: DevChain, usd: ObjectId, gpx_per_usd: int) -> AssetPublishFeed:
    settlement = Price(Asset(USD_UNITS, usd), Asset(gpx_per_usd * GPX_UNITS, GPX))
    feed = PriceFeed(settlement, MCR, MSSR, settlement)
    return AssetPublishFeed(Asset(0, GPX), chain.account_id(PUBLISHER), usd, feed)


def _create_usd(chain: DevChain) -> ObjectId:
    issuer = chain.account_id("alice")
    options = AssetOptions(10**15, 0, 0, MPA_PERMISSIONS, WITNESS_FED_ASSET,
                           Price(Asset(1, ObjectId(1, 3, 1)), Asset(1, GPX)), (), (), (), (),
                           "graphex bench smartcoin")
    bitasset = BitassetOptions(short_backing_asset=GPX,
                               extensions=BitassetOptionsExtensions(margin_call_fee_ratio=MCFR))
    _apply(chain, AssetCreate(Asset(0, GPX), issuer, SYMBOL, 4, options, bitasset, False))
    found = chain.state.asset_by_symbol(SYMBOL)
    assert found is not None
    return found.id


def position_collateral(index: int, positions: int) -> int:
    """Position ``index``'s collateral: ratio 2.0 (at the setup feed) for the first, rising
    evenly to 2.1 for the last."""
    worth = POSITION_DEBT * SETUP_GPX_PER_USD * GPX_UNITS // USD_UNITS  # the debt in GPX units
    spread = worth * CR_SPREAD_PERMILLE * index // (1000 * max(1, positions - 1))
    return worth * LOW_CR_PERMILLE // 1000 + spread


def _borrowers(chain: DevChain, positions: int) -> list[ObjectId]:
    """``positions`` new accounts, each funded for its collateral and fees."""
    registrar = chain.account_id(REGISTRAR)
    key = chain.key("margin-bench").public_key
    auth = Authority.single_key(key)
    options = AccountOptions(key, PROXY_TO_SELF_ACCOUNT, 0, 0, ())
    names = [f"margin-{i:05d}" for i in range(positions)]
    for name in names:
        _apply(chain, AccountCreate(Asset(0, GPX), registrar, registrar, 0, name, auth, auth,
                                    options))
    ids = [chain.account_id(name) for name in names]
    update_fee = fee_for(chain.state.params.current_fees,
                         CallOrderUpdate(Asset(0, GPX), registrar, Asset(1, GPX),
                                         Asset(1, GPX)))
    for index, account in enumerate(ids):
        amount = position_collateral(index, positions) + update_fee
        _apply(chain, Transfer(Asset(0, GPX), registrar, account, Asset(amount, GPX)))
    return ids


def _market_maker(chain: DevChain, usd: ObjectId, positions: int, orders: int) -> None:
    """``MAKER`` borrows the positions' debt and 10% more, and offers it in ``orders`` asks
    spread evenly from ASK_LOW to ASK_HIGH hundredths of a GPX per USD."""
    maker = chain.account_id(MAKER)
    debt = positions * POSITION_DEBT * (100 + MAKER_EXTRA_PERCENT) // 100
    collateral = debt * MAKER_CR * SETUP_GPX_PER_USD * GPX_UNITS // USD_UNITS
    _apply(chain, CallOrderUpdate(Asset(0, GPX), maker, Asset(collateral, GPX), Asset(debt, usd)))
    per_order = debt // orders
    for i in range(orders):
        ask = ASK_LOW + (ASK_HIGH - ASK_LOW) * i // max(1, orders - 1)
        gpx = per_order * ask * GPX_UNITS // (100 * USD_UNITS)
        _apply(chain, LimitOrderCreate(Asset(0, GPX), maker, Asset(per_order, usd),
                                       Asset(gpx, GPX)))


def build_cascade(positions: int = 10_000, orders: int = 1_000) -> Cascade:
    """A devnet with ``positions`` positions and ``orders`` asks, and the signed drop."""
    if positions < 1 or orders < 1:
        raise ValueError("positions and orders must be positive")
    chain = DevChain(check=False)
    usd = _create_usd(chain)
    _apply(chain, Transfer(Asset(0, GPX), chain.account_id(REGISTRAR),
                           chain.account_id(PUBLISHER), Asset(1_000 * GPX_UNITS, GPX)))
    _apply(chain, feed_op(chain, usd, SETUP_GPX_PER_USD))
    for index, account in enumerate(_borrowers(chain, positions)):
        _apply(chain, CallOrderUpdate(Asset(0, GPX), account,
                                      Asset(position_collateral(index, positions), GPX),
                                      Asset(POSITION_DEBT, usd)))
    _market_maker(chain, usd, positions, orders)
    chain.state.applied.reset(chain.state.head_num + 1)  # the setup is not a block's
    drop = chain.tx([_with_fee(chain, feed_op(chain, usd, DROP_GPX_PER_USD))], [PUBLISHER])
    return Cascade(chain, usd, positions, orders, drop)
