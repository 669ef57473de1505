"""``graphex feed`` end to end against a real in-process node and API server on loopback.

The devnet chain has a BTC:GPX market; one trade (alice sells 0.001 BTC for 100 GPX) gives the
DEX ticker 100 000 GPX per BTC over 0.001 BTC. The feed prices BTC (precision 8) backed by GPX
(precision 5) from that DEX market and from GPX/USD (manual, 0.6 over 1000 GPX) × BTC/USD
(kraken through ccxt, answering from a recorded ticker; nothing reaches the network).

BTC is a user-issued asset, so a feed for it is refused by the chain: those tests check that the
transaction is built, priced, signed and submitted, and that the refusal is printed readably. A
witness-fed USD smartcoin created in the test is published to, read back, skipped and updated.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt_async
import pytest
from click.testing import CliRunner
from rich.console import Console

from graphex.chain.genesis import devnet_key
from graphex.cli.main import cli
from graphex.feed import publish
from graphex.feed.config import load_config
from graphex.feed.runner import run
from graphex.node.node import Node
from graphex.protocol.fees import fee_for
from graphex.protocol.struct import to_json
from graphex.protocol.transaction import SignedTransaction
from tests.node.test_history import T0, trade
from tests.served import Served, serve

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "ccxt_tickers.json").read_text())
BTC_PER_GPX = (F(1, 100_000) * 100 + F("0.6") / F("60000.1") * 1000) / 1100  # the VWAP


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    for net in serve(tmp_path):
        net.on_loop(lambda node: trade(node, T0 + 10, 10_000_000, 100_000))  # 100 GPX, 0.001 BTC
        yield net


@pytest.fixture(autouse=True)
def recorded_kraken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every kraken exchange object answers fetch_ticker from the recording (stamped now) and
    fails any real HTTP request."""

    async def fetch_ticker(self: Any, symbol: str, params: Any = None) -> dict[str, Any]:
        ticker = dict(RECORDED["kraken"][symbol])
        ticker["timestamp"] = int(time.time() * 1000)
        return ticker

    async def no_network(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(ccxt_async.kraken, "fetch_ticker", fetch_ticker)
    monkeypatch.setattr(ccxt_async.kraken, "fetch", no_network)


def write_config(tmp_path: Path, url: str, *, publisher: str = "init0", key: str = "init0",
                 extra: str = "") -> Path:
    path = tmp_path / "feed.toml"
    path.write_text(f"""
[node]
url = "{url}"

[publisher]
account = "{publisher}"
wif = "{devnet_key(key).to_wif()}"

[defaults]
intermediate_assets = ["USD"]

[assets.BTC]
backing = "GPX"
{extra}

[sources.dex]
type = "dex"
markets = ["BTC/GPX"]

[sources.fx]
type = "manual"
prices = {{ "GPX/USD" = {{ price = 0.6, volume = 1000 }} }}

[sources.kraken]
type = "ccxt"
exchange = "kraken"
markets = ["BTC/USD"]
""")
    return path


def feed(*args: str) -> Any:
    return CliRunner().invoke(cli, ["feed", *args], catch_exceptions=False)


def test_once_dry_run_prints_the_table_and_publishes_nothing(served: Served, tmp_path: Path
                                                            ) -> None:
    config = write_config(tmp_path, served.server.url)
    result = feed("--config", str(config), "--once", "--dry-run")
    out = result.output
    assert result.exit_code == 0, out
    assert "BTC: GPX priced in BTC (weighted)" in out
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:6]]
            for line in out.splitlines() if line.startswith("│") and ":" in line}
    assert rows["dex:BTC/GPX inverted"] == ["0.00001", "100", "9.09%", "+0.00%"]
    assert rows["fx:GPX/USD × kraken:BTC/USD inverted"] == ["0.000009999983333", "1000",
                                                            "90.91%", "+0.00%"]
    assert "BTC is not a market-pegged asset on this chain" in out
    # 0.0000099999… BTC per GPX → 1000 BTC-sat per 100000 GPX-sat → 1/100; CER ×1.05 → 21/2000
    assert re.search(r"settlement_price:\s+1000/100000 → 1/100 \(BTC sat / GPX sat; reads "
                     r"0.00001000 BTC per GPX\)", out)
    assert re.search(r"core_exchange_rate \(\+5.00%\):\s+1050/100000 → 21/2000", out)
    assert "decision:" in out and "publish: no feed of this publisher on chain yet" in out
    fee = served.on_loop(lambda n: fee_for(n.state.params.current_fees, _feed_op(n)))
    assert f"fee: {' ' * 28}{fee} sat of 1.3.0" in out
    op = json.loads(out.split("dry run: would publish BTC:")[1].strip())
    assert op[0] == 19 and op[1]["feed"]["settlement_price"] == {
        "base": {"amount": 1, "asset_id": "1.3.1"}, "quote": {"amount": 100, "asset_id": "1.3.0"}}
    assert op[1]["publisher"] == served.call("get_account_by_name", "init0")["id"]
    assert served.on_loop(lambda n: len(n.pending)) == 0  # nothing was broadcast


