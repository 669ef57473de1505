"""A devnet node with its history service and API server on loopback, run on an event loop in a
thread, producing a block whenever transactions are pending (so synchronous broadcasts return)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graphex.api.app import build_registry
from graphex.api.server import RunningServer, make_app, start_server
from graphex.chain.genesis import devnet_key
from graphex.client import Client
from tests.node.test_history import history_node

TIMEOUT_S = 30.0
PRODUCE_EVERY_S = 0.05


class Served:
    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stopping = False
        self._run(self._start(data_dir))

    async def _start(self, data_dir: Path) -> None:
        self.node, self.history = history_node(data_dir)
        self.server: RunningServer = await start_server(
            make_app(build_registry(self.node, self.history)))
        self.producer = asyncio.get_running_loop().create_task(self._produce())

    async def _produce(self) -> None:
        while not self.stopping:
            await asyncio.sleep(PRODUCE_EVERY_S)
            if self.node.pending:
                self.node.produce_block(self.node.next_slot()[0])

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ws_url(self) -> str:
        return self.server.url.replace("http://", "ws://")

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT_S)

    def produce(self, count: int = 1) -> None:
        async def produce() -> None:
            for _ in range(count):
                self.node.produce_block(self.node.next_slot()[0])

        self._run(produce())

    def client(self, *names: str, ws: bool = False) -> Client:
        return Client(self.ws_url if ws else self.url,
                      keys=[devnet_key(name) for name in names])

    def stop(self) -> None:
        async def shutdown() -> None:
            self.stopping = True
            await self.producer
            await self.server.stop()
            self.node.close()
            self.history.close()

        try:
            self._run(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=TIMEOUT_S)


def serve(tmp_path: Path) -> Iterator[Served]:
    """The body of a ``served`` fixture: a served node, stopped afterwards."""
    net = Served(tmp_path / "node")
    try:
        yield net
    finally:
        net.stop()
