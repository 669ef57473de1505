"""The feed tool's JSON-RPC client of a graphex (or BitShares) node: :mod:`graphex.client`'s
transport (HTTP or WebSocket), used as ``async with RpcClient(url) as rpc``, with the node's
refusals and connection failures raised as the feed tool's :class:`~graphex.feed.errors.RpcError`
(carrying the node's message, ``Execution error: …`` for a chain refusal, or naming the URL).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from ..client.errors import NodeError
from ..client.rpc import RpcTransport
from .errors import RpcError


class RpcClient:
    """``async with RpcClient(url) as rpc: await rpc.database("get_chain_id")``."""

    def __init__(self, url: str, timeout_s: float = 10) -> None:
        self.url = url
        self._transport = RpcTransport(url, timeout_s)
        self._open = False

    async def __aenter__(self) -> Self:
        self._open = True
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        self._open = False
        await self._transport.close()

    async def database(self, method: str, *args: Any) -> Any:
        return await self.call("database", method, *args)

    async def call(self, api: str, method: str, *args: Any) -> Any:
        """The result of ``api.method(*args)``; refusals raise :class:`RpcError`."""
        if not self._open:
            raise RuntimeError("RpcClient used outside 'async with'")
        try:
            return await self._transport.call(api, method, *args)
        except NodeError as exc:
            raise RpcError(exc.method, exc.node_message) from None
