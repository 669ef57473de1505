"""python-bitshares and uptick trade BTC against GPX on a real ``graphex devnet`` process.

The devnet's genesis opens the BTC:GPX market at block 0: alice and bob hold 1 000 000 GPX and
10 BTC each. Every amount below is worked out by hand from BitShares' rules: an order fills at the
maker's price; when the taker is the smaller order it receives ``floor(its amount * price)`` and
pays only ``ceil(that / price)``; when the maker is the smaller one, the maker receives
``floor(its amount * price)`` and the taker pays ``ceil(that / price)`` (BSIP35). The creation fee
is deferred: refunded if the order is cancelled before any fill, charged at its first fill.

Units: 1 GPX = 10^5, 1 BTC = 10^8 (satoshi). Broadcasts are blocking (they return once a block
includes the transaction), so nothing sleeps.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bitshares import BitShares
from bitshares.account import Account
from bitshares.instance import SharedInstance
from bitshares.market import Market
from bitsharesbase.chains import known_chains
from framework import TIMEOUT_FACTOR, DevnetProcess, wait_until
from graphenebase import ecdsa as gph_ecdsa
from graphenecommon.blockchainobject import Caching, ObjectCacheInMemory
from graphenestorage import InRamConfigurationStore

from graphex.chain.genesis import devnet_key

pytestmark = pytest.mark.functional

GPX, BTC = "1.3.0", "1.3.1"
GPX_START = 1_000_000 * 10**5
BTC_START = 10 * 10**8
MAKER_PRICE = "33333.3333333333333333"  # 10 000 GPX / 0.3 BTC in BitShares' 19-digit price form
UPTICK_TIMEOUT_S = 60.0
UPTICK = shutil.which("uptick", path=str(Path(sys.executable).parent)) or shutil.which("uptick")


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[DevnetProcess]:
    node = DevnetProcess(tmp_path / "devnet")
    try:
        node.start()
        wait_until(lambda: node.head() >= 1, 30, "the first block")
        yield node
    except BaseException:
        print(node.log.read_text(errors="replace")[-4000:])
        raise
    finally:
        node.stop()


@pytest.fixture
def bitshares(devnet: DevnetProcess, monkeypatch: pytest.MonkeyPatch) -> BitShares:
    # graphenelib 1.6's default signer breaks with current ecdsa; its pure-python one works
    monkeypatch.setattr(gph_ecdsa, "SECP256K1_MODULE", "ecdsa")
    chain_id = devnet.rpc("get_chain_properties")["chain_id"]
    monkeypatch.setitem(known_chains, "GPX",
                        {"chain_id": chain_id, "core_symbol": "GPX", "prefix": "GPX"})
    client = BitShares(node=f"ws://127.0.0.1:{devnet.port}",
                       keys=[devnet_key(n).to_wif() for n in ("alice", "bob")], blocking=True,
                       config_store=InRamConfigurationStore(), num_retries=0)
    # python-bitshares caches accounts and assets in one class attribute for the whole process (its
    # clear_cache() resets another class's); give this test its own, so no test sees another's
    monkeypatch.setattr(Caching, "_cache", ObjectCacheInMemory())
    # Market.trades() builds its prices without passing the instance on, so they use the shared
    # one (else a default instance connects to a public BitShares node)
    monkeypatch.setattr(SharedInstance, "instance", client)
    return client


def balances(devnet: DevnetProcess, name: str) -> tuple[int, int]:
    """(GPX, BTC) held by ``name``, in units."""
    gpx, btc = devnet.rpc("get_account_balances", name, [GPX, BTC])
    assert (gpx["asset_id"], btc["asset_id"]) == (GPX, BTC)
    return int(gpx["amount"]), int(btc["amount"])


def placed(tx: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The order id a confirmed limit_order_create returned, and the operation."""
    ((op_id, op),) = tx["operations"]
    ((result_kind, order_id),) = tx["operation_results"]
    assert (op_id, result_kind) == (1, 1) and tx["block_num"] > 0
    return str(order_id), op


