"""``graphex wallet`` through click's CliRunner against a real in-process node on loopback:
create, import, list, balance, transfer, buy and cancel, register, publish a feed, borrow,
settle, propose and approve — each with ``--json`` — and readable failures without tracebacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from graphex.chain.genesis import devnet_key
from graphex.cli.main import cli
from graphex.client import wallet_file
from graphex.protocol.bitasset import BitassetOptions
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import AssetCreate
from graphex.protocol.types import Asset, AssetOptions, Price
from tests.served import Served, serve

PASSWORD = "correct horse"
GPX, NEW_ASSET = ObjectId(1, 3, 0), ObjectId(1, 3, 1)


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallet_file, "SCRYPT_N", wallet_file.MIN_SCRYPT_N)

@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path, auto_produce=True)


class Wallet:
    def __init__(self, path: Path, node: str) -> None:
        self.path, self.node = path, node
        self.runner = CliRunner()

    def run(self, *args: str, password: str = PASSWORD, ok: bool = True) -> Result:
        result = self.runner.invoke(
            cli, ["wallet", args[0], "--wallet", str(self.path), "--node", self.node, *args[1:]],
            env={"GRAPHEX_WALLET_PASSWORD": password})
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(args[0], "--json", *args[1:]).output)


@pytest.fixture
def wallet(served: Served, tmp_path: Path) -> Wallet:
    w = Wallet(tmp_path / "wallet.json", served.url)
    assert w.json("create") == {"wallet": str(w.path)}
    for name in ("alice", "bob", "init0"):
        w.run("import-key", name, devnet_key(name).to_wif())
    return w


def test_keys_list_and_balance(wallet: Wallet) -> None:
    listing = wallet.json("list")
    assert [e["label"] for e in listing] == ["alice", "bob", "init0"]
    assert listing[0]["public_key"] == devnet_key("alice").public_key.to_text()
    new = wallet.json("new-key", "--label", "spare")
    assert new["public_key"].startswith("GPX")
    assert wallet.json("balance", "alice") == {"GPX": "1000000", "BTC": "10"}
    assert devnet_key("alice").to_wif() not in wallet.path.read_text()


def test_transfer_buy_and_cancel(wallet: Wallet) -> None:
    sent = wallet.json("transfer", "alice", "bob", "12.5", "GPX", "--memo", "hi")
    assert sent["block_num"] >= 1 and sent["operation_results"] == [[0, {}]]
    assert wallet.json("transfer", "alice", "bob", "0.5 GPX")["block_num"] >= 1
    assert wallet.json("balance", "bob")["GPX"] == "1000013"
    order = wallet.json("buy", "alice", "0.3", "BTC", "33333.33333", "GPX")
    order_id = order["operation_results"][0][1]
    assert order_id.startswith("1.7.")
    text = wallet.run("cancel", order_id).output
    assert f"cancelled {order_id}" in text and "included in block" in text
    sold = wallet.json("sell", "bob", "0.1", "BTC", "40000", "GPX", "--expiration", "3600")
    assert sold["operation_results"][0][1].startswith("1.7.")


def test_register_a_new_account(wallet: Wallet) -> None:
    made = wallet.json("register", "newcomer", "--registrar", "alice")
    assert made["account"] == "newcomer" and made["operation_results"][0][1].startswith("1.2.")
    assert made["public_key"] in [e["public_key"] for e in wallet.json("list")]
    wallet.run("transfer", "alice", "newcomer", "100", "GPX")
    wallet.run("transfer", "newcomer", "bob", "1", "GPX")


def test_smartcoin_feed_borrow_settle(served: Served, wallet: Wallet) -> None:
    with served.client("alice") as client:
        options = AssetOptions(10**15, 0, 0, 0x1FF, 0x80,
                               Price(Asset(1, NEW_ASSET), Asset(1, GPX)), (), (), (), (), "")
        client.broadcast(AssetCreate(Asset(0, GPX), client.account_id("alice"), "USDT", 4,
                                     options, BitassetOptions(short_backing_asset=GPX)))
    wallet.run("transfer", "alice", "init0", "100", "GPX")
    fed = wallet.json("publish-feed", "init0", "USDT", "20 GPX/USDT")
    assert fed["block_num"] >= 1
    borrowed = wallet.json("borrow", "alice", "100", "USDT", "--ratio", "2.5")
    assert borrowed["block_num"] >= 1
    assert wallet.json("balance", "alice")["USDT"] == "100"
    wallet.run("borrow", "--collateral", "-100 GPX", "--", "alice", "-10", "USDT")
    assert wallet.json("balance", "alice")["USDT"] == "90"
    assert wallet.json("settle", "alice", "5", "USDT")["block_num"] >= 1


def test_propose_and_approve(served: Served, wallet: Wallet) -> None:
    ops = json.dumps([[0, {"from": "1.2.17", "to": "1.2.18",
                           "amount": {"amount": 100000, "asset_id": "1.3.0"}}]])
    proposed = wallet.json("propose", "bob", ops)
    proposal_id = proposed["operation_results"][0][1]
    assert proposal_id.startswith("1.10.")
    assert wallet.json("approve", "alice", proposal_id)["block_num"] >= 1


def test_send_broadcasts_any_operation_as_json(served: Served, wallet: Wallet) -> None:
    # asset_create has no command of its own: a user-issued asset through `send`
    options = {"max_supply": "1000000000", "market_fee_percent": 0, "max_market_fee": 0,
               "issuer_permissions": 79, "flags": 0,
               "core_exchange_rate": {"base": {"amount": 1, "asset_id": "1.3.0"},
                                      "quote": {"amount": 1, "asset_id": "1.3.1"}},
               "whitelist_authorities": [], "blacklist_authorities": [],
               "whitelist_markets": [], "blacklist_markets": [], "description": "", "extensions": {}}
    ops = json.dumps([[10, {"issuer": "1.2.17", "symbol": "WALLETCOIN", "precision": 2,
                            "common_options": options, "is_prediction_market": False,
                            "extensions": []}]])
    sent = wallet.json("send", ops)
    assert sent["operation_results"][0][1].startswith("1.3.")
    result = wallet.run("send", "[]", ok=False)
    assert result.exit_code == 2 and "non-empty JSON list" in result.output


def test_failures_are_one_readable_line(wallet: Wallet) -> None:
    result = wallet.run("list", password="wrong", ok=False)
    assert result.exit_code == 1
    assert "wrong password, or the file was altered" in result.output
    assert "Traceback" not in result.output
    result = wallet.run("transfer", "alice", "bob", "1.000001", "GPX", ok=False)
    assert result.exit_code == 1 and "more decimals than the asset's precision" in result.output
    result = wallet.run("transfer", "alice", "bob", "5000000", "GPX", ok=False)
    assert result.exit_code == 1 and "insufficient balance" in result.output
    result = wallet.run("cancel", "1.7.99", ok=False)
    assert result.exit_code == 1 and "does not exist" in result.output
    result = wallet.run("create", ok=False)
    assert result.exit_code == 1 and "already exists" in result.output
    result = wallet.run("propose", "bob", "[nope", ok=False)
    assert result.exit_code == 2 and "not JSON" in result.output
