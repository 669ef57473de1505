"""A small JSON-RPC client of a graphex (or BitShares) node, over HTTP or WebSocket (aiohttp).

Calls use the ``call [api, method, args]`` convention with API names (``database``,
``network_broadcast``), which graphex and BitShares nodes both accept. A refusal comes back as
:class:`~graphex.feed.errors.RpcError` carrying the node's message (``Execution error: …`` for a
chain refusal); a node that cannot be reached or answers garbage raises it too, naming the URL.
"""

from __future__ import annotations

import asyncio
import json
from itertools import count
from types import TracebackType
from typing import Any, Self

import aiohttp

from .errors import RpcError

MAX_REPLY_BYTES = 16 << 20


class RpcClient:
    """``async with RpcClient(url) as rpc: await rpc.database("get_chain_id")``."""

    def __init__(self, url: str, timeout_s: float = 10) -> None:
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._ids = count(1)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def database(self, method: str, *args: Any) -> Any:
        return await self.call("database", method, *args)

    async def call(self, api: str, method: str, *args: Any) -> Any:
        """The result of ``api.method(*args)``; refusals raise :class:`RpcError`."""
        if self._session is None:
            raise RuntimeError("RpcClient used outside 'async with'")
        request = {"jsonrpc": "2.0", "id": next(self._ids), "method": "call",
                   "params": [api, method, list(args)]}
        try:
            if self.url.startswith(("ws://", "wss://")):
                reply = await self._over_websocket(request)
            else:
                reply = await self._over_http(request)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise RpcError(method, f"cannot reach the node at {self.url}: "
                                   f"{type(exc).__name__}: {exc}") from None
        if not isinstance(reply, dict):
            raise RpcError(method, f"the node at {self.url} answered a non-object: {reply!r:.200}")
        if "error" in reply:
            error = reply["error"]
            message = error.get("message") if isinstance(error, dict) else None
            raise RpcError(method, str(message or error))
        return reply.get("result")

    async def _over_http(self, request: dict[str, Any]) -> Any:
        assert self._session is not None
        async with self._session.post(self.url, json=request) as response:
            body = await response.content.read(MAX_REPLY_BYTES + 1)
        if len(body) > MAX_REPLY_BYTES:
            raise RpcError(request["params"][1], f"reply larger than {MAX_REPLY_BYTES} bytes")
        try:
            return json.loads(body)
        except ValueError:
            raise RpcError(request["params"][1], f"the node at {self.url} answered non-JSON "
                                                 f"(HTTP {response.status}): {body[:200]!r}") from None

    async def _over_websocket(self, request: dict[str, Any]) -> Any:
        assert self._session is not None
        async with self._ws_lock:
            if self._ws is None:
                self._ws = await self._session.ws_connect(self.url, max_msg_size=MAX_REPLY_BYTES)
            await self._ws.send_str(json.dumps(request))
            while True:  # skip notices (subscriptions) until our reply
                message = await self._ws.receive(timeout=self.timeout.total)
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise RpcError(request["params"][1],
                                   f"the WebSocket to {self.url} closed ({message.type.name})")
                reply = json.loads(message.data)
                if isinstance(reply, dict) and reply.get("id") == request["id"]:
                    return reply
