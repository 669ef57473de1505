"""``graphex devnet``: a local chain with 11 witnesses, funded dev accounts and the API, in one
command. Keys are deterministic: account NAME's private key is ``sha256("graphex-devnet:" + NAME)``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import click

from ..chain.genesis import (
    DEVNET_ACCOUNTS,
    DEVNET_BTC_BALANCE,
    DEVNET_BTC_HOLDERS,
    DEVNET_BTC_PRECISION,
    DEVNET_GATEWAY,
    Genesis,
    devnet_genesis,
    devnet_key,
)
from ..chain.objects import Witness
from ..node.node import NodeConfig
from .common import open_node, parse_endpoint, serve
from .devnet_futures import DevnetFutures, after_each_block
from .devnet_smartcoins import DevnetFeeder

DEFAULT_DATA_DIR = str(Path.home() / ".graphex" / "devnet")


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=DEFAULT_DATA_DIR,
              show_default=True, help="Block log, snapshots and dev keys; reused on restart.")
@click.option("--rpc-endpoint", default="127.0.0.1:8090", show_default=True,
              help="HOST:PORT of the JSON-RPC / WebSocket API.")
@click.option("--reset", is_flag=True, help="Delete the data dir and start a new chain.")
@click.option("--snapshot-interval", default=100, show_default=True,
              help="Write a state snapshot every N blocks.")
def devnet(data_dir: Path, rpc_endpoint: str, reset: bool, snapshot_interval: int) -> None:
    """Run a local devnet: 1-second blocks, dev accounts alice, bob, carol and dave, and the
    asset BTC (issued by gateway; alice and bob hold 10 each)."""
    host, port = parse_endpoint(rpc_endpoint)
    if reset and data_dir.exists():
        shutil.rmtree(data_dir)
    genesis_text = devnet_genesis()
    genesis = Genesis.parse(genesis_text)
    names = [f"init{i}" for i in range(11)]
    config = NodeConfig(data_dir=data_dir, snapshot_interval_blocks=snapshot_interval)
    node, history = open_node(config, genesis_text)
    for witness in node.state.db.table(Witness):
        name = node.state.account(witness.witness_account).name
        config.witness_keys[witness.id] = devnet_key(name)
    keys = {n: devnet_key(n).to_wif() for n in (*DEVNET_ACCOUNTS, DEVNET_GATEWAY, *names)}
    (data_dir / "devnet-keys.json").write_text(json.dumps(keys, indent=1) + "\n")
    print_banner(genesis, host, port, data_dir, node.state.head_num)
    on_block = after_each_block(DevnetFeeder(node), DevnetFutures(node))
    asyncio.run(serve(node, host, port, history=history, on_block=on_block))


def print_banner(genesis: Genesis, host: str, port: int, data_dir: Path, head: int) -> None:
    echo = click.echo
    echo("graphex devnet")
    echo(f"  chain id      {genesis.chain_id.hex()}")
    echo(f"  core asset    {genesis.core_symbol} (precision {genesis.core_precision}), key prefix "
         f"{genesis.address_prefix}")
    echo(f"  API           http://{host}:{port}  ws://{host}:{port}")
    echo(f"  data dir      {data_dir} (head block {head})")
    for asset in genesis.initial_assets:
        echo(f"  asset         {asset.symbol} (precision {asset.precision}), issued by "
             f"{asset.issuer_name}; market {asset.symbol}:{genesis.core_symbol} open from block 0")
    echo("  futures       GPX/USD, 1 000 GPX per lot, margin in the USD smartcoin: its four months "
         "list in the first blocks; carol and dave trade the front and the next month")
    echo("  dev accounts (1 000 000 GPX each; private key = sha256('graphex-devnet:' + name)):")
    for name in (*DEVNET_ACCOUNTS, DEVNET_GATEWAY):
        key = devnet_key(name)
        btc = DEVNET_BTC_BALANCE // 10**DEVNET_BTC_PRECISION
        extra = f" + {btc} BTC" if name in DEVNET_BTC_HOLDERS else ""
        extra = " (BTC issuer)" if name == DEVNET_GATEWAY else extra
        echo(f"    {name:<7} {key.public_key.to_text(genesis.address_prefix)}  {key.to_wif()}"
             f"{extra}")
    echo(f"  all keys      {data_dir / 'devnet-keys.json'}")
    echo("  Ctrl-C stops the devnet; run it again to continue the same chain.")
