"""What the benchmarks share: pushing signed transactions through a node with signature recovery
pipelined in worker processes, and printing a result beside the machine's recovery rate."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

import click

from ..node.node import Node
from ..node.sigpool import SignaturePool
from ..protocol.transaction import SignedTransaction


def push_through_node(node: Node, txs: Sequence[SignedTransaction], workers: int,
                      block_capacity: int) -> tuple[float, int]:
    """Push ``txs`` into ``node`` (keys recovered by ``workers`` processes, pipelined), sealing a
    block every ``block_capacity`` transactions and after the last; returns (seconds, blocks).
    The workers are started before the clock starts."""
    with SignaturePool(node.state.chain_id, workers) as pool:
        pool.recover_many(txs[:512])
        start = time.perf_counter()
        blocks = 0
        for i, (tx, keys) in enumerate(zip(txs, pool.recover_stream(txs)), start=1):
            if isinstance(keys, str):
                raise click.ClickException(keys)
            node.push_transaction(tx, keys)
            if i % block_capacity == 0 or i == len(txs):
                node.produce_block(node.next_slot()[0])
                blocks += 1
        return time.perf_counter() - start, blocks


def emit(result: dict[str, object], recover_per_s: float, as_json: bool) -> None:
    """Add the recovery rate (and tx/recover ratio when there is a tx rate) and print."""
    result["recover_per_s"] = round(recover_per_s)
    if "tx_per_s" in result:
        result["tx_per_recover"] = round(float(result["tx_per_s"]) / recover_per_s, 3)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(result))
        return
    width = max(len(key) for key in result) + 2
    for key, value in result.items():
        click.echo(f"{key:<{width}} {value}")
