"""A devnet node with its history service and the API server on loopback, run on an event loop in
a thread of the test — the harness of the API, client, wallet and feed tests.

``auto_produce``: a block is produced whenever transactions are pending (so synchronous
broadcasts return); otherwise the test produces blocks itself. ``with_history=False`` serves the
API without the history service (its methods then refuse)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import requests

from graphex.api.app import build_registry
from graphex.api.server import RunningServer, make_app, start_server
from graphex.chain.genesis import devnet_key
from graphex.client import Client
from graphex.node.history import HistoryService
from graphex.node.node import Node
from tests.node.test_history import history_node

TIMEOUT_S = 30.0
PRODUCE_EVERY_S = 0.05
T = TypeVar("T")


class Served:
    def __init__(self, data_dir: Path, *, with_history: bool = True,
                 auto_produce: bool = False) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stopping = False
        self.producer: asyncio.Task[None] | None = None
        self._run(self._start(data_dir, with_history, auto_produce))

    async def _start(self, data_dir: Path, with_history: bool, auto_produce: bool) -> None:
        self.node, self._own_history = history_node(data_dir)  # owned by the loop's thread
        self.history: HistoryService | None = self._own_history if with_history else None
        self.server: RunningServer = await start_server(
            make_app(build_registry(self.node, self.history)))
        if auto_produce:
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

    def on_loop(self, action: Callable[[Node], T]) -> T:
        """``action(node)`` run on the node's thread; its result."""
        async def call() -> T:
            return action(self.node)

        return self._run(call())  # type: ignore[no-any-return]

    def produce(self, count: int = 1) -> None:
        self.on_loop(lambda node: [node.produce_block(node.next_slot()[0]) for _ in range(count)])

    def reply(self, method: str, *args: Any, api: str | int = 0) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": [api, method, list(args)]}
        answer: dict[str, Any] = requests.post(self.url, json=body, timeout=10).json()
        return answer

    def call(self, method: str, *args: Any, api: str | int = 0) -> Any:
        answer = self.reply(method, *args, api=api)
        assert "error" not in answer, answer
        return answer["result"]

    def error(self, method: str, *args: Any, api: str | int = 0) -> str:
        answer = self.reply(method, *args, api=api)
        assert "error" in answer, answer
        return str(answer["error"]["message"])

    def client(self, *names: str, ws: bool = False) -> Client:
        return Client(self.ws_url if ws else self.url,
                      keys=[devnet_key(name) for name in names])

    def stop(self) -> None:
        async def shutdown() -> None:
            self.stopping = True
            if self.producer is not None:
                await self.producer
            await self.server.stop()
            self.node.close()
            self._own_history.close()

        try:
            self._run(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=TIMEOUT_S)


def serve(tmp_path: Path, **options: Any) -> Iterator[Served]:
    """The body of a ``served`` fixture: a served node, stopped afterwards."""
    net = Served(tmp_path / "node", **options)
    try:
        yield net
    finally:
        net.stop()
