"""``graphex check``: load a data dir, check every invariant, print the state hash; with
``--replay`` also rebuild from genesis and compare the two state hashes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..chain.invariant import InvariantError
from ..chain.invariants import check_invariants
from ..node.node import Node, NodeConfig
from .devnet import DEFAULT_DATA_DIR


def _load(data_dir: Path, replay: bool) -> Node:
    node = Node(NodeConfig(data_dir=data_dir, snapshot_interval_blocks=10**9))
    node.open(replay=replay)
    return node


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path, exists=True), default=DEFAULT_DATA_DIR,
              show_default=True)
@click.option("--replay/--no-replay", default=True, show_default=True,
              help="Also replay the block log from genesis and compare state hashes.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check(data_dir: Path, replay: bool, as_json: bool) -> None:
    """Check state invariants (supply conservation, no negative balances, no crossed book, the
    futures ledger: zero-sum, net lots zero, margin locks) and the state hash."""
    node = _load(data_dir, replay=False)
    result: dict[str, object] = {"head_block": node.state.head_num}
    ok = True
    try:
        check_invariants(node.state)
        result["invariants"] = "ok"
    except InvariantError as exc:
        result["invariants"], ok = f"FAILED: {exc}", False
    result["state_hash"] = node.head_state_hash().hex()
    node.close()
    if replay:
        again = _load(data_dir, replay=True)
        result["replayed_state_hash"] = again.head_state_hash().hex()
        again.close()
        if result["replayed_state_hash"] != result["state_hash"]:
            ok = False
            result["replay"] = "FAILED: the replay from genesis gives a different state"
        else:
            result["replay"] = "ok"
    if as_json:
        click.echo(json.dumps(result))
    else:
        for key, value in result.items():
            click.echo(f"{key:<20} {value}")
    sys.exit(0 if ok else 1)
