"""bitsharesjs and bitsharesjs-ws (npm, the libraries of the BitShares web wallet) on Node.js
against a real ``graphex devnet`` process.

``js/client_session.js`` connects (``Apis.instance(url, true).init_promise``: login, the database,
network_broadcast and history API ids, ``get_chain_id``), declares the devnet in ``ChainConfig``,
reads alice (``get_full_accounts``), signs and broadcasts a limit order with
``TransactionBuilder`` + ``PrivateKey.fromWif`` (``get_required_fees``, ``get_objects 2.1.0`` for
TaPoS, ``broadcast_transaction_with_callback``), reads the book (``get_order_book``,
``get_limit_orders``) and then sends alice → bob a transfer. This test checks what the library
saw and, through the API, that the chain did exactly that.

The packages are pinned in ``js/package.json`` + ``js/package-lock.json`` and installed by
``.ci/run`` (``npm ci --prefix tests/functional/js``); locally run the same command once. The
test fails (never skips) without Node.js or the packages: CI machines have both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from framework import TIMEOUT_FACTOR, DevnetProcess, wait_until

from graphex.chain.genesis import devnet_key

pytestmark = pytest.mark.functional

JS_DIR = Path(__file__).parent / "js"
SCRIPT = JS_DIR / "client_session.js"
NODE_TIMEOUT_S = 90.0
GPX, BTC = "1.3.0", "1.3.1"
ORDER = {"amount_to_sell": {"amount": 10**8, "asset_id": GPX},  # 1 000 GPX
         "min_to_receive": {"amount": 10**8, "asset_id": BTC}}  # for 1 BTC: far above any bid
TRANSFER_UNITS = 1_234_567  # 12.34567 GPX


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[DevnetProcess]:
    node = DevnetProcess(tmp_path / "devnet")
    try:
        node.start()
        # bitsharesjs dates a transaction from the head block's time when that is over 30 s
        # behind the wall clock, as the genesis block (2026-01-01) is: wait for a live head
        wait_until(lambda: node.head() >= 2, 30, "the devnet's first blocks")
        yield node
    except BaseException:
        print(node.log.read_text(errors="replace")[-4000:])
        raise
    finally:
        node.stop()


def node_binary() -> str:
    node = shutil.which("node")
    assert node is not None, "Node.js (node) is required for the bitsharesjs test"
    if any(not (JS_DIR / "node_modules" / p / "package.json").exists()
           for p in ("bitsharesjs", "bitsharesjs-ws")):
        install_js_packages()
    return node


def install_js_packages() -> None:
    """``npm ci`` from the committed lock file (what ``.ci/run`` does up front), so that the
    README's test command works on a fresh checkout too."""
    npm = shutil.which("npm")
    assert npm is not None, "npm is required to install bitsharesjs for this test"
    done = subprocess.run([npm, "ci", "--prefix", str(JS_DIR), "--no-audit", "--no-fund"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"


def installed_version(package: str) -> str:
    manifest = json.loads((JS_DIR / "node_modules" / package / "package.json").read_text())
    return str(manifest["version"])


def run_client(devnet: DevnetProcess, chain_id: str) -> dict[str, Any]:
    transfer = {"to": "bob", "amount": {"amount": TRANSFER_UNITS, "asset_id": GPX}}
    command = [node_binary(), str(SCRIPT), f"ws://127.0.0.1:{devnet.port}", chain_id,
               devnet_key("alice").to_wif(), json.dumps(ORDER), json.dumps(transfer)]
    done = subprocess.run(command, cwd=JS_DIR, capture_output=True, text=True, check=False,
                          timeout=NODE_TIMEOUT_S * TIMEOUT_FACTOR)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def core_balance(devnet: DevnetProcess, name: str) -> int:
    (balance,) = devnet.rpc("get_account_balances", name, [GPX])
    return int(balance["amount"])


def only_op(confirmed: list[Any], op_id: int) -> tuple[dict[str, Any], Any]:
    """The single operation of a ``broadcast_transaction_with_callback`` notice, and its result."""
    (notice,) = confirmed
    assert notice["block_num"] > 0 and notice["trx_num"] >= 0
    ((kind, op),) = notice["trx"]["operations"]
    assert kind == op_id
    ((_, result),) = notice["trx"]["operation_results"]
    return op, result


def test_bitsharesjs_reads_book_and_account_and_broadcasts(devnet: DevnetProcess) -> None:
    node_binary()  # Node.js present, packages installed
    assert (installed_version("bitsharesjs"), installed_version("bitsharesjs-ws")) == \
        ("6.0.3", "6.0.2")
    chain_id = devnet.rpc("get_chain_properties")["chain_id"]
    alice = devnet.rpc("get_account_by_name", "alice")
    bob = devnet.rpc("get_account_by_name", "bob")
    alice_before, bob_before = core_balance(devnet, "alice"), core_balance(devnet, "bob")

    out = run_client(devnet, chain_id)

    # connection and configuration
    assert (out["chain_id"], out["network_name"], out["address_prefix"]) == \
        (chain_id, "GPX", "GPX")
    assert out["public_key"] == devnet_key("alice").public_key.to_text("GPX")
    # the account as bitsharesjs read it
    assert out["account_name"] == "alice"
    assert out["account"]["account"] == alice
    assert {b["asset_type"]: int(b["balance"]) for b in out["account"]["balances"]}[GPX] == \
        alice_before
    assert out["account"]["limit_orders"] == []

    # alice's order: signed by bitsharesjs, applied by the node, shown in the book
    op, order_id = only_op(out["order"]["confirmed"], 1)
    assert (op["seller"], op["amount_to_sell"], op["min_to_receive"]) == \
        (alice["id"], ORDER["amount_to_sell"], ORDER["min_to_receive"])
    assert out["order"]["confirmed"][0]["id"] == out["order"]["id"]
    order_fee = int(op["fee"]["amount"])
    assert out["limit_orders"] == devnet.rpc("get_objects", [order_id])
    assert out["limit_orders"][0]["for_sale"] == 10**8
    # get_order_book(BTC, GPX): an order selling GPX (the quote) is an ask, price in BTC per GPX;
    # amounts as core's amount_to_string prints them (no fraction when whole)
    assert out["order_book"] == {
        "base": BTC, "quote": GPX, "bids": [],
        "asks": [{"price": "0.001", "quote": "1000", "base": "1", "id": order_id,
                  "owner_id": alice["id"], "owner_name": "alice",
                  "expiration": op["expiration"]}]}
    assert [o["id"] for o in out["account_after"]["limit_orders"]] == [order_id]

    # the transfer: bob received exactly the amount; alice paid it, the fees and the order
    op, result = only_op(out["transfer"]["confirmed"], 0)
    assert result == {}
    assert (op["from"], op["to"], op["amount"]) == \
        (alice["id"], bob["id"], {"amount": TRANSFER_UNITS, "asset_id": GPX})
    transfer_fee = int(op["fee"]["amount"])
    assert core_balance(devnet, "bob") - bob_before == TRANSFER_UNITS
    assert alice_before - core_balance(devnet, "alice") == \
        TRANSFER_UNITS + transfer_fee + 10**8 + order_fee
