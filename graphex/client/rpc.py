"""JSON-RPC transport to a graphex (or BitShares) node over HTTP or WebSocket (aiohttp).

Calls use the ``call [api, method, args]`` convention with API names (``database``,
``network_broadcast``, ``history``). ``http(s)://`` URLs POST one request per call;
``ws(s)://`` URLs keep one WebSocket open and skip notices until the reply with the call's id.
A refusal raises :class:`~graphex.client.errors.NodeError` with the node's message, code and
data; an unreachable node or a garbled reply raises it too, naming the URL.
"""

from __future__ import annotations

import asyncio
import json
from itertools import count
from typing import Any

import aiohttp

from .errors import NodeError

MAX_REPLY_BYTES = 16 << 20
"""Largest reply accepted (bytes)."""
DEFAULT_TIMEOUT_S = 30.0


class RpcTransport:
    """One connection (session) to one node; ``await close()`` when done."""

    def __init__(self, url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._ids = count(1)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_lock = asyncio.Lock()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, api: str | int, method: str, *args: Any,
                   timeout_s: float | None = None) -> Any:
        """The result of ``api.method(*args)``; refusals raise :class:`NodeError`."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        request = {"jsonrpc": "2.0", "id": next(self._ids), "method": "call",
                   "params": [api, method, list(args)]}
        wait_s = timeout_s if timeout_s is not None else self.timeout.total
        try:
            if self.url.startswith(("ws://", "wss://")):
                reply = await self._over_websocket(request, wait_s)
            else:
                reply = await self._over_http(request, wait_s)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise NodeError(method, f"cannot reach the node at {self.url}: "
                                    f"{type(exc).__name__}: {exc}") from None
        if not isinstance(reply, dict):
            raise NodeError(method, f"the node at {self.url} answered a non-object: "
                                    f"{reply!r:.200}")
        if "error" in reply:
            error = reply["error"]
            if isinstance(error, dict):
                raise NodeError(method, str(error.get("message") or error),
                                code=error.get("code"), data=error.get("data"))
            raise NodeError(method, str(error))
        return reply.get("result")

    async def _over_http(self, request: dict[str, Any], wait_s: float | None) -> Any:
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=wait_s)
        async with self._session.post(self.url, json=request, timeout=timeout) as response:
            body = await response.content.read(MAX_REPLY_BYTES + 1)
        if len(body) > MAX_REPLY_BYTES:
            raise NodeError(request["params"][1], f"reply larger than {MAX_REPLY_BYTES} bytes")
        try:
            return json.loads(body)
        except ValueError:
            raise NodeError(request["params"][1], f"the node at {self.url} answered non-JSON "
                            f"(HTTP {response.status}): {body[:200]!r}") from None

    async def _over_websocket(self, request: dict[str, Any], wait_s: float | None) -> Any:
        assert self._session is not None
        async with self._ws_lock:
            if self._ws is None:
                self._ws = await self._session.ws_connect(self.url, max_msg_size=MAX_REPLY_BYTES)
            await self._ws.send_str(json.dumps(request))
            while True:  # skip notices (subscriptions) until our reply
                message = await self._ws.receive(timeout=wait_s)
                if message.type != aiohttp.WSMsgType.TEXT:
                    self._ws = None
                    raise NodeError(request["params"][1],
                                    f"the WebSocket to {self.url} closed ({message.type.name})")
                reply = json.loads(message.data)
                if isinstance(reply, dict) and reply.get("id") == request["id"]:
                    return reply
