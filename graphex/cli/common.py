"""Helpers shared by the CLI commands: endpoints, opening a node with a replay progress bar,
and running the API server beside block production until interrupted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ..node.node import Node, NodeConfig
from ..node.service import production_loop


def parse_endpoint(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise click.BadParameter(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def open_node(config: NodeConfig, genesis_text: bytes | None, *, replay: bool = False) -> Node:
    node = Node(config, genesis_text)
    head = node.store.head_num()
    if head == 0:
        node.open(replay=replay)
        return node
    with Progress(TextColumn("replaying blocks"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeRemainingColumn(), transient=True) as progress:
        task = progress.add_task("replay", total=head)
        node.open(replay=replay, progress=lambda num, _total: progress.update(task, completed=num))
    return node


async def serve(node: Node, host: str, port: int, *, produce: bool = True) -> None:
    """Run the API on host:port and produce blocks until SIGINT/SIGTERM."""
    from ..api.app import build_registry
    from ..api.server import make_app, start_server

    registry = build_registry(node)
    app = make_app(registry)
    runner = await start_server(app, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if produce:
            await production_loop(node, stop)
        else:
            await stop.wait()
    finally:
        await runner.stop()
        node.close()


def data_dir_option(default: str) -> click.Option:
    return click.option("--data-dir", type=click.Path(path_type=Path), default=default,
                        show_default=True, help="Where the block log, snapshots and keys live.")