def _feed_op(node: Node) -> Any:
    from graphex.protocol.bitasset import PriceFeed
    from graphex.protocol.ids import ObjectId
    from graphex.protocol.operations import AssetPublishFeed
    from graphex.protocol.types import Asset, Price

    price = Price(Asset(1, ObjectId(1, 3, 1)), Asset(100, ObjectId(1, 3, 0)))
    return AssetPublishFeed(Asset(0, ObjectId(1, 3, 0)), ObjectId(1, 2, 0), ObjectId(1, 3, 1),
                            PriceFeed(price, 1750, 1100, price))


def test_publishing_builds_signs_and_submits_and_prints_the_chains_refusal(
        served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[SignedTransaction] = []
    original = publish.signed_feed_transaction

    def record(*args: Any, **kwargs: Any) -> SignedTransaction:
        tx = original(*args, **kwargs)
        sent.append(tx)
        return tx

    monkeypatch.setattr(publish, "signed_feed_transaction", record)
    config = write_config(tmp_path, served.server.url, extra="icr = 2000")
    result = feed("--config", str(config), "--once")
    assert result.exit_code == 1, result.output
    refusal = re.search(r"BTC: the node refused the feed: broadcast_transaction: (.*)",
                        result.output)
    assert refusal, result.output
    # today: no evaluator for op 19; once smartcoins land: BTC is not market-pegged
    assert re.search(r"Execution error: .*(not supported|market-pegged|bitasset)", refusal[1])
    (tx,) = sent
    (op,) = tx.operations
    assert (op.feed.settlement_price.base.amount, op.feed.settlement_price.quote.amount) == (1, 100)
    assert (op.feed.core_exchange_rate.base.amount, op.feed.core_exchange_rate.quote.amount) == \
        (21, 2000)
    assert op.extensions.initial_collateral_ratio == 2000
    assert op.fee.amount == served.on_loop(lambda n: fee_for(n.state.params.current_fees, op)) > 0
    head = served.call("get_dynamic_global_properties")
    assert tx.expiration == served.on_loop(lambda n: n.state.head_time) + 60
    assert tx.ref_block_num == head["head_block_number"] & 0xFFFF
    # the node accepts the signature as init0's active authority
    assert served.call("verify_authority", to_json(tx)) is True


def test_a_key_that_is_not_the_publishers_is_refused_before_anything_is_sent(
        served: Served, tmp_path: Path) -> None:
    config = write_config(tmp_path, served.server.url, key="alice")
    result = feed("--config", str(config), "--once")
    assert result.exit_code == 1
    assert "does not satisfy the active authority of publisher 'init0'" in result.output
    assert served.on_loop(lambda n: len(n.pending)) == 0


def test_readable_failures_unknown_asset_unreachable_node_bad_config(
        served: Served, tmp_path: Path) -> None:
    config = write_config(tmp_path, served.server.url)
    config.write_text(config.read_text().replace("[assets.BTC]", "[assets.USD]"))
    result = feed("--config", str(config), "--once", "--dry-run")
    assert result.exit_code == 1
    assert "USD: no feed this round: asset USD does not exist on this chain" in result.output
    config.write_text(config.read_text().replace(served.server.url, "http://127.0.0.1:9"))
    result = feed("--config", str(config), "--once", "--dry-run")
    assert result.exit_code == 1
    assert "round failed: get_chain_id: cannot reach the node at http://127.0.0.1:9" in \
        result.output
    config.write_text(config.read_text().replace("[assets.USD]", "[assets.USD]\nmcr = 1"))
    result = feed("--config", str(config), "--once")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: " in result.output and "assets.USD.mcr: must be an integer" in result.output


def test_without_once_rounds_repeat_every_interval(served: Served, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, served.server.url))
    config = type(config)(**{**config.__dict__, "interval_s": 1})
    console = Console(record=True, width=140, file=open("/dev/null", "w"))  # noqa: SIM115

    async def two_rounds() -> None:
        await asyncio.wait_for(run(config, once=False, dry_run=True, console=console), 1.5)

    with pytest.raises(TimeoutError):
        asyncio.run(two_rounds())
    text = console.export_text()
    assert text.count("dry run: would publish BTC") == 2
    assert text.count("next round in 1 s") == 2


