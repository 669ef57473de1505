"""``graphex wallet futures`` through click's CliRunner: the refusals that need no node, then the
issue's user story against a real in-process node on loopback — list a BTC/GPX product, deposit
margin, go long 3 lots against a resting short (the price cut as the seed says), read the
position, the margin account and the liquidation price, close 1 lot with a reduce-only short,
withdraw the free margin — with the node's refusals printed as one line."""

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
from tests.served import Served, serve

PASSWORD = "correct horse"
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallet_file, "SCRYPT_N", wallet_file.MIN_SCRYPT_N)


class Wallet:
    def __init__(self, path: Path, node: str) -> None:
        self.path, self.node = path, node
        self.runner = CliRunner()

    def run(self, *args: str, ok: bool = True, top: bool = False) -> Result:
        head = ["wallet"] if top else ["wallet", "futures"]
        result = self.runner.invoke(
            cli, [*head, args[0], "--wallet", str(self.path), "--node", self.node, *args[1:]],
            env={"GRAPHEX_WALLET_PASSWORD": PASSWORD, "GRAPHEX_ACCOUNT": None})
        if ok:
            assert result.exit_code == 0, result.output
            assert "Traceback" not in result.output
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(args[0], "--json", *args[1:]).stdout)

    def refused(self, *args: str) -> str:
        result = self.run(*args, ok=False)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and result.output.startswith("Error: ")
        assert result.output.count("\n") == 1, result.output
        return result.output


def make_wallet(path: Path, node: str) -> Wallet:
    w = Wallet(path, node)
    w.run("create", top=True)
    for name in ("alice", "bob"):
        w.run("import-key", name, devnet_key(name).to_wif(), top=True)
    return w


# -- without a node ------------------------------------------------------------------------------
@pytest.fixture
def offline(tmp_path: Path) -> Wallet:
    return make_wallet(tmp_path / "wallet.json", UNREACHABLE)


def test_commands_are_listed() -> None:
    result = CliRunner().invoke(cli, ["wallet", "futures", "--help"])
    assert result.exit_code == 0
    for command in ("products", "series", "book", "list-product", "update-product", "deposit",
                    "withdraw", "long", "short", "cancel", "orders", "positions", "account",
                    "fee-pool"):
        assert command in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("long", "GPX/USD 2026-12", "1", "0", "-a", "alice"), "price 0 must be positive"),
    (("long", "GPX/USD 2026-12", "1", "cheap", "-a", "alice"),
     "price 'cheap' is not a decimal number"),
    (("short", "GPX/USD 2026-12", "1", "0.0000001", "-a", "alice"),
     "price 0.0000001 is below one tick (0.000001)"),
    (("long", "GPX/USD 2026-12", "1", "0.05"), "name the account with --account"),
    (("orders",), "the wallet holds keys labelled: alice, bob"),
    (("deposit", "5", "USD", "-a", "alice"), "cannot reach the node"),
])
def test_refusals_before_or_without_a_node(offline: Wallet, args: tuple[str, ...],
                                           message: str) -> None:
    assert message in offline.refused(*args)


def test_a_bad_lot_count_is_a_usage_error(offline: Wallet) -> None:
    result = offline.run("long", "GPX/USD 2026-12", "0", "0.05", "-a", "alice", ok=False)
    assert result.exit_code == 2 and "LOTS" in result.output


def test_the_cut_is_announced_before_sending(offline: Wallet) -> None:
    result = offline.run("long", "GPX/USD 2026-12", "1", "0.0500019", "-a", "alice", ok=False)
    assert result.stderr.startswith(
        "price 0.0500019 has more than 6 decimals: cut to 0.050001 (seed rule)\n")
    assert "cannot reach the node" in result.stderr


# -- the user story on a served node -------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path, auto_produce=True)


@pytest.fixture
def wallet(served: Served, tmp_path: Path) -> Wallet:
    return make_wallet(tmp_path / "wallet.json", served.url)


def gpx(text: str) -> int:
    """Decimal GPX text → units (precision 5)."""
    whole, _, frac = text.partition(".")
    return int(whole) * 10**5 + int(frac.ljust(5, "0") or 0)


def list_btc_gpx(wallet: Wallet) -> str:
    """List BTC/GPX (10 BTC per lot: one tick of 0.000001 GPX/BTC is worth one GPX unit) and
    return the name of a series that trades for a while yet."""
    listed = wallet.json("list-product", "BTC", "GPX", "--contract-size", "10", "-a", "alice")
    product_id = listed["operation_results"][0][1]
    assert product_id.startswith("1.100.")
    products = wallet.json("products")
    assert [(p["id"], p["symbol"], p["tick_value"]) for p in products] == \
        [(product_id, "BTC/GPX", 1)]
    assert "BTC/GPX" in wallet.run("products").output
    series = wallet.json("series", "BTC/GPX")
    assert len(series) >= 3
    trading = [s for s in series if s["status"] == "trading" and s["seconds_to_cutoff"] > 600]
    assert "BTC/GPX" in wallet.run("series", product_id).output
    return str(trading[0]["name"])