def amounts(op: dict[str, Any]) -> tuple[tuple[int, str], tuple[int, str]]:
    sell, receive = op["amount_to_sell"], op["min_to_receive"]
    return (int(sell["amount"]), sell["asset_id"]), (int(receive["amount"]), receive["asset_id"])


def fill_record(record: dict[str, Any]) -> tuple[str, tuple[int, str], tuple[int, str], bool]:
    """(account, pays, receives, is_maker) of a get_fill_order_history record; checks that it
    filled at alice's first bid's price, 10^9 GPX / 3*10^7 sat, without a market fee."""
    op = record["op"]
    price = op["fill_price"]
    assert (int(price["base"]["amount"]), price["base"]["asset_id"]) == (10**9, GPX)
    assert (int(price["quote"]["amount"]), price["quote"]["asset_id"]) == (3 * 10**7, BTC)
    assert int(op["fee"]["amount"]) == 0
    pays, receives = op["pays"], op["receives"]
    return (op["account_id"], (int(pays["amount"]), pays["asset_id"]),
            (int(receives["amount"]), receives["asset_id"]), op["is_maker"])


def book_entry(price: str, quote: str, base: str, order_id: str, owner: str,
               devnet: DevnetProcess, expiration: str) -> dict[str, Any]:
    return {"price": price, "quote": quote, "base": base, "id": order_id,
            "owner_id": devnet.rpc("get_account_by_name", owner)["id"], "owner_name": owner,
            "expiration": expiration}


