"""``graphex bench api``: API latency and throughput under load from a second process.

The main process runs a devnet node in a temporary data dir with its history service, producing
1-second blocks, with a BTC:GPX book of resting orders; it serves the API on loopback. A second
process opens ``connections`` WebSocket connections and, for ``seconds``, each sends calls back to
back, alternating ``get_order_book("BTC", "GPX", 50)`` and ``get_full_accounts(["alice"], false)``,
timing each reply. The client's CPU competes with the node's on the same machine, as a co-located
client would.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from ..chain.genesis import devnet_genesis, devnet_key
from ..chain.objects import Witness
from ..node.history.service import HistoryService
from ..node.node import Node, NodeConfig
from ..node.service import production_loop
from ..protocol.fees import fee_for
from ..protocol.ids import ObjectId
from ..protocol.operations import LimitOrderCreate
from ..protocol.transaction import Transaction, ref_block_fields, sign
from ..protocol.types import Asset

GPX = ObjectId(1, 3, 0)
METHODS = (("get_order_book", ["BTC", "GPX", 50]), ("get_full_accounts", [["alice"], False]))


def _node(tmp: Path, resting_orders: int) -> tuple[Node, HistoryService]:
    node = Node(NodeConfig(data_dir=tmp, synchronous="NORMAL"), devnet_genesis())
    history = HistoryService(node)
    node.open()
    for witness in node.state.db.table(Witness):
        node.config.witness_keys[witness.id] = devnet_key(node.state.account(witness.witness_account).name)
    state = node.state
    btc = state.asset_by_symbol("BTC")
    assert btc is not None
    for i in range(resting_orders):
        name = ("alice", "bob")[i % 2]
        seller = state.account_by_name(name)
        assert seller is not None
        if name == "alice":  # asks: sell 0.001 BTC for 120 GPX and up
            op = LimitOrderCreate(Asset(0, GPX), seller.id, Asset(100_000, btc.id),
                                  Asset((120 + i) * 100_000, GPX))
        else:  # bids: sell 90 GPX and down for 0.001 BTC
            op = LimitOrderCreate(Asset(0, GPX), seller.id, Asset((90 - i % 80) * 100_000, GPX),
                                  Asset(100_000, btc.id))
        op = msgspec.structs.replace(op, fee=Asset(fee_for(state.params.current_fees, op), GPX))
        num, prefix = ref_block_fields(state.head_id)
        tx = Transaction(num, prefix, state.head_time + 3600 + i, (op,))
        node.push_transaction(sign(tx, [devnet_key(name)], state.chain_id))
    # Catch the chain up to the wall clock a few seconds ago: that block passes the genesis-day
    # maintenance, whose skipped slots (maintenance_skip_slots = 3) are then already behind us.
    node.produce_block(max(node.next_slot()[0], int(time.time()) - 5))
    return node, history


async def _load(url: str, connections: int, seconds: float) -> dict[str, list[float]]:
    import aiohttp

    latencies: dict[str, list[float]] = {name: [] for name, _ in METHODS}
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession, index: int) -> None:
        async with session.ws_connect(url) as ws:
            i = index
            while time.perf_counter() < deadline:
                name, args = METHODS[i % len(METHODS)]
                i += 1
                start = time.perf_counter()
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": i, "method": "call",
                                              "params": ["database", name, args]}))
                reply = json.loads((await ws.receive()).data)
                if "error" in reply:
                    raise RuntimeError(f"{name}: {reply['error']['message']}")
                latencies[name].append(time.perf_counter() - start)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session, k) for k in range(connections)))
    return latencies


def _client(url: str, connections: int, seconds: float, out: Any) -> None:
    out.put(asyncio.run(_load(url, connections, seconds)))


def _percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * pct // 100)] if ordered else 0.0


async def _serve_and_load(node: Node, history: HistoryService, connections: int,
                          seconds: float) -> tuple[dict[str, list[float]], int]:
    from ..api.app import build_registry
    from ..api.server import make_app, start_server

    server = await start_server(make_app(build_registry(node, history)))
    stop = asyncio.Event()
    producing = asyncio.create_task(production_loop(node, stop))
    head_before = node.state.head_num
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    client = context.Process(target=_client, args=(f"ws://127.0.0.1:{server.port}/",
                                                   connections, seconds, results))
    client.start()
    try:
        while client.is_alive() and results.empty():
            await asyncio.sleep(0.05)
        latencies = results.get(timeout=30)
    finally:
        client.join(10)
        stop.set()
        await producing
        await server.stop()
    return latencies, node.state.head_num - head_before


def bench_api(connections: int, seconds: float, resting_orders: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        node, history = _node(Path(tmp), resting_orders)
        try:
            latencies, blocks = asyncio.run(_serve_and_load(node, history, connections, seconds))
        finally:
            node.close()
            history.close()
    result: dict[str, object] = {"benchmark": "api", "connections": connections,
                                 "seconds": seconds, "resting_orders": resting_orders,
                                 "blocks_produced": blocks}
    total = 0
    for name, values in latencies.items():
        total += len(values)
        result[f"{name}_p50_ms"] = round(_percentile(values, 50) * 1000, 2)
        result[f"{name}_p99_ms"] = round(_percentile(values, 99) * 1000, 2)
        result[f"{name}_per_s"] = round(len(values) / seconds)
    result["calls_per_s"] = round(total / seconds)
    return result