def test_user_story_long_read_close_withdraw(wallet: Wallet) -> None:
    name = list_btc_gpx(wallet)
    month = name.split()[1]
    colon_name = f"BTC/GPX:{month.replace('-', '')}"

    # margin in GPX (the quote) for both sides
    for who in ("alice", "bob"):
        moved = wallet.json("deposit", "20000", "GPX", "-a", who)
        assert moved["block_num"] >= 1
    assert "alice deposited 1 GPX into margin" in wallet.run("deposit", "1", "gpx", "-a",
                                                           "alice").output
    assert wallet.refused("deposit", "0.000001", "GPX", "-a", "alice").count(
        "more decimals than the asset's precision") == 1

    # bob's short rests; alice's long at a price with 7 decimals is cut and fills at bob's
    short = wallet.json("short", colon_name, "3", "3000", "-a", "bob")
    assert short["operation_results"][0][1].startswith("1.102.")
    assert (short["price"], short["price_cut"]) == (3_000_000_000, False)
    book = wallet.json("book", name)
    assert [(a["price"], a["lots"]) for a in book["asks"]] == [(3_000_000_000, 3)]
    assert "3000.000000" in wallet.run("book", colon_name).output
    result = wallet.run("long", name, "3", "3000.0000019", "-a", "alice", "--json")
    assert result.stderr == \
        "price 3000.0000019 has more than 6 decimals: cut to 3000.000001 (seed rule)\n"
    long = json.loads(result.stdout)
    assert (long["price"], long["price_text"], long["price_cut"]) == \
        (3_000_000_001, "3000.000001", True)
    assert wallet.json("book", name)["asks"] == []

    # the position, its liquidation price, and the margin account
    positions = wallet.json("positions", "-a", "alice")
    assert [(p["name"], p["lots"]) for p in positions] == [(name, 3)]
    liquidation = positions[0]["estimated_liquidation_price"]
    assert liquidation is not None and 0 < liquidation < 3_000_000_000
    text = wallet.run("positions", "-a", "alice").output
    assert name in text and "long" in text and "est. liquidation" in text
    assert f"{liquidation // 10**6}." in text
    account = wallet.json("account", "GPX", "-a", "alice")
    notional = 3 * 3_000_000_000  # lots × price ticks × tick value 1
    assert account["notional"] == notional
    assert account["initial_requirement"] == notional // 10
    assert account["maintenance_requirement"] == notional // 20
    assert account["equity"] < gpx("20001")  # the trade fee paid
    text = wallet.run("account", "GPX", "-a", "alice").output
    for label in ("equity", "used margin", "free margin", "maintenance requirement",
                  "margin ratio", "est. liquidation", name):
        assert label in text, text
    assert f"{account['margin_ratio_ppm'] // 10_000}." in text
    assert wallet.json("fee-pool", "GPX")["trade_fees"] > 0
    assert "trade fees" in wallet.run("fee-pool", "GPX").output

    # close 1 lot: bob bids, alice shorts 1 reduce-only; more than she holds is refused
    wallet.run("long", name, "1", "3000", "-a", "bob")
    closed = wallet.json("short", name, "1", "3000", "--reduce-only", "-a", "alice")
    assert closed["block_num"] >= 1
    assert [p["lots"] for p in wallet.json("positions", "-a", "alice")] == [2]
    assert [p["lots"] for p in wallet.json("positions", "-a", "bob")] == [-2]
    refusal = wallet.refused("short", name, "5", "2900", "--reduce-only", "-a", "alice")
    assert "Execution error" in refusal and "reduce-only" in refusal

    # an order of bob's listed and cancelled (its owner found among the wallet's accounts)
    resting = wallet.json("short", name, "1", "3500", "--post-only", "--expiration", "3600",
                          "-a", "bob")
    order_id = resting["operation_results"][0][1]
    orders = wallet.json("orders", "-a", "bob")
    assert [o["id"] for o in orders] == [order_id]
    assert "post-only" in wallet.run("orders", "-a", "bob").output
    assert f"bob cancelled {order_id}" in wallet.run("cancel", order_id).output
    assert wallet.json("orders", "-a", "bob") == []
    assert "is not an open order" in wallet.refused("cancel", order_id)

    # withdraw the free margin; a unit more is refused by the node
    account = wallet.json("account", "GPX", "-a", "alice")
    free = account["free_margin"]
    assert 0 < free < account["balance"]
    free_text = account["free_margin_text"]
    taken = wallet.json("withdraw", free_text, "GPX", "-a", "alice")
    assert taken["block_num"] >= 1
    after = wallet.json("account", "GPX", "-a", "alice")
    assert after["balance"] == account["balance"] - free
    assert after["free_margin"] == 0
    refusal = wallet.refused("withdraw", "1", "GPX", "-a", "alice")
    assert "Execution error" in refusal and "free margin" in refusal


def test_update_product_and_node_refusals(wallet: Wallet) -> None:
    name = list_btc_gpx(wallet)
    updated = wallet.json("update-product", "BTC/GPX", "--trade-fee", "0.02")
    assert updated["block_num"] >= 1
    products = wallet.json("products")
    assert products[0]["parameters"]["trade_fee_ppm"] == 200
    assert "0.02%" in wallet.run("products").output
    # the chain refuses: bob does not own the product; a second product on the pair
    assert "owner" in wallet.refused("update-product", "BTC/GPX", "--trade-fee", "0",
                                     "-a", "bob")
    assert "Execution error" in wallet.refused("list-product", "BTC", "GPX", "--contract-size",
                                               "10", "-a", "bob")
    assert "use a multiple of 10 BTC" in wallet.refused(
        "list-product", "BTC", "GPX", "--contract-size", "5", "-a", "bob")
    # an order without margin is refused with the node's message
    assert "Execution error" in wallet.refused("long", name, "1", "3000", "-a", "bob")
    assert "no futures product GPX/BTC" in wallet.refused("book", "GPX/BTC 2026-12")
