"""The devnet's futures market: the product GPX/USD on the devnet's USD smartcoin (1 000 GPX per
lot; USD has precision 4, so one lot moving 0.000001 USD per GPX is worth 0.0010 USD: tick value
10), listed by ``gateway`` with SPEC §7's default margins and fees, so its four series trade from
the first blocks; and a first trade in the front and the next month, so both have a mark price.

:class:`DevnetFutures` runs after every block the devnet produces, after the smartcoin feeder,
and does whatever is due, judged from the chain state (a restarted devnet finds it done):

1. once USD exists: list the product;
2. once USD has a feed: carol and dave each borrow 1 000 USD against 60 000 GPX (collateral
   ratio ≈ 3) and deposit 500 USD of it as futures margin;
3. for the front and the next month, while the series has no mark and no open interest: carol
   goes short one lot at the feed's price and dave long one lot at the same price (immediate or
   cancel), which trade; the block's close becomes the mark. A month that lists later (the
   calendar rolls on the 1st) gets its first trade the same way.

It submits signed transactions like any client; it is not consensus code. alice and bob are left
alone for the README's tour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import msgspec

from ..chain.errors import ChainError
from ..chain.futures.accounts import margin_account
from ..chain.futures.objects import NO_PRICE, FuturesOrder, FuturesProduct, FuturesSeries
from ..chain.futures.per_block import feed_mark, trading_series
from ..chain.genesis import DEVNET_GATEWAY, devnet_key
from ..chain.smartcoin.objects import AssetBitassetData
from ..node.node import Node, NodeError
from ..protocol import ids
from ..protocol.fees import fee_for
from ..protocol.operations import CallOrderUpdate
from ..protocol.operations.base import Operation
from ..protocol.operations.futures import (
    IMMEDIATE_OR_CANCEL,
    LONG,
    SHORT,
    FuturesOrderCreate,
    FuturesParameters,
    FuturesProductCreate,
    MarginDeposit,
)
from ..protocol.transaction import Transaction, ref_block_fields, sign
from ..protocol.types import Asset

log = logging.getLogger(__name__)

GPX = ids.CORE_ASSET
QUOTE = "USD"
CONTRACT_SIZE = 1_000 * 100_000
"""1 000 GPX (precision 5) per lot."""
SHORT_TRADER, LONG_TRADER = "carol", "dave"
USD_UNITS, GPX_UNITS = 10_000, 100_000
BORROW_USD, COLLATERAL_GPX, MARGIN_USD = 1_000, 60_000, 500
SEEDED_MONTHS = 2
"""The front and the next month get a first trade."""
TX_EXPIRATION_S = 120


class DevnetFutures:
    """After each produced block: list GPX/USD, fund the two traders, seed the first trades."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._last_problem = ""

    def __call__(self, head_num: int) -> None:
        try:
            self._step()
        except (ChainError, NodeError) as exc:  # the devnet goes on; say why (once per cause)
            if str(exc) != self._last_problem:
                log.warning("devnet futures: %s", exc)
            self._last_problem = str(exc)

    # -- the steps --------------------------------------------------------------------------------
    def _step(self) -> None:
        state = self.node.state
        usd = state.asset_by_symbol(QUOTE)
        if usd is None:
            return
        product = state.db.index(FuturesProduct, "by_pair").get((GPX, usd.id))
        if product is None:
            gateway = self._id(DEVNET_GATEWAY)
            self._submit(DEVNET_GATEWAY, FuturesProductCreate(
                fee=Asset(0, GPX), owner=gateway, underlying=GPX, quote=usd.id,
                parameters=FuturesParameters(contract_size=CONTRACT_SIZE)))
            return
        if not self._fed(usd.id):
            return
        for name in (SHORT_TRADER, LONG_TRADER):
            self._fund(name, usd.id)
        for series in self._unmarked(product):
            self._first_trade(product, series)

    def _fed(self, usd: ids.ObjectId) -> bool:
        asset = self.node.state.asset(usd)
        if asset.bitasset_data_id is None:
            return False
        data = self.node.state.db.get(asset.bitasset_data_id, AssetBitassetData)
        return not data.current_feed.is_null()

    def _fund(self, name: str, usd: ids.ObjectId) -> None:
        """Borrow USD and deposit margin, once (a margin account means it was done)."""
        state = self.node.state
        account = self._id(name)
        if margin_account(state, account, usd) is not None:
            return
        margin = MARGIN_USD * USD_UNITS
        if state.balance(account, usd) < margin:
            self._submit(name, CallOrderUpdate(Asset(0, GPX), account,
                                               Asset(COLLATERAL_GPX * GPX_UNITS, GPX),
                                               Asset(BORROW_USD * USD_UNITS, usd)))
        self._submit(name, MarginDeposit(Asset(0, GPX), account, Asset(margin, usd)))

    def _unmarked(self, product: FuturesProduct) -> list[FuturesSeries]:
        """The front and next open series of ``product`` that have never traded."""
        state = self.node.state
        open_series = sorted((s for s in trading_series(state)
                              if s.product == product.id and state.head_time < s.cutoff_time),
                             key=lambda s: s.delivery_month)[:SEEDED_MONTHS]
        carol = self._id(SHORT_TRADER)
        return [s for s in open_series
                if s.mark_price == NO_PRICE and s.open_interest == 0 and not any(
                    o.series == s.id for o in state.db.group(FuturesOrder, "by_account")
                    .equal(carol))]

    def _first_trade(self, product: FuturesProduct, series: FuturesSeries) -> None:
        price = feed_mark(self.node.state, series)
        if price == NO_PRICE:
            return
        month = series.delivery_month
        self._submit(SHORT_TRADER, FuturesOrderCreate(
            Asset(0, GPX), self._id(SHORT_TRADER), product.id, month, SHORT, 1, price))
        self._submit(LONG_TRADER, FuturesOrderCreate(
            Asset(0, GPX), self._id(LONG_TRADER), product.id, month, LONG, 1, price,
            flags=IMMEDIATE_OR_CANCEL))

    # -- plumbing ---------------------------------------------------------------------------------
    def _id(self, name: str) -> ids.ObjectId:
        account = self.node.state.account_by_name(name)
        if account is None:
            raise NodeError(f"the devnet has no account {name}")
        return account.id

    def _submit(self, signer: str, op: Operation) -> None:
        state = self.node.state
        op = msgspec.structs.replace(op, fee=Asset(fee_for(state.params.current_fees, op), GPX))
        num, prefix = ref_block_fields(state.head_id)
        tx = Transaction(num, prefix, state.head_time + TX_EXPIRATION_S, (op,))
        self.node.push_transaction(sign(tx, [devnet_key(signer)], state.chain_id))


def after_each_block(*steps: Callable[[int], None]) -> Callable[[int], None]:
    """One ``on_block`` hook running ``steps`` in order (the feeder first, then the futures)."""
    def run(head_num: int) -> None:
        for step in steps:
            step(head_num)
    return run
