"""A feed round for a market-pegged asset, against a scripted node (the real chain has no
smartcoins yet): seed 002's USD from 0.205624768946542 USD/GPX to ``257/12500`` in the signed
operation; the publisher's last own feed read from bitasset data in the API's exact JSON form
(made by the chain's own object codec) deciding publish or skip; refusals."""

from __future__ import annotations

import asyncio
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from graphex.chain.genesis import devnet_key
from graphex.chain.smartcoin.objects import AssetBitassetData, PriceFeedWithIcr
from graphex.feed.config import FeedConfig, parse_config
from graphex.feed.errors import FeedError
from graphex.feed.publish import ChainAsset, own_feed
from graphex.feed.runner import run_round
from graphex.feed.sources import build_sources
from graphex.protocol.bitasset import BitassetOptions
from graphex.protocol.codec import format_time
from graphex.protocol.ids import ObjectId
from graphex.protocol.struct import codec_of, from_json
from graphex.protocol.transaction import SignedTransaction, signer_keys
from graphex.protocol.types import Asset, Price

CHAIN_ID = bytes(range(32))
HEAD_S = 1_767_300_000
GPX, USD, BTC = ObjectId(1, 3, 0), ObjectId(1, 3, 2), ObjectId(1, 3, 1)
INIT0 = "1.2.6"
KEY = devnet_key("init0")

CONFIG = f"""
[publisher]
account = "init0"
wif = "{KEY.to_wif()}"

[assets.USD]
backing = "GPX"

[sources.fx]
type = "manual"
prices = {{ "GPX/USD" = 0.205624768946542 }}
"""


def bitasset_json(own: tuple[int, int] | None, *, published_s: int = HEAD_S - 100,
                  backing: ObjectId = GPX, asset: ObjectId = USD) -> dict[str, Any]:
    feeds = ()
    if own is not None:
        price = Price(Asset(own[0], asset), Asset(own[1], backing))
        feeds = ((ObjectId.parse(INIT0), (published_s, PriceFeedWithIcr(price, 1750, 1100, price,
                                                                         1750))),)
    data = AssetBitassetData(id=ObjectId(2, 4, 0), asset_id=asset, feeds=feeds,
                             options=BitassetOptions(short_backing_asset=backing))
    return codec_of(AssetBitassetData).to_json(data)  # type: ignore[no-any-return]


class ScriptedNode:
    """Answers the database calls a round makes; records broadcasts."""

    def __init__(self, bitasset: dict[str, Any], refuse: str | None = None,
                 btc_backed: dict[str, Any] | None = None) -> None:
        self.bitassets = {"2.4.0": bitasset, "2.4.1": btc_backed}
        self.refuse = refuse
        self.broadcasts: list[SignedTransaction] = []
        assets = {"GPX": ("1.3.0", 5, None), "USD": ("1.3.2", 4, "2.4.0"),
                  "BTC": ("1.3.1", 8, None), "BUSD": ("1.3.3", 4, "2.4.1")}
        self.assets = {k: {"id": i, "symbol": k, "precision": p, "bitasset_data_id": b}
                       for k, (i, p, b) in assets.items()}

    async def database(self, method: str, *args: Any) -> Any:
        if method == "get_chain_id":
            return CHAIN_ID.hex()
        if method == "get_dynamic_global_properties":
            return {"head_block_number": 70000, "head_block_id": "00011170" + "ab" * 16,
                    "time": format_time(HEAD_S)}
        if method == "get_config":
            return {"GRAPHENE_ADDRESS_PREFIX": "GPX"}
        if method in ("get_assets", "lookup_asset_symbols"):
            by_id = {a["id"]: a for a in self.assets.values()}
            return [self.assets.get(k) or by_id.get(k) for k in args[0]]
        if method == "get_account_by_name":
            key = KEY.public_key.to_text()
            return {"id": INIT0, "name": "init0",
                    "active": {"weight_threshold": 1, "key_auths": [[key, 1]]}}
        if method == "get_objects":
            return [self.bitassets.get(i) for i in args[0]]
        if method == "get_required_fees":
            return [{"amount": 100000, "asset_id": "1.3.0"}]
        raise AssertionError(f"unexpected call {method}{args}")

    async def call(self, api: str, method: str, *args: Any) -> Any:
        if api == "database":
            return await self.database(method, *args)
        assert (api, method) == ("network_broadcast", "broadcast_transaction")
        if self.refuse:
            raise FeedError(f"{method}: {self.refuse}")
        self.broadcasts.append(from_json(SignedTransaction, args[0]))
        return None


def round_with(node: ScriptedNode, text: str = CONFIG, *, dry_run: bool = False
               ) -> tuple[int, str]:
    config: FeedConfig = parse_config(text, Path("feed.toml"))
    console = Console(record=True, width=140, file=open("/dev/null", "w"))  # noqa: SIM115
    problems = asyncio.run(run_round(config, node, build_sources(config.sources),  # type: ignore[arg-type]
                                     dry_run=dry_run, console=console))
    return problems, console.export_text()