def test_pybts_market_buy_sell_cancel_book_ticker_and_trades(devnet: DevnetProcess,
                                                            bitshares: BitShares) -> None:
    market = Market("BTC:GPX", blockchain_instance=bitshares)
    assert (market["quote"]["symbol"], market["base"]["symbol"]) == ("BTC", "GPX")
    assert market.orderbook() == {"bids": [], "asks": []}
    alice_id = devnet.rpc("get_account_by_name", "alice")["id"]
    bob_id = devnet.rpc("get_account_by_name", "bob")["id"]

    # 1. alice bids for 0.3 BTC at 33 333.33333 GPX: sells 10 000 GPX for at least 0.3 BTC
    bid, bid_op = placed(market.buy(33333.33333, 0.3, account="alice"))
    assert amounts(bid_op) == ((10**9, GPX), (3 * 10**7, BTC))
    fee = int(bid_op["fee"]["amount"])
    assert bid_op["fee"]["asset_id"] == GPX and fee > 0
    assert balances(devnet, "alice") == (GPX_START - 10**9 - fee, BTC_START)

    # 2. bob sells 0.1 BTC at 30 000: crosses alice's bid and fills at her (maker) price,
    #    10^9 GPX / 3*10^7 sat. bob is the smaller order: he receives
    #    floor(10^7 * 10^9 / (3*10^7)) = 333 333 333 (3333.33333 GPX, not the 3000 he asked),
    #    alice receives ceil(333 333 333 * 3*10^7 / 10^9) = 10^7 sat.
    ask, ask_op = placed(market.sell(30000, 0.1, account="bob"))
    assert amounts(ask_op) == ((10**7, BTC), (3 * 10**8, GPX))
    assert devnet.rpc("get_objects", [ask]) == [None]  # filled
    assert devnet.rpc("get_objects", [bid])[0]["for_sale"] == 10**9 - 333_333_333
    assert balances(devnet, "bob") == (GPX_START + 333_333_333 - fee, BTC_START - 10**7)
    assert balances(devnet, "alice") == (GPX_START - 10**9 - fee, BTC_START + 10**7)

    # 3. bob sells 0.25 BTC at 33 000. Now alice's rest (666 666 667 GPX, worth
    #    floor(666 666 667 * 3*10^7 / 10^9) = 2*10^7 sat) is the smaller order: she receives
    #    2*10^7 sat, bob receives ceil(2*10^7 * 10^9 / (3*10^7)) = 666 666 667 GPX — her whole rest.
    #    His remaining 5*10^6 sat rest on the book as an ask at 33 000.
    ask, ask_op = placed(market.sell(33000, 0.25, account="bob"))
    assert amounts(ask_op) == ((25 * 10**6, BTC), (825 * 10**6, GPX))
    assert devnet.rpc("get_objects", [bid]) == [None]  # filled
    assert devnet.rpc("get_objects", [ask])[0]["for_sale"] == 5 * 10**6
    assert balances(devnet, "alice") == (GPX_START - 10**9 - fee, BTC_START + 3 * 10**7)
    assert balances(devnet, "bob") == (GPX_START + 10**9 - 2 * fee, BTC_START - 35 * 10**6)

    # 4. alice bids 0.02 BTC at 32 000 (640 GPX), below bob's ask: it rests
    low_bid, low_bid_op = placed(market.buy(32000, 0.02, account="alice"))
    assert amounts(low_bid_op) == ((64 * 10**6, GPX), (2 * 10**6, BTC))

    # the order book, raw and through python-bitshares (amounts as BitShares' amount_to_string:
    # no decimals when they are all zero, else all of them)
    book = devnet.rpc("get_order_book", "GPX", "BTC", 50)
    assert book == {
        "base": "GPX", "quote": "BTC",
        "bids": [book_entry("32000", "0.02000000", "640", low_bid, "alice", devnet,
                            low_bid_op["expiration"])],
        "asks": [book_entry("33000", "0.05000000", "1650", ask, "bob", devnet,
                            ask_op["expiration"])],
    }
    orderbook = market.orderbook()
    ((best_bid,), (best_ask,)) = orderbook["bids"], orderbook["asks"]
    assert float(best_bid["price"]) == pytest.approx(32000)
    assert float(best_ask["price"]) == pytest.approx(33000)
    assert (int(best_bid["quote"]), int(best_bid["base"])) == (2 * 10**6, 64 * 10**6)
    assert (int(best_ask["quote"]), int(best_ask["base"])) == (5 * 10**6, 1650 * 10**5)
    assert best_ask["quote"]["symbol"] == "BTC" and best_ask["base"]["symbol"] == "GPX"
    limit_orders = devnet.rpc("get_limit_orders", GPX, BTC, 10)
    assert sorted(o["id"] for o in limit_orders) == sorted([low_bid, ask])

    # the ticker: the last maker price, volumes of both fills (10^9 GPX for 3*10^7 sat), best
    # bid and ask with their sizes
    ticker = devnet.rpc("get_ticker", "GPX", "BTC")
    assert {k: v for k, v in ticker.items() if k not in ("time", "mto_id")} == {
        "base": "GPX", "quote": "BTC", "latest": MAKER_PRICE,
        "lowest_ask": "33000", "lowest_ask_base_size": "1650",
        "lowest_ask_quote_size": "0.05000000",
        "highest_bid": "32000", "highest_bid_base_size": "640",
        "highest_bid_quote_size": "0.02000000",
        "percent_change": "0", "base_volume": "10000", "quote_volume": "0.3",
    }
    summary = market.ticker()
    assert float(summary["latest"]) == pytest.approx(33333.33333333)
    assert float(summary["highestBid"]) == 32000 and float(summary["lowestAsk"]) == 33000
    assert int(summary["baseVolume"]) == 10**9 and int(summary["quoteVolume"]) == 3 * 10**7
    assert float(summary["core_exchange_rate"]) == 100_000  # GPX per BTC, from the genesis
    assert summary["percentChange"] == 0

    # the trades, newest first: both at alice's price; she was the maker and bought BTC
    now = datetime.fromisoformat(devnet.rpc("get_dynamic_global_properties")["time"])
    later, earlier = (now + timedelta(minutes=1)).isoformat(), (now - timedelta(hours=1))
    trades = devnet.rpc("get_trade_history", "GPX", "BTC", later, earlier.isoformat(), 10)
    assert [{k: t[k] for k in ("price", "amount", "value", "type", "side1_account_id",
                               "side2_account_id")} for t in trades] == [
        {"price": MAKER_PRICE, "amount": amount, "value": value, "type": "buy",
         "side1_account_id": alice_id, "side2_account_id": bob_id}
        for amount, value in (("0.20000000", "6666.66667"), ("0.10000000", "3333.33333"))
    ]
    assert trades[0]["sequence"] > trades[1]["sequence"] > 0
    filled = list(market.trades(limit=10, start=earlier, stop=now + timedelta(minutes=1)))
    assert [(int(t["quote"]), t["value"]) for t in filled] == [
        (2 * 10**7, "6666.66667"), (10**7, "3333.33333")
    ]
    assert all(float(t["price"]) == pytest.approx(33333.33333333) for t in filled)

    # the fill_order history, newest first: per fill, alice (maker) and bob (taker) mirror each
    # other, both at alice's price, no market fee
    fills = devnet.rpc("get_fill_order_history", GPX, BTC, 10, api="history")
    assert len(fills) == 4
    assert [sorted(map(fill_record, fills[i:i + 2])) for i in (0, 2)] == [
        sorted([(alice_id, (666_666_667, GPX), (2 * 10**7, BTC), True),
                (bob_id, (2 * 10**7, BTC), (666_666_667, GPX), False)]),
        sorted([(alice_id, (333_333_333, GPX), (10**7, BTC), True),
                (bob_id, (10**7, BTC), (333_333_333, GPX), False)]),
    ]

    # 5. cancels: alice's unfilled bid returns its 640 GPX and its deferred fee; bob's partly
    #    filled ask returns its 0.05 BTC (its fee was charged at its first fill)
    market.cancel(low_bid, account="alice")
    bitshares.cancel(ask, account="bob")
    assert devnet.rpc("get_objects", [low_bid, ask]) == [None, None]
    assert market.orderbook() == {"bids": [], "asks": []}
    assert balances(devnet, "alice") == (GPX_START - 10**9 - fee, BTC_START + 3 * 10**7)
    assert balances(devnet, "bob") == (GPX_START + 10**9 - 2 * fee, BTC_START - 3 * 10**7)

    # bob's account history, newest first: cancel, fill, create, fill, create
    history = list(Account("bob", blockchain_instance=bitshares).history(limit=10))
    assert [h["op"][0] for h in history] == [2, 4, 1, 4, 1]


