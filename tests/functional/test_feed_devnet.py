"""`graphex feed --once` against a real devnet: a witness publishes a manual USD price, and the
rounded, gcd-reduced rational price (seed 002: 0.205624768946542 USD/GPX → 257/12500) is what the
chain holds for that witness, visible through the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from framework import DevnetProcess, graphex, wait_until

from graphex.chain.genesis import devnet_key

pytestmark = pytest.mark.functional

PUBLISHER = "init5"  # a witness the devnet's own feeder (init0..init2) does not use


def test_feed_tool_publishes_a_manual_price_on_the_devnet(tmp_path: Path) -> None:
    node = DevnetProcess(tmp_path / "devnet").start()
    try:
        usd = wait_until(lambda: node.rpc("lookup_asset_symbols", ["USD"])[0], 40,
                         "the devnet's USD smartcoin")
        config = tmp_path / "feed.toml"
        config.write_text(f"""
[node]
url = "{node.url}"
wait_for_block = true

[publisher]
account = "{PUBLISHER}"
wif = "{devnet_key(PUBLISHER).to_wif()}"

[assets.USD]
backing = "GPX"
sources = ["manual"]

[sources.manual]
type = "manual"
prices = {{ "GPX/USD" = 0.205624768946542 }}
""")
        result = graphex("feed", "--config", str(config), "--once")
        assert result.returncode == 0, result.stdout + result.stderr
        publisher = node.rpc("get_account_by_name", PUBLISHER)["id"]
        (data,) = node.rpc("get_objects", [usd["bitasset_data_id"]])
        feeds = {account: entry for account, entry in data["feeds"]}
        feed = feeds[publisher][1]
        assert feed["settlement_price"] == {
            "base": {"amount": 257, "asset_id": usd["id"]},
            "quote": {"amount": 12500, "asset_id": "1.3.0"},
        }
        assert feed["maintenance_collateral_ratio"] == 1750
        assert feed["maximum_short_squeeze_ratio"] == 1100
    finally:
        node.stop()
