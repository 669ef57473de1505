"""Helpers shared by the CLI commands: endpoints, opening a node with a replay progress bar,
and running the API server beside block production until interrupted."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ..node.history import HistoryService
from ..node.node import Node, NodeConfig
from ..node.service import production_loop


def parse_endpoint(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise click.BadParameter(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def open_node(config: NodeConfig, genesis_text: bytes | None, *, replay: bool = False
              ) -> tuple[Node, HistoryService]:
    """Open the node with its history service attached (replaying from genesis when the history
    is behind the latest snapshot, so it can catch up)."""
    node = Node(config, genesis_text)
    history = HistoryService(node)
    if history.needs_replay and not replay:
        click.echo(f"history db is at block {history.head}, behind the latest state snapshot: "
                   "replaying the chain from genesis to rebuild it")
        replay = True
    head = node.store.head_num()
    if head == 0:
        node.open(replay=replay)
        return node, history
    with Progress(TextColumn("replaying blocks"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeRemainingColumn(), transient=True) as progress:
        task = progress.add_task("replay", total=head)
        node.open(replay=replay, progress=lambda num, _total: progress.update(task, completed=num))
    return node, history


async def serve(node: Node, host: str, port: int, *, produce: bool = True,
                history: HistoryService | None = None,
                on_block: Callable[[int], None] | None = None) -> None:
    """Run the API on host:port and produce blocks until SIGINT/SIGTERM (``on_block`` runs after
    each produced block, with the pending pool open for new transactions)."""
    from ..api.app import build_app
    from ..api.server import start_server

    app = build_app(node, history)
    runner = await start_server(app, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if produce:
            await production_loop(node, stop, on_block=on_block)
        else:
            await stop.wait()
    finally:
        await runner.stop()
        node.close()
        if history is not None:
            history.close()


def data_dir_option(default: str) -> click.Option:
    return click.option("--data-dir", type=click.Path(path_type=Path), default=default,
                        show_default=True, help="Where the block log, snapshots and keys live.")
