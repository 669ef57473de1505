"""python-bitshares talks to a graphex devnet over a real WebSocket and moves money.

The story: start a devnet (a ``graphex devnet`` process on a free loopback port, or the same node
and API in this process), add its chain id to python-bitshares' ``known_chains``, connect as
alice with her dev key, read balances, transfer 12.345 GPX to bob without and with
``blocking=True``, and check that both balances moved by exactly the amounts and the fee —
through the API, through python-bitshares' own objects, and in the node's state.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from bitshares import BitShares
from bitshares.account import Account
from bitsharesbase.chains import known_chains
from framework import DevnetProcess, wait_until
from graphenebase import ecdsa as gph_ecdsa
from graphenecommon.blockchainobject import Caching, ObjectCacheInMemory
from graphenestorage import InRamConfigurationStore

from graphex.api.app import build_registry
from graphex.api.server import RunningServer, make_app, start_server
from graphex.chain.genesis import devnet_genesis, devnet_key
from graphex.chain.objects import Witness
from graphex.node.node import Node, NodeConfig
from graphex.node.service import production_loop
from graphex.protocol.ids import ObjectId

pytestmark = pytest.mark.functional

START_TIMEOUT_S = 60.0  # scaled by GRAPHEX_TEST_TIMEOUT_FACTOR in the harness
WAIT_TIMEOUT_S = 30.0
GPX = ObjectId(1, 3, 0)
AMOUNT_GPX = 12.345
AMOUNT = 1_234_500  # 12.345 GPX at precision 5
T = TypeVar("T")


def rpc(url: str, method: str, *args: Any, api: str | int = 0) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": [api, method, list(args)]}
    answer = requests.post(url, json=body, timeout=10).json()
    assert "error" not in answer, answer
    return answer["result"]


def devnet_node(data_dir: Path) -> Node:
    """A devnet node whose 11 witnesses are all local (as ``graphex devnet`` runs it)."""
    node = Node(NodeConfig(data_dir=data_dir, synchronous="OFF"), devnet_genesis())
    node.open()
    for witness in node.state.db.table(Witness):
        name = node.state.account(witness.witness_account).name
        node.config.witness_keys[witness.id] = devnet_key(name)
    return node


class Devnet:
    """A running devnet: its API URLs and a way to read the node's balances."""

    url: str
    ws_url: str

    def node_balance(self, name: str) -> int:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class ProcessDevnet(Devnet):
    """``graphex devnet`` in a child process (the functional harness); its state is read back by
    reopening the data dir once it has stopped."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process = DevnetProcess(data_dir)
        try:
            self.process.start()
            wait_until(lambda: self.process.head() >= 2, START_TIMEOUT_S, "the first blocks")
        except BaseException:
            self.stop()
            print(self.process.log.read_text(errors="replace")[-4000:])
            raise
        self.url, self.ws_url = self.process.url, f"ws://127.0.0.1:{self.process.port}"

    def stop(self) -> None:
        self.process.stop()

    def node_balance(self, name: str) -> int:
        """The balance in the node's own state, replayed from its data dir after it stopped."""
        self.stop()
        node = Node(NodeConfig(data_dir=self.data_dir, synchronous="OFF"))
        try:
            node.open()
            account = node.state.account_by_name(name)
            assert account is not None
            return node.state.balance(account.id, GPX)
        finally:
            node.close()