# --- uptick --------------------------------------------------------------------------------------


class Uptick:
    """``uptick --node ws://...`` in a subprocess with its own wallet and configuration (in a
    temporary home), python-bitshares' two devnet settings in a ``sitecustomize.py``, and the
    wallet passphrase in ``UNLOCK``."""

    def __init__(self, home: Path, devnet: DevnetProcess) -> None:
        site = home / "site"
        site.mkdir(parents=True)
        (site / "sitecustomize.py").write_text(
            "import os\n"
            "import graphenebase.ecdsa\n"
            "from bitsharesbase.chains import known_chains\n"
            "graphenebase.ecdsa.SECP256K1_MODULE = 'ecdsa'\n"
            "known_chains['GPX'] = {'chain_id': os.environ['GRAPHEX_CHAIN_ID'],\n"
            "                       'core_symbol': 'GPX', 'prefix': 'GPX'}\n"
        )
        self.env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "share"),
                    "XDG_CONFIG_HOME": str(home / "config"), "PYTHONPATH": str(site),
                    "GRAPHEX_CHAIN_ID": devnet.rpc("get_chain_properties")["chain_id"],
                    "UNLOCK": "devnet-wallet-passphrase"}
        self.node = f"ws://127.0.0.1:{devnet.port}"
        self.home = home

    def __call__(self, *args: str) -> str:
        assert UPTICK is not None
        command = [UPTICK, "--node", self.node, *args]
        done = subprocess.run(command, env=self.env, cwd=self.home, capture_output=True,
                              text=True, check=False, timeout=UPTICK_TIMEOUT_S * TIMEOUT_FACTOR)
        assert done.returncode == 0, f"{' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def tx(self, *args: str) -> dict[str, Any]:
        """Run a broadcasting command with ``--blocking``; the confirmed transaction it prints."""
        out = self("--blocking", *args)
        tx, _ = json.JSONDecoder().raw_decode(out[out.index("{"):])
        assert isinstance(tx, dict)
        return tx


