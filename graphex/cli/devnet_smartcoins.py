"""The devnet's smartcoins: ``USD`` and ``CNY`` (precision 4), backed by GPX, witness-fed, MCR 1750
and MSSR 1100 (seed 002), created by ``gateway`` in the devnet's first blocks and kept fed.

:class:`DevnetFeeder` runs after every block the devnet produces. While the assets are missing it
submits their creation; then, whenever a publisher's feed is older than half the feed lifetime, it
has witnesses init0, init1 and init2 publish. The price source is simulated: a fixed manual price
per asset (:data:`MANUAL_PRICES`) moved by a small deterministic wobble (±2 %, from the block
number), so borrowing works at once and margin calls can be watched. It submits transactions like
any client; it is not consensus code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from math import gcd

from ..chain.errors import ChainError
from ..chain.genesis import DEVNET_GATEWAY, devnet_key
from ..node.node import Node, NodeError
from ..protocol import ids
from ..protocol.bitasset import BitassetOptions, BitassetOptionsExtensions, PriceFeed
from ..protocol.fees import fee_for
from ..protocol.operations import AssetCreate, AssetPublishFeed
from ..protocol.operations.base import Operation
from ..protocol.transaction import SignedTransaction, Transaction, ref_block_fields, sign
from ..protocol.types import Asset, AssetOptions, Price

log = logging.getLogger(__name__)

GPX = ids.CORE_ASSET
PUBLISHERS = ("init0", "init1", "init2")
FEED_LIFETIME_S = 3600
MCR, MSSR = 1750, 1100
WITNESS_FED_ASSET = 0x80
MPA_PERMISSIONS = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100


@dataclass(frozen=True)
class ManualPrice:
    """``units`` smallest units of the smartcoin per one whole GPX (10^5 GPX units)."""

    symbol: str
    units_per_gpx: int
    description: str


MANUAL_PRICES = (
    ManualPrice("USD", 500, "devnet US dollar smartcoin: 0.0500 USD per GPX"),
    ManualPrice("CNY", 3_500, "devnet yuan smartcoin: 0.3500 CNY per GPX"),
)


def simulated_price(manual: ManualPrice, asset_id: ids.ObjectId, block_num: int) -> Price:
    """The feed price (smartcoin ``asset_id`` / GPX) at ``block_num``: the manual price ±2 %,
    gcd-reduced."""
    wobble = (block_num * 7919) % 41 - 20  # -20 … +20 per mille
    units, gpx_units = manual.units_per_gpx * (1000 + wobble), 100_000 * 1000
    common = gcd(units, gpx_units)
    return Price(Asset(units // common, asset_id), Asset(gpx_units // common, GPX))


class DevnetFeeder:
    """After each produced block: create the smartcoins if missing, refresh stale feeds."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def __call__(self, head_num: int) -> None:
        try:
            self._step(head_num)
        except (ChainError, NodeError) as exc:  # the devnet goes on; say why feeds stalled
            log.warning("devnet feeder: %s", exc)

    def _step(self, head_num: int) -> None:
        state = self.node.state
        for manual in MANUAL_PRICES:
            asset = state.asset_by_symbol(manual.symbol)
            if asset is None:
                if not self._pending_creation(manual.symbol):
                    self._submit(DEVNET_GATEWAY, self._create_op(manual))
                continue
            for publisher in PUBLISHERS:
                if self._stale(asset.id, publisher):
                    price = simulated_price(manual, asset.id, head_num)
                    self._submit(publisher, self._feed_op(publisher, asset.id, price))

    def _pending_creation(self, symbol: str) -> bool:
        return any(isinstance(op, AssetCreate) and op.symbol == symbol
                   for p in self.node.pending for op in p.tx.operations)

    def _stale(self, asset_id: ids.ObjectId, publisher: str) -> bool:
        from ..chain.smartcoin.objects import AssetBitassetData

        state = self.node.state
        account = state.account_by_name(publisher)
        asset = state.asset(asset_id)
        if account is None or asset.bitasset_data_id is None:
            return False
        data = state.db.get(asset.bitasset_data_id, AssetBitassetData)
        published = dict(data.feeds).get(account.id)
        return published is None or state.head_time - published[0] >= FEED_LIFETIME_S // 2

    def _create_op(self, manual: ManualPrice) -> AssetCreate:
        state = self.node.state
        gateway = state.account_by_name(DEVNET_GATEWAY)
        assert gateway is not None
        new_id = ids.ObjectId(1, 3, 1)  # core_exchange_rate names "the new asset" as 1.3.1
        options = AssetOptions(
            max_supply=10**15, market_fee_percent=0, max_market_fee=0,
            issuer_permissions=MPA_PERMISSIONS, flags=WITNESS_FED_ASSET,
            core_exchange_rate=Price(Asset(manual.units_per_gpx, new_id), Asset(100_000, GPX)),
            whitelist_authorities=(), blacklist_authorities=(), whitelist_markets=(),
            blacklist_markets=(), description=manual.description,
        )
        bitasset = BitassetOptions(
            feed_lifetime_sec=FEED_LIFETIME_S, minimum_feeds=1,
            extensions=BitassetOptionsExtensions(maintenance_collateral_ratio=MCR,
                                                 maximum_short_squeeze_ratio=MSSR),
        )
        return AssetCreate(Asset(0, GPX), gateway.id, manual.symbol, 4, options, bitasset)

    def _feed_op(self, publisher: str, asset_id: ids.ObjectId, price: Price) -> AssetPublishFeed:
        account = self.node.state.account_by_name(publisher)
        assert account is not None
        cer = Price(Asset(price.base.amount, asset_id), Asset(price.quote.amount * 105 // 100, GPX))
        feed = PriceFeed(price, MCR, MSSR, cer)
        return AssetPublishFeed(Asset(0, GPX), account.id, asset_id, feed)

    def _submit(self, signer: str, op: Operation) -> None:
        state = self.node.state
        fee = fee_for(state.params.current_fees, op)
        op = type(op)(**{**{f: getattr(op, f) for f in op.__struct_fields__},
                          "fee": Asset(fee, GPX)})
        num, prefix = ref_block_fields(state.head_id)
        tx = Transaction(num, prefix, state.head_time + 120, (op,))
        signed: SignedTransaction = sign(tx, [devnet_key(signer)], state.chain_id)
        self.node.push_transaction(signed)
