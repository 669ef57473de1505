"""The devnet's smartcoins: created by gateway in the first blocks, fed by three witnesses, and
borrowable at once; feeds are refreshed before they expire."""

from __future__ import annotations

from pathlib import Path

from graphex.chain.smartcoin.objects import AssetBitassetData
from graphex.cli.devnet_smartcoins import FEED_LIFETIME_S, MANUAL_PRICES, MCR, MSSR, DevnetFeeder
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import CallOrderUpdate
from graphex.protocol.types import Asset
from graphex.testing.orders import signed
from tests.node.test_node import check_invariants_at_head, make_node

GPX = ObjectId(1, 3, 0)


def produce(node, feeder: DevnetFeeder, blocks: int = 1, skip_s: int = 0) -> None:
    for _ in range(blocks):
        when = node.next_slot()[0] + skip_s
        node.produce_block(when)
        feeder(node.state.head_num)
        check_invariants_at_head(node)


def bitasset(node, symbol: str) -> AssetBitassetData:
    asset = node.state.asset_by_symbol(symbol)
    assert asset is not None and asset.bitasset_data_id is not None
    return node.state.db.get(asset.bitasset_data_id, AssetBitassetData)


def test_smartcoins_are_created_fed_and_borrowable(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    feeder = DevnetFeeder(node)
    feeder(node.state.head_num)  # the creations go into the first block
    produce(node, feeder, 3)
    for manual in MANUAL_PRICES:
        data = bitasset(node, manual.symbol)
        assert len(data.feeds) == 3
        feed = data.current_feed
        assert (feed.maintenance_collateral_ratio, feed.maximum_short_squeeze_ratio) == (MCR, MSSR)
        price = feed.settlement_price
        # within ±2 % of the manual price (units of the smartcoin per 10^5 GPX units)
        assert 98 * manual.units_per_gpx * price.quote.amount <= 100 * 100_000 * price.base.amount
        assert 100 * 100_000 * price.base.amount <= 102 * manual.units_per_gpx * price.quote.amount

    usd = node.state.asset_by_symbol("USD")
    alice = node.state.account_by_name("alice")
    assert usd is not None and alice is not None
    # 100 USD against 6 000 GPX: 3x the ~2 000 GPX it is worth, above MCR 1.75
    borrow = CallOrderUpdate(Asset(2_000_000, GPX), alice.id, Asset(6_000 * 100_000, GPX),
                             Asset(100 * 10_000, usd.id))
    node.push_transaction(signed(node, "alice", [borrow]))
    produce(node, feeder)
    assert node.state.balance(alice.id, usd.id) == 100 * 10_000


def test_feeds_are_refreshed_before_they_expire(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    feeder = DevnetFeeder(node)
    feeder(node.state.head_num)
    produce(node, feeder, 2)
    first = {account: entry[0] for account, entry in bitasset(node, "USD").feeds}
    produce(node, feeder, 2, skip_s=FEED_LIFETIME_S // 2)
    data = bitasset(node, "USD")
    assert all(entry[0] > first[account] for account, entry in data.feeds)
    assert not data.current_feed.is_null()
