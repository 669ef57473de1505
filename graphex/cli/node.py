"""``graphex node``: a node for a given genesis, producing blocks for the witnesses it has keys of."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from ..node.node import NodeConfig
from ..protocol.ids import ObjectId
from ..protocol.keys import PrivateKey
from .common import open_node, parse_endpoint, serve


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path), required=True)
@click.option("--genesis", "genesis_file", type=click.Path(exists=True, path_type=Path),
              help="Genesis JSON file (needed the first time; stored in the data dir).")
@click.option("--rpc-endpoint", default="127.0.0.1:8090", show_default=True)
@click.option("--witness", "witnesses", multiple=True, metavar="ID=WIF",
              help="Produce blocks for witness ID (1.6.x) with signing key WIF; repeatable.")
@click.option("--replay", is_flag=True, help="Rebuild state from genesis by replaying the block log.")
@click.option("--snapshot-interval", default=1000, show_default=True)
def node(data_dir: Path, genesis_file: Path | None, rpc_endpoint: str, witnesses: tuple[str, ...],
         replay: bool, snapshot_interval: int) -> None:
    """Run a node (API + block production for local witnesses)."""
    host, port = parse_endpoint(rpc_endpoint)
    config = NodeConfig(data_dir=data_dir, snapshot_interval_blocks=snapshot_interval)
    for entry in witnesses:
        wid, sep, wif = entry.partition("=")
        if not sep:
            raise click.BadParameter(f"--witness expects ID=WIF, got {entry!r}")
        config.witness_keys[ObjectId.parse(wid)] = PrivateKey.from_wif(wif)
    genesis_text = genesis_file.read_bytes() if genesis_file else None
    node_, history = open_node(config, genesis_text, replay=replay)
    click.echo(f"node at block {node_.state.head_num}, API on http://{host}:{port}")
    asyncio.run(serve(node_, host, port, produce=bool(config.witness_keys), history=history))
