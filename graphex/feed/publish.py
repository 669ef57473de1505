"""The feed tool's view of the chain and its one write: read the head, assets, the publisher and
its last own feed through the API; build, price, sign and broadcast ``asset_publish_feed`` (19).

- The operation is :class:`~graphex.protocol.operations.AssetPublishFeed` with a
  :class:`~graphex.protocol.bitasset.PriceFeed`: ``settlement_price`` = smartcoin/backing,
  ``core_exchange_rate`` = smartcoin/core (both as :class:`~graphex.feed.onchain.ChainPrice`),
  MCR and MSSR per mille, and the ICR in the operation's extension when configured.
- The fee is the node's ``get_required_fees`` for the operation, in the configured fee asset.
- The transaction references the head block (TaPoS), expires ``expiration_s`` after the head
  block's time, is signed for the node's ``get_chain_id`` and goes to ``network_broadcast``:
  ``broadcast_transaction`` (accepted into the pending pool) or, with ``wait_for_block``,
  ``broadcast_transaction_synchronous`` (included in a block).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ..protocol.bitasset import PriceFeed
from ..protocol.codec import JsonFormError, parse_time
from ..protocol.ids import ObjectId
from ..protocol.keys import PrivateKey
from ..protocol.operations import OPERATION, AssetPublishFeed, AssetPublishFeedExtensions
from ..protocol.struct import to_json
from ..protocol.transaction import (
    SignedTransaction,
    Transaction,
    ref_block_fields,
    sign,
    transaction_id,
)
from ..protocol.types import Asset, Price
from .errors import FeedError
from .onchain import ChainPrice, price_from_chain
from .policy import OwnFeed
from .rpc import RpcClient

CORE_ASSET_ID = "1.3.0"
NETWORK_BROADCAST = "network_broadcast"


@dataclass(frozen=True)
class ChainAsset:
    id: ObjectId
    symbol: str
    precision: int
    bitasset_data_id: str | None


@dataclass(frozen=True)
class ChainHead:
    chain_id: bytes
    block_id: bytes
    time_s: int
    core: ChainAsset
    address_prefix: str


def _asset(obj: dict[str, Any]) -> ChainAsset:
    return ChainAsset(ObjectId.parse(obj["id"]), obj["symbol"], int(obj["precision"]),
                      obj.get("bitasset_data_id"))


async def read_head(rpc: RpcClient) -> ChainHead:
    """Chain id, head block (for TaPoS and the chain's clock), core asset and key prefix."""
    chain_id = await rpc.database("get_chain_id")
    props = await rpc.database("get_dynamic_global_properties")
    config = await rpc.database("get_config")
    core = (await rpc.database("get_assets", [CORE_ASSET_ID]))[0]
    try:
        return ChainHead(bytes.fromhex(chain_id), bytes.fromhex(props["head_block_id"]),
                         parse_time(props["time"]), _asset(core),
                         str(config.get("GRAPHENE_ADDRESS_PREFIX", "GPX")))
    except (KeyError, TypeError, ValueError, JsonFormError) as exc:
        raise FeedError(f"the node's chain properties are not as expected: {exc}") from None


async def read_asset(rpc: RpcClient, symbol: str) -> ChainAsset:
    found = (await rpc.database("lookup_asset_symbols", [symbol]))[0]
    if found is None:
        raise FeedError(f"asset {symbol} does not exist on this chain")
    return _asset(found)


async def read_bitasset(rpc: RpcClient, asset: ChainAsset) -> dict[str, Any] | None:
    """The asset's bitasset data (2.4.x), or None for an asset that is not market-pegged."""
    if asset.bitasset_data_id is None:
        return None
    found: dict[str, Any] | None = (await rpc.database("get_objects",
                                                       [asset.bitasset_data_id]))[0]
    return found


async def read_publisher(rpc: RpcClient, name: str) -> dict[str, Any]:
    account: dict[str, Any] | None = await rpc.database("get_account_by_name", name)
    if account is None:
        raise FeedError(f"publisher account {name!r} does not exist on this chain")
    return account


def check_key(account: dict[str, Any], key: PrivateKey, prefix: str) -> None:
    """Refuse a key that alone does not satisfy the account's active (or owner) authority."""
    text = key.public_key.to_text(prefix)
    for role in ("active", "owner"):
        authority = account.get(role) or {}
        weight = sum(int(w) for k, w in authority.get("key_auths", []) if k == text)
        if weight and weight >= int(authority.get("weight_threshold", 1)):
            return
    raise FeedError(f"the configured key {text} does not satisfy the active authority of "
                    f"publisher {account.get('name')!r}")


def own_feed(bitasset: dict[str, Any], publisher_id: str, smartcoin: ChainAsset,
             backing: ChainAsset) -> OwnFeed | None:
    """The publisher's entry of the bitasset data's ``feeds`` map, if any and not null."""
    feeds = bitasset.get("feeds") or []
    entries = feeds.items() if isinstance(feeds, dict) else feeds
    for publisher, (published, feed) in entries:
        if publisher != publisher_id:
            continue
        price = feed["settlement_price"]
        base, quote = price["base"], price["quote"]
        if (base["asset_id"], quote["asset_id"]) != (str(smartcoin.id), str(backing.id)) \
                or not int(base["amount"]) or not int(quote["amount"]):
            return None
        mcr = int(feed["maintenance_collateral_ratio"])
        return OwnFeed(
            parse_time(published),
            price_from_chain(int(base["amount"]), int(quote["amount"]), smartcoin.precision,
                             backing.precision),
            mcr, int(feed["maximum_short_squeeze_ratio"]),
            int(feed.get("initial_collateral_ratio", mcr)),
        )
    return None


def feed_operation(publisher_id: str, smartcoin: ChainAsset, backing: ChainAsset,
                   core: ChainAsset, settlement: ChainPrice, cer: ChainPrice, *, mcr: int,
                   mssr: int, icr: int | None) -> AssetPublishFeed:
    """The operation with a zero fee (see :func:`with_fee`)."""
    feed = PriceFeed(
        settlement_price=Price(Asset(settlement.base, smartcoin.id),
                               Asset(settlement.quote, backing.id)),
        maintenance_collateral_ratio=mcr,
        maximum_short_squeeze_ratio=mssr,
        core_exchange_rate=Price(Asset(cer.base, smartcoin.id), Asset(cer.quote, core.id)),
    )
    return AssetPublishFeed(Asset(0, core.id), ObjectId.parse(publisher_id), smartcoin.id, feed,
                            AssetPublishFeedExtensions(initial_collateral_ratio=icr))


async def with_fee(rpc: RpcClient, op: AssetPublishFeed, fee_asset: str) -> AssetPublishFeed:
    """``op`` with the fee the node requires, paid in ``fee_asset`` (symbol or id)."""
    fee = (await rpc.database("get_required_fees", [OPERATION.to_json(op)], fee_asset))[0]
    return msgspec.structs.replace(op, fee=Asset(int(fee["amount"]),
                                                 ObjectId.parse(fee["asset_id"])))


def signed_feed_transaction(op: AssetPublishFeed, head: ChainHead, key: PrivateKey,
                            expiration_s: int) -> SignedTransaction:
    """The transaction holding ``op``, referencing the head block, signed with ``key``."""
    ref_num, ref_prefix = ref_block_fields(head.block_id)
    tx = Transaction(ref_num, ref_prefix, head.time_s + expiration_s, (op,))
    return sign(tx, [key], head.chain_id)


async def broadcast(rpc: RpcClient, op: AssetPublishFeed, key: PrivateKey, *,
                    expiration_s: int, wait_for_block: bool) -> str:
    """Sign and send ``op`` (TaPoS on the current head); a line saying what became of it.
    A refusal raises :class:`~graphex.feed.errors.RpcError` with the node's message."""
    head = await read_head(rpc)
    tx = signed_feed_transaction(op, head, key, expiration_s)
    tx_id = transaction_id(tx).hex()
    if wait_for_block:
        result = await rpc.call(NETWORK_BROADCAST, "broadcast_transaction_synchronous",
                                to_json(tx))
        return f"transaction {tx_id} included in block {result.get('block_num')}"
    await rpc.call(NETWORK_BROADCAST, "broadcast_transaction", to_json(tx))
    return f"transaction {tx_id} accepted by the node"
