"""An uptick session as a user would type it, against a real ``graphex devnet`` process: info,
balance, transfer, buy, sell, orderbook, ticker, cancel, feeds, borrow, updateratio, settle.

Each command is a new ``uptick`` process (``Uptick`` from test_pybts_market: temporary home and
wallet, python-bitshares' devnet settings in ``sitecustomize.py``, ``UNLOCK``); every command must
succeed and print what the chain then holds, which the test reads back through the API. The
devnet has BTC:GPX (1.3.1, precision 8) and the witness-fed smartcoins USD (1.3.2) and CNY.
``borrow`` runs with :data:`FULL_ASSET_FIX` (python-bitshares 0.7.1's object cache; see
test_pybts_smartcoin's docstring) — the one known client quirk.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from framework import DevnetProcess
from test_pybts_market import UPTICK, amounts, placed, table_rows
from test_pybts_smartcoin import (
    GPX,
    USD,
    SmartcoinUptick,
    devnet,  # noqa: F401  (the fixture: a devnet whose USD and CNY are fed)
    feed_price,
    feed_rows,
    only_op,
    position,
    pybts_collateral,
    units,
)

from graphex.chain.genesis import devnet_key

pytestmark = pytest.mark.functional

BTC = "1.3.1"


def balance(node: DevnetProcess, name: str, asset_id: str) -> int:
    (amount,) = node.rpc("get_account_balances", name, [asset_id])
    return int(amount["amount"])


def test_uptick_session(devnet: DevnetProcess, tmp_path: Path) -> None:  # noqa: F811
    assert UPTICK is not None, "uptick is not installed (pip install -e '.[dev]')"
    uptick = SmartcoinUptick(tmp_path / "uptick-home", devnet)
    uptick("addkey", devnet_key("alice").to_wif(), devnet_key("bob").to_wif())
    alice = devnet.rpc("get_account_by_name", "alice")["id"]
    bob = devnet.rpc("get_account_by_name", "bob")["id"]

    # info: the chain's dynamic properties, an account, an asset
    rows = {r[0]: r[1] for r in table_rows(uptick("info")) if len(r) == 2}
    assert int(rows["head_block_number"]) >= 1 and rows["id"] == "2.1.0"
    assert alice in uptick("info", "alice")
    assert BTC in uptick("info", "BTC")

    # balance: alice's GPX and BTC as the API holds them
    gpx, btc = balance(devnet, "alice", GPX), balance(devnet, "alice", BTC)
    cells = [cell for row in table_rows(uptick("balance", "alice")) for cell in row]
    assert f"{gpx / 10**5:,.5f} GPX" in cells and f"{btc / 10**8:,.8f} BTC" in cells

    # transfer: bob gets exactly 12.5 GPX
    bob_gpx = balance(devnet, "bob", GPX)
    tx = uptick.tx("transfer", "bob", "12.5", "GPX", "--account", "alice")
    op = only_op(tx, 0)
    assert (op["from"], op["to"], units(op["amount"], GPX)) == (alice, bob, 1_250_000)
    assert balance(devnet, "bob", GPX) - bob_gpx == 1_250_000

    # buy and sell: alice bids 0.3 BTC at 33 333.33333 GPX; bob sells 0.1 BTC into it
    bid, bid_op = placed(uptick.tx("buy", "0.3", "BTC", "33333.33333", "GPX",
                                   "--account", "alice"))
    assert amounts(bid_op) == ((10**9, GPX), (3 * 10**7, BTC))
    ask, ask_op = placed(uptick.tx("sell", "0.1", "BTC", "33000", "GPX", "--account", "bob"))
    assert amounts(ask_op) == ((10**7, BTC), (330 * 10**6, GPX))
    assert devnet.rpc("get_objects", [ask]) == [None]
    # bob's 10^7 sat fill at alice's price: floor(10^7 * 10^9 / (3*10^7)) = 333 333 333 GPX units
    assert devnet.rpc("get_objects", [bid])[0]["for_sale"] == 10**9 - 333_333_333

    # orderbook: the rest of alice's bid, 0.2 BTC for 6 666.66667 GPX
    rows = table_rows(uptick("orderbook", "BTC:GPX"))
    assert any(r[:3] == ["0.20000000 BTC", "0.20000000 BTC", "6,666.66667 GPX"] for r in rows), rows

    # ticker: the maker's (alice's) price is the latest; her bid is the highest
    ticker = devnet.rpc("get_ticker", "GPX", "BTC")
    shown = {r[0]: r[1] for r in table_rows(uptick("ticker", "BTC:GPX")) if len(r) == 2}
    assert float(ticker["latest"]) > 0 and shown, shown
    assert float(shown["latest"].split()[0]) == pytest.approx(33333.33333, rel=1e-6)
    assert float(shown["highestBid"].split()[0]) == pytest.approx(33333.33333, rel=1e-6)

    # cancel: the bid leaves the book and the API
    cancel = uptick.tx("cancel", bid, "--account", "alice")
    assert [o[0] for o in cancel["operations"]] == [2]
    assert devnet.rpc("get_objects", [bid]) == [None]
    assert devnet.rpc("get_limit_orders", GPX, BTC, 10) == []

    # feeds: init0..init2 publish USD
    rows_by_producer = feed_rows(uptick("feeds", "USD"), "USD")
    assert all(rows_by_producer[f"init{i}"][0] == "X" for i in range(3))

    # borrow 50 USD at ratio 2.5, then updateratio 3.5 (collateral as python-bitshares computes)
    feed = feed_price(devnet)
    with uptick.full_asset_fix():
        tx = uptick.tx("borrow", "50", "USD", "--ratio", "2.5", "--account", "bob")
    op = only_op(tx, 3)
    collateral = pybts_collateral(500_000, 2.5, feed)
    assert (units(op["delta_debt"], USD), units(op["delta_collateral"], GPX)) == \
        (500_000, collateral)
    assert position(devnet, "bob")["debt"] == 500_000
    tx = uptick.tx("updateratio", "USD", "--ratio", "3.5", "--account", "bob")
    added = units(only_op(tx, 3)["delta_collateral"], GPX)
    assert added == pybts_collateral(500_000, 3.5, feed, held_units=collateral)
    assert position(devnet, "bob")["collateral"] == collateral + added

    # settle 5 USD: a settle order holding them
    usd_before = balance(devnet, "bob", USD)
    tx = uptick.tx("settle", "5", "USD", "--account", "bob")
    assert units(only_op(tx, 17)["amount"], USD) == 50_000
    assert balance(devnet, "bob", USD) == usd_before - 50_000
    (order,) = devnet.rpc("get_settle_orders", "USD", 10)
    assert (order["owner"], order["balance"]) == (bob, {"amount": 50_000, "asset_id": USD})