def test_seed_002_price_is_published_as_257_over_12500() -> None:
    node = ScriptedNode(bitasset_json(None))
    problems, out = round_with(node)
    assert problems == 0, out
    (tx,) = node.broadcasts
    (op,) = tx.operations
    assert op.asset_id == USD and str(op.publisher) == INIT0
    assert op.feed.settlement_price == Price(Asset(257, USD), Asset(12500, GPX))
    # CER: 0.205624768946542 × 1.05 = 0.21590600739… → 2159 USD-sat per 100000 GPX-sat
    assert op.feed.core_exchange_rate == Price(Asset(2159, USD), Asset(100000, GPX))
    assert (op.feed.maintenance_collateral_ratio, op.feed.maximum_short_squeeze_ratio) == \
        (1750, 1100)
    assert op.fee == Asset(100000, GPX)
    assert (tx.ref_block_num, tx.expiration) == (0x1170, HEAD_S + 60)
    assert signer_keys(tx, CHAIN_ID) == [KEY.public_key]
    assert "2056/100000 → 257/12500 (USD sat / GPX sat; reads 0.2056 USD per GPX)" in out
    assert "USD: published — transaction" in out


def test_an_unchanged_recent_own_feed_is_not_republished() -> None:
    node = ScriptedNode(bitasset_json((257, 12500)))
    problems, out = round_with(node)
    assert problems == 0 and node.broadcasts == []
    assert "last own feed:                   0.2056 USD per GPX, MCR 1750 MSSR 1100 ICR 1750" in out
    assert "skip: moved +0.00% (not more than 1.00%), last own feed 100 s old" in out


def test_a_moved_price_or_an_old_feed_is_republished() -> None:
    node = ScriptedNode(bitasset_json((2000, 100000)))  # 0.2000: +2.80 %
    problems, out = round_with(node)
    assert problems == 0 and len(node.broadcasts) == 1
    assert "publish: moved +2.80%, more than min_change_percent 1.00%" in out
    node = ScriptedNode(bitasset_json((257, 12500), published_s=HEAD_S - 43_201))
    problems, out = round_with(node)
    assert len(node.broadcasts) == 1 and "more than max_age_s 43200" in out


def test_a_critical_move_is_held_back_and_counted() -> None:
    node = ScriptedNode(bitasset_json((1000, 100000)))  # 0.1000 → +105.6 %
    text = CONFIG.replace('backing = "GPX"', 'backing = "GPX"\nmax_change_percent = 50')
    problems, out = round_with(node, text)
    assert problems == 1 and node.broadcasts == []
    assert "refuse: NOT published: moved +105.60%, more than max_change_percent 50.00%" in out


def test_refusals_backing_mismatch_and_the_nodes_no() -> None:
    node = ScriptedNode(bitasset_json(None, backing=BTC))
    problems, out = round_with(node)
    assert problems == 1 and node.broadcasts == []
    assert "USD: no feed this round: USD is backed by 1.3.1 on chain, but the config says " \
           "backing = GPX (1.3.0)" in out
    node = ScriptedNode(bitasset_json(None), refuse="Execution error: insufficient balance")
    problems, out = round_with(node)
    assert problems == 1
    assert "USD: the node refused the feed: broadcast_transaction: Execution error: " \
           "insufficient balance" in out


def test_dry_run_needs_no_key_and_sends_nothing() -> None:
    node = ScriptedNode(bitasset_json(None))
    text = CONFIG.replace(f'wif = "{KEY.to_wif()}"\n', "")
    problems, out = round_with(node, text, dry_run=True)
    assert problems == 0 and node.broadcasts == [] and "dry run: would publish USD:" in out
    with pytest.raises(FeedError, match="no key for the publisher"):
        round_with(node, text)


def test_own_feed_reads_the_chains_json_and_ignores_other_publishers() -> None:
    usd = ChainAsset(USD, "USD", 4, "2.4.0")
    gpx = ChainAsset(GPX, "GPX", 5, None)
    data = bitasset_json((16050000, 781600000))
    own = own_feed(data, INIT0, usd, gpx)
    assert own is not None and own.price == F(1605, 7816) and own.published_s == HEAD_S - 100
    assert own_feed(data, "1.2.7", usd, gpx) is None
    assert own_feed(bitasset_json(None), INIT0, usd, gpx) is None


def test_a_smartcoin_backed_by_another_asset_prices_its_cer_in_core() -> None:
    """BUSD (precision 4) backed by BTC (precision 8): settlement = USD per BTC, 60000 →
    600000000 BUSD-sat / 100000000 BTC-sat = 6/1; CER = USD per GPX, 0.2 × 1.05 = 0.21 →
    2100 BUSD-sat / 100000 GPX-sat = 21/1000."""
    busd = ObjectId(1, 3, 3)
    node = ScriptedNode(bitasset_json(None), btc_backed=bitasset_json(None, backing=BTC,
                                                                      asset=busd))
    text = CONFIG.replace("[assets.USD]\nbacking = \"GPX\"",
                          "[assets.BUSD]\nbacking = \"BTC\"\npeg = \"USD\"")
    text = text.replace('"GPX/USD" = 0.205624768946542', '"GPX/USD" = 0.2, "BTC/USD" = 60000')
    problems, out = round_with(node, text)
    assert problems == 0, out
    (tx,) = node.broadcasts
    (op,) = tx.operations
    assert op.feed.settlement_price == Price(Asset(6, busd), Asset(1, BTC))
    assert op.feed.core_exchange_rate == Price(Asset(21, busd), Asset(1000, GPX))
    assert "core asset price:                0.2 USD per GPX from 1 candidate(s)" in out