def test_the_node_can_be_reached_over_websocket(served: Served, tmp_path: Path) -> None:
    config = write_config(tmp_path, served.server.ws_url)
    result = feed("--config", str(config), "--once", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "settlement_price:" in result.output and "1000/100000 → 1/100" in result.output


# -- a real smartcoin, where the chain supports them ----------------------------------------------
def create_usd(node: Node) -> str | None:
    """A witness-fed USD (precision 4) backed by GPX, issued by alice, in a block of its own;
    its bitasset data id, or None on a chain that refuses market-pegged assets."""
    from graphex.chain.errors import NotSupported
    from graphex.protocol.bitasset import BitassetOptions
    from graphex.protocol.ids import ObjectId
    from graphex.protocol.operations import AssetCreate
    from graphex.protocol.types import Asset, AssetOptions, Price
    from tests.node.test_history import signed

    gpx, new = ObjectId(1, 3, 0), ObjectId(1, 3, 1)
    options = AssetOptions(10**15, 0, 0, 0x1FF, 0x80, Price(Asset(1, new), Asset(1, gpx)),
                           (), (), (), (), "")
    alice = node.state.account_by_name("alice")
    assert alice is not None
    create = AssetCreate(Asset(0, gpx), alice.id, "USD", 4, options,
                         BitassetOptions(short_backing_asset=gpx))
    try:
        node.push_transaction(signed(node, "alice", create))
    except NotSupported:
        return None
    node.produce_block(node.next_slot()[0])
    usd = node.state.asset_by_symbol("USD")
    return None if usd is None else str(usd.bitasset_data_id)


def test_a_feed_for_a_real_smartcoin_is_published_then_skipped_then_updated(
        served: Served, tmp_path: Path) -> None:
    bitasset_id = served.on_loop(create_usd)
    assert bitasset_id is not None, "creating the USD smartcoin failed"
    config = tmp_path / "usd.toml"
    config.write_text(f"""
[node]
url = "{served.server.url}"
[publisher]
account = "init0"
wif = "{devnet_key("init0").to_wif()}"
[assets.USD]
[sources.fx]
type = "manual"
prices = {{ "GPX/USD" = 0.205624768946542 }}
""")
    result = feed("--config", str(config), "--once")
    assert result.exit_code == 0, result.output
    assert "USD: published — transaction" in result.output
    served.on_loop(lambda n: n.produce_block(n.next_slot()[0]))
    init0 = served.call("get_account_by_name", "init0")["id"]
    (data,) = served.call("get_objects", [bitasset_id])
    feeds = {publisher: entry for publisher, entry in data["feeds"]}
    assert feeds[init0][1]["settlement_price"] == {
        "base": {"amount": 257, "asset_id": data["asset_id"]},
        "quote": {"amount": 12500, "asset_id": "1.3.0"}}

    again = feed("--config", str(config), "--once")
    assert again.exit_code == 0, again.output
    assert "skip: moved +0.00% (not more than 1.00%)" in again.output
    assert "0.2056 USD per GPX, MCR 1750 MSSR 1100 ICR 1750" in again.output
    assert served.on_loop(lambda n: len(n.pending)) == 0

    config.write_text(config.read_text().replace("0.205624768946542", "0.21"))
    moved = feed("--config", str(config), "--once")
    assert moved.exit_code == 0, moved.output
    assert "publish: moved +2.14%, more than min_change_percent 1.00%" in moved.output
    assert "USD: published" in moved.output