class InProcessDevnet(Devnet):
    """The node, block production and the API server on an event loop in a thread of the test."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="devnet", daemon=True)
        self.thread.start()
        self.stopped = False
        self._run(self._start(data_dir))
        wait_until(lambda: self.on_loop(lambda: self.node.state.head_num >= 2), WAIT_TIMEOUT_S,
                   "the first blocks")

    async def _start(self, data_dir: Path) -> None:
        self.node = devnet_node(data_dir)  # created on the loop's thread, which owns its store
        self.server: RunningServer = await start_server(make_app(build_registry(self.node)))
        self.url, self.ws_url = self.server.url, self.server.ws_url
        self.stop_event = asyncio.Event()
        self.producer = asyncio.create_task(production_loop(self.node, self.stop_event))

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(WAIT_TIMEOUT_S)

    def on_loop(self, read: Callable[[], T]) -> T:
        async def call() -> T:
            return read()

        return self._run(call())  # type: ignore[no-any-return]

    def node_balance(self, name: str) -> int:
        def read() -> int:
            account = self.node.state.account_by_name(name)
            assert account is not None
            return self.node.state.balance(account.id, GPX)

        return self.on_loop(read)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True

        async def shutdown() -> None:
            self.stop_event.set()
            await self.producer
            await self.server.stop()
            self.node.close()

        try:
            self._run(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=WAIT_TIMEOUT_S)


@pytest.fixture(params=["graphex-devnet-process", "in-process"])
def devnet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Devnet]:
    kind = ProcessDevnet if request.param == "graphex-devnet-process" else InProcessDevnet
    net = kind(tmp_path / "devnet")
    try:
        yield net
    finally:
        net.stop()


@pytest.fixture
def bitshares(devnet: Devnet, monkeypatch: pytest.MonkeyPatch) -> BitShares:
    # graphenelib 1.6.1's "cryptography" signing path reads private fields of ecdsa's Point that
    # ecdsa >= 0.15 no longer has; its pure-python "ecdsa" path works (as tests/protocol does).
    monkeypatch.setattr(gph_ecdsa, "SECP256K1_MODULE", "ecdsa")
    chain_id = rpc(devnet.url, "get_chain_properties")["chain_id"]
    monkeypatch.setitem(known_chains, "GPX",
                        {"chain_id": chain_id, "core_symbol": "GPX", "prefix": "GPX"})
    client = BitShares(node=devnet.ws_url, keys=[devnet_key("alice").to_wif()],
                       nobroadcast=False, config_store=InRamConfigurationStore(), num_retries=0)
    # a fresh account/asset cache: python-bitshares keeps one per process, and its clear_cache()
    # resets another class's, so an account another test cached (not full) would be seen here
    monkeypatch.setattr(Caching, "_cache", ObjectCacheInMemory())
    return client


def api_balance(url: str, name: str) -> int:
    (balance,) = rpc(url, "get_account_balances", name, ["1.3.0"])
    assert balance["asset_id"] == "1.3.0"
    return int(balance["amount"])


def block_holding(url: str, signatures: list[str], after: int) -> dict[str, Any] | None:
    """The block after ``after`` holding the transaction with ``signatures``, if any yet."""
    head = rpc(url, "get_dynamic_global_properties")["head_block_number"]
    for num in range(after + 1, head + 1):
        for trx in rpc(url, "get_block", num)["transactions"]:
            if trx["signatures"] == signatures:
                return {"block_num": num, "trx": trx}
    return None


def test_pybts_transfers_between_dev_accounts(devnet: Devnet, bitshares: BitShares) -> None:
    assert bitshares.prefix == "GPX" and bitshares.rpc.chain_params["core_symbol"] == "GPX"
    alice = Account("alice", full=True, blockchain_instance=bitshares)
    assert alice["name"] == "alice" and alice.is_ltm and "balances" in alice
    before = {n: api_balance(devnet.url, n) for n in ("alice", "bob")}
    assert int(alice.balance("GPX")) == before["alice"] > 0

    transfer = [0, {"fee": {"amount": 0, "asset_id": "1.3.0"}, "from": alice["id"],
                    "to": Account("bob", blockchain_instance=bitshares)["id"],
                    "amount": {"amount": AMOUNT, "asset_id": "1.3.0"}, "extensions": []}]
    (fee,) = rpc(devnet.url, "get_required_fees", [transfer], "1.3.0")
    assert fee["asset_id"] == "1.3.0" and int(fee["amount"]) > 0
    fee_amount = int(fee["amount"])

    first_head = rpc(devnet.url, "get_dynamic_global_properties")["head_block_number"]
    sent_at_s = int(time.time())
    sent = bitshares.transfer("bob", AMOUNT_GPX, "GPX", account="alice")
    op = sent["operations"][0][1]
    assert sent["operations"][0][0] == 0 and int(op["amount"]["amount"]) == AMOUNT
    assert int(op["fee"]["amount"]) == fee_amount
    # accepted into the node's pending state: the API shows it at once
    assert api_balance(devnet.url, "bob") == before["bob"] + AMOUNT

    included = wait_until(lambda: block_holding(devnet.url, sent["signatures"], first_head),
                          WAIT_TIMEOUT_S, "a block including the first transfer")
    assert included["trx"]["operation_results"] == [[0, {}]]
    # the same transfer in the same second is the same transaction (a duplicate); move on
    wait_until(lambda: int(time.time()) > sent_at_s, WAIT_TIMEOUT_S, "the next second")

    bitshares.set_blocking(True)
    confirmed = bitshares.transfer("bob", AMOUNT_GPX, "GPX", account="alice")
    assert confirmed["block_num"] > 0 and confirmed["trx_num"] >= 0
    assert confirmed["operation_results"] == [[0, {}]]
    assert len(confirmed["id"]) == 40
    block = rpc(devnet.url, "get_block", confirmed["block_num"])
    assert block["transactions"][confirmed["trx_num"]]["signatures"] == confirmed["signatures"]
    head = rpc(devnet.url, "get_dynamic_global_properties")
    assert head["head_block_number"] >= confirmed["block_num"]

    expected = {"alice": before["alice"] - 2 * (AMOUNT + fee_amount),
                "bob": before["bob"] + 2 * AMOUNT}
    for name, amount in expected.items():
        assert api_balance(devnet.url, name) == amount
        assert int(Account(name, blockchain_instance=bitshares).balance("GPX")) == amount
    for name, amount in expected.items():
        assert devnet.node_balance(name) == amount


def test_pybts_refusal_is_readable(devnet: Devnet, bitshares: BitShares) -> None:
    from bitsharesapi.exceptions import UnhandledRPCError

    with pytest.raises(UnhandledRPCError, match="insufficient balance"):
        bitshares.transfer("bob", 10_000_000, "GPX", account="alice")