def table_rows(out: str) -> list[list[str]]:
    """The cells of every row of uptick's (nested) tables, header rows included, borders not."""
    rows = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("|")]
        cells = [c for c in cells if c and set(c) - set("+-")]
        if cells:
            rows.append(cells)
    return rows


def test_uptick_buy_sell_orderbook_cancel(devnet: DevnetProcess, tmp_path: Path) -> None:
    assert UPTICK is not None, "uptick is not installed (pip install -e '.[dev]')"
    uptick = Uptick(tmp_path / "uptick-home", devnet)
    uptick("addkey", devnet_key("alice").to_wif(), devnet_key("bob").to_wif())
    assert (tmp_path / "uptick-home" / "share" / "bitshares" / "bitshares.sqlite").exists()

    # alice bids for 0.3 BTC at 33 333.33333 GPX: sells 10 000 GPX
    bid, bid_op = placed(uptick.tx("buy", "0.3", "BTC", "33333.33333", "GPX", "--account", "alice"))
    assert amounts(bid_op) == ((10**9, GPX), (3 * 10**7, BTC))
    fee = int(bid_op["fee"]["amount"])

    # bob sells 0.25 BTC at 33 000; it fills at alice's price and bob is the smaller order: he
    # receives floor(2.5*10^7 * 10^9 / (3*10^7)) = 833 333 333, alice
    # ceil(833 333 333 * 3*10^7 / 10^9) = 2.5*10^7 sat; 166 666 667 GPX of her bid remain
    ask, ask_op = placed(uptick.tx("sell", "0.25", "BTC", "33000", "GPX", "--account", "bob"))
    assert amounts(ask_op) == ((25 * 10**6, BTC), (825 * 10**6, GPX))
    assert devnet.rpc("get_objects", [ask]) == [None]
    assert devnet.rpc("get_objects", [bid])[0]["for_sale"] == 166_666_667

    # the book shows her rest: floor(166 666 667 * 3*10^7 / 10^9) = 0.05 BTC for 1 666.66667 GPX;
    # python-bitshares prices a book entry as base/quote: 1666.66667 / 0.05 = 33 333.3334
    rows = table_rows(uptick("orderbook", "BTC:GPX"))
    assert ["quote", "sum quote", "base", "sum base", "price", "price", "base", "sum base",
            "quote", "sum quote"] in rows
    assert ["0.05000000 BTC", "0.05000000 BTC", "1,666.66667 GPX", "1,666.66667 GPX",
            "33333.333400 GPX/BTC"] in rows

    # alice cancels the rest; she gets the 1 666.66667 GPX back (the fee was charged at the fill)
    cancel = uptick.tx("cancel", bid, "--account", "alice")
    assert [op[0] for op in cancel["operations"]] == [2] and cancel["block_num"] > 0
    assert devnet.rpc("get_objects", [bid]) == [None]
    assert table_rows(uptick("orderbook", "BTC:GPX"))[-1] == [
        "quote", "sum quote", "base", "sum base", "price", "price", "base", "sum base", "quote",
        "sum quote"]
    assert balances(devnet, "alice") == (GPX_START - 833_333_333 - fee,
                                          BTC_START + 25 * 10**6)
    assert balances(devnet, "bob") == (GPX_START + 833_333_333 - fee, BTC_START - 25 * 10**6)
