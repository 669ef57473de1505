"""``graphex bench``: throughput measurements on this machine, each beside the machine's
secp256k1 public-key-recovery rate measured in the same run (the reference limit)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import click

from ..chain.genesis import devnet_genesis, devnet_key
from ..chain.objects import Witness
from ..node.node import Node, NodeConfig
from ..protocol.ids import ObjectId
from ..protocol.keys import PrivateKey, recover
from ..protocol.operations import Transfer
from ..protocol.transaction import SignedTransaction, Transaction, ref_block_fields, sign
from ..protocol.types import Asset
from .bench_common import emit, push_through_node
from .bench_futures import futures as bench_futures_command

GPX = ObjectId(1, 3, 0)


def recover_rate(seconds: float = 1.0) -> float:
    """Public-key recoveries per second on one core (coincurve / libsecp256k1)."""
    key = PrivateKey.from_seed("bench")
    digests = [hashlib.sha256(i.to_bytes(4, "little")).digest() for i in range(256)]
    sigs = [key.sign_digest(d) for d in digests]
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for sig, digest in zip(sigs, digests):
            recover(sig, digest)
        count += len(sigs)
    return count / (time.perf_counter() - start)


def make_transfers(node: Node, count: int, block_capacity: int) -> list[SignedTransaction]:
    """``count`` distinct signed transfers alice→bob and bob→alice (signing is the client's cost)."""
    state = node.state
    alice, bob = state.account_by_name("alice"), state.account_by_name("bob")
    assert alice is not None and bob is not None
    keys = {alice.id: devnet_key("alice"), bob.id: devnet_key("bob")}
    ref_num, ref_prefix = ref_block_fields(state.head_id)
    expiration = state.head_time + 3600
    fee = Asset(20 * 100_000, GPX)
    txs = []
    for i in range(count):
        src, dst = (alice.id, bob.id) if i % 2 == 0 else (bob.id, alice.id)
        op = Transfer(fee, src, dst, Asset(1 + i, GPX))
        tx = Transaction(ref_num, ref_prefix, expiration, (op,))
        txs.append(sign(tx, [keys[src]], state.chain_id))
    return txs


def bench_transfers(count: int, workers: int, block_capacity: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        node = Node(NodeConfig(data_dir=Path(tmp)), devnet_genesis())
        node.open()
        for witness in node.state.db.table(Witness):
            node.config.witness_keys[witness.id] = devnet_key(
                node.state.account(witness.witness_account).name
            )
        node.produce_block(node.next_slot()[0])
        txs = make_transfers(node, count, block_capacity)
        elapsed, blocks = push_through_node(node, txs, workers, block_capacity)
        head = node.state.head_num
        node.close()
    return {"transactions": count, "blocks": blocks, "seconds": round(elapsed, 3),
            "tx_per_s": round(count / elapsed), "head_block": head}


@click.group()
def bench() -> None:
    """Measure throughput on this machine."""


@bench.command()
@click.option("--count", default=20_000, show_default=True, help="Signed transfers to push.")
@click.option("--workers", default=os.cpu_count() or 1, show_default=True,
              help="Signature-recovery worker processes (0 = in the main process).")
@click.option("--block-capacity", default=5_000, show_default=True,
              help="Transactions per produced block.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def transfers(count: int, workers: int, block_capacity: int, as_json: bool) -> None:
    """Signed transfers through submission, signature recovery, block production and the
    durable block log (SQLite, synchronous=FULL)."""
    rate = recover_rate()
    emit({"benchmark": "transfers", "workers": workers,
          **bench_transfers(count, workers, block_capacity)}, rate, as_json)


@bench.command()
@click.option("--count", default=50_000, show_default=True,
              help="Orders for the matching-engine run.")
@click.option("--tx-count", default=20_000, show_default=True,
              help="Signed limit-order transactions for the node run.")
@click.option("--workers", default=os.cpu_count() or 1, show_default=True,
              help="Signature-recovery worker processes (0 = in the main process).")
@click.option("--block-capacity", default=5_000, show_default=True,
              help="Transactions per produced block.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def orders(count: int, tx_count: int, workers: int, block_capacity: int, as_json: bool) -> None:
    """Limit orders: the matching engine alone (orders applied to state, no signatures), and
    signed limit-order transactions through a node (verify, apply, match, persist)."""
    from .bench_orders import bench_engine, bench_node

    rate = recover_rate()
    emit({"benchmark": "orders", "workers": workers, **bench_engine(count),
          **bench_node(tx_count, workers, block_capacity)}, rate, as_json)


@bench.command()
@click.option("--connections", default=32, show_default=True,
              help="Concurrent WebSocket connections from the load process.")
@click.option("--seconds", default=10.0, show_default=True, help="How long the load runs.")
@click.option("--resting-orders", default=200, show_default=True,
              help="Orders on the BTC:GPX book.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def api(connections: int, seconds: float, resting_orders: int, as_json: bool) -> None:
    """API latency (p50, p99) and throughput of get_order_book and get_full_accounts under
    concurrent load from a second process, while the node produces blocks."""
    from .bench_api import bench_api

    emit(bench_api(connections, seconds, resting_orders), recover_rate(), as_json)


@bench.command()
@click.option("--positions", default=10_000, show_default=True,
              help="Debt positions that the feed drop margin-calls.")
@click.option("--orders", default=1_000, show_default=True,
              help="Limit orders on the book that buy the positions' debt.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def margin(positions: int, orders: int, as_json: bool) -> None:
    """A margin-call cascade: one feed drop makes every position callable; the block holding
    it margin-calls them all against the book (target: within the 3 s block interval)."""
    from .bench_margin import bench_margin

    emit(bench_margin(positions, orders), recover_rate(), as_json)


bench.add_command(bench_futures_command)
