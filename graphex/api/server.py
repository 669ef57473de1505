"""The node API's transport: JSON-RPC over WebSocket and HTTP on one aiohttp port.

Owns the wire: routes, parsing, the transport limits (:class:`ApiLimits`), WebSocket connection
accounting and pushing a session's notifications. Dispatch is ``graphex.api.rpc``'s job.

Routes (as a BitShares node serves them, fc: src/rpc/websocket_api.cpp):
- ``GET /`` and ``GET /ws`` with ``Upgrade: websocket``: JSON-RPC over WebSocket (text or binary
  frames in, text frames out), with notifications ``{"method":"notice",...}`` pushed.
  A plain ``GET /`` goes to the optional ``http_get`` handler (e.g. the web page) or gets 400.
- ``GET /metrics``: Prometheus metrics (:mod:`graphex.api.metrics`), one registry per app.
- ``POST /`` and ``POST /rpc``: one JSON-RPC request object, or a bounded batch array.
  Status as fc's HTTP handler: 500 for -32603, 400 for other JSON-RPC protocol errors (code
  <= -32600), 204 when nothing is due (notifications only), else 200 (also for chain refusals).

Invariants:
- Every message is checked against :class:`ApiLimits` before dispatch; a refusal names the limit
  and values. Bodies over ``max_request_bytes`` get 413 with a JSON-RPC error; WebSocket frames
  over it close the socket with 1009 (aiohttp's reader refuses them before we see them).
- Open WebSockets never exceed ``max_ws_connections_total`` nor, per client address,
  ``max_ws_connections_per_address``; a refused upgrade gets 503 with a JSON-RPC error.
- At most ``max_inflight_requests_per_connection`` requests of one WebSocket run at once; more
  are not read until one finishes (backpressure, not refusal).
- Sends on one WebSocket are serialized; a session's notification overflow closes it with 1008.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import Any

import msgspec
from aiohttp import WSCloseCode, WSMsgType, hdrs, web

from graphex.api.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    ApiError,
    InvalidRequest,
    LimitExceeded,
    ParseError,
)
from graphex.api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from graphex.api.metrics import ApiMetrics
from graphex.api.rpc import (
    DEFAULT_MAX_PENDING_NOTIFICATIONS,
    ApiRegistry,
    Reply,
    Session,
    encode_reply,
    error_message,
    error_reply,
    handle_decoded,
)

log = logging.getLogger(__name__)

WS_HEARTBEAT_S = 30.0
WS_CLOSE_REASON_MAX_BYTES = 123
HTTP_OK = 200
HTTP_NO_CONTENT = 204
HTTP_BAD_REQUEST = 400
HTTP_PAYLOAD_TOO_LARGE = 413
HTTP_SERVICE_UNAVAILABLE = 503
HTTP_INTERNAL_ERROR = 500

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ApiLimits:
    """Transport limits of the node API (counts, or bytes where named so)."""

    max_request_bytes: int = 1 << 20
    max_json_depth: int = 64
    max_batch_length: int = 100
    max_array_length: int = 10_000
    max_ws_connections_total: int = 5000
    max_ws_connections_per_address: int = 200
    max_pending_notifications: int = DEFAULT_MAX_PENDING_NOTIFICATIONS
    max_inflight_requests_per_connection: int = 32

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ApiLimits.{item.name} must be a positive int, got {value!r}")


def decode_request(raw: bytes | str, limits: ApiLimits) -> Any:
    """Parse one message and check its size, nesting depth, batch and container lengths."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > limits.max_request_bytes:
        raise LimitExceeded("max_request_bytes", len(data), limits.max_request_bytes)
    try:
        value = msgspec.json.decode(data)
    except RecursionError:
        depth = f"more than {limits.max_json_depth}"
        raise LimitExceeded("max_json_depth", depth, limits.max_json_depth) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"Invalid JSON message: {exc}") from None
    if isinstance(value, list):
        if not value:
            raise InvalidRequest("Invalid JSON request: empty batch")
        if len(value) > limits.max_batch_length:
            raise LimitExceeded("max_batch_length", len(value), limits.max_batch_length)
    check_shape(value, limits)
    return value


def check_shape(value: Any, limits: ApiLimits) -> None:
    """Refuse JSON nested deeper than ``max_json_depth`` or with containers over the length limit."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (list, dict)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_json_depth:
            raise LimitExceeded("max_json_depth", depth, limits.max_json_depth)
        if len(node) > limits.max_array_length:
            kind = "array" if isinstance(node, list) else "object"
            raise LimitExceeded("max_array_length", len(node), limits.max_array_length, kind)
        children = node if isinstance(node, list) else node.values()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))


class ConnectionCounter:
    """Open WebSockets, in total and per client address, within the limits."""

    def __init__(self, limits: ApiLimits) -> None:
        self.limits = limits
        self.total = 0
        self.by_address: dict[str, int] = {}

    def admit(self, address: str) -> LimitExceeded | None:
        """Count a new connection from ``address``, or return why it is refused."""
        if self.total >= self.limits.max_ws_connections_total:
            limit = self.limits.max_ws_connections_total
            return LimitExceeded("max_ws_connections_total", self.total + 1, limit)
        count = self.by_address.get(address, 0)
        if count >= self.limits.max_ws_connections_per_address:
            limit = self.limits.max_ws_connections_per_address
            return LimitExceeded("max_ws_connections_per_address", count + 1, limit, address)
        self.total += 1
        self.by_address[address] = count + 1
        return None

    def release(self, address: str) -> None:
        self.total -= 1
        remaining = self.by_address[address] - 1
        if remaining:
            self.by_address[address] = remaining
        else:
            del self.by_address[address]


@dataclass
class ApiServerState:
    """What the handlers of one application share."""

    registry: ApiRegistry
    limits: ApiLimits
    http_get: Handler | None
    connections: ConnectionCounter
    metrics: ApiMetrics
    sockets: set[web.WebSocketResponse] = field(default_factory=set)


API_STATE = web.AppKey("graphex_api_state", ApiServerState)


def make_app(
    registry: ApiRegistry,
    *,
    limits: ApiLimits | None = None,
    http_get: Handler | None = None,
    metrics: ApiMetrics | None = None,
) -> web.Application:
    """An aiohttp application serving ``registry``; more routes may be added before it starts.
    ``metrics`` (a fresh :class:`ApiMetrics` if not given) gets the API's own series."""
    limits = limits if limits is not None else ApiLimits()
    metrics = metrics if metrics is not None else ApiMetrics()
    connections = ConnectionCounter(limits)
    metrics.gauge("graphex_api_open_connections", "Open API WebSocket connections.",
                  lambda: connections.total)
    app = web.Application(client_max_size=limits.max_request_bytes)
    app[API_STATE] = ApiServerState(registry, limits, http_get, connections, metrics)
    app.router.add_get("/", _get)
    app.router.add_get("/ws", _get)
    app.router.add_get("/metrics", _metrics)
    app.router.add_post("/", _post)
    app.router.add_post("/rpc", _post)
    app.on_shutdown.append(_close_websockets)
    return app


async def _reply_to(state: ApiServerState, session: Session, data: bytes | str) -> Reply:
    try:
        value = decode_request(data, state.limits)
    except ApiError as exc:
        return error_message(exc)
    return await handle_decoded(state.registry, session, value)


def http_status(error_code: int | None) -> int:
    """fc's HTTP status for a reply whose single error has ``error_code``."""
    if error_code == INTERNAL_ERROR:
        return HTTP_INTERNAL_ERROR
    if error_code is not None and error_code <= INVALID_REQUEST:
        return HTTP_BAD_REQUEST
    return HTTP_OK


def _json_response(body: bytes, status: int) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json")


def _refusal(error: ApiError, status: int) -> web.Response:
    return _json_response(encode_reply(error_reply(None, error)), status)


async def _post(request: web.Request) -> web.StreamResponse:
    state = request.app[API_STATE]
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        limit = state.limits.max_request_bytes
        size = request.content_length or f"more than {limit}"
        return _refusal(LimitExceeded("max_request_bytes", size, limit), HTTP_PAYLOAD_TOO_LARGE)
    session = state.registry.new_session(
        request.remote or "", streaming=False, observer=state.metrics.observe_call
    )
    try:
        reply = await _reply_to(state, session, body)
    finally:
        session.close()
    if reply.body is None:
        return web.Response(status=HTTP_NO_CONTENT)
    return _json_response(reply.body, http_status(reply.error_code))


async def _metrics(request: web.Request) -> web.StreamResponse:
    body = request.app[API_STATE].metrics.exposition()
    return web.Response(body=body, headers={hdrs.CONTENT_TYPE: METRICS_CONTENT_TYPE})


async def _get(request: web.Request) -> web.StreamResponse:
    state = request.app[API_STATE]
    if request.headers.get(hdrs.UPGRADE, "").lower() == "websocket":
        return await _websocket(request, state)
    if state.http_get is not None and request.path == "/":
        return await state.http_get(request)
    error = InvalidRequest(
        f"GET {request.path} expects a WebSocket upgrade (Upgrade: websocket); "
        "send JSON-RPC over HTTP with POST / or POST /rpc"
    )
    return _refusal(error, HTTP_BAD_REQUEST)


async def _websocket(request: web.Request, state: ApiServerState) -> web.StreamResponse:
    peer = request.remote or ""
    refused = state.connections.admit(peer)
    if refused is not None:
        log.warning("refusing API WebSocket from %s: %s", peer, refused.message)
        return _refusal(refused, HTTP_SERVICE_UNAVAILABLE)
    limits = state.limits
    ws = web.WebSocketResponse(
        max_msg_size=limits.max_request_bytes, heartbeat=WS_HEARTBEAT_S, decode_text=False
    )
    session = state.registry.new_session(
        peer,
        streaming=True,
        max_pending_notifications=limits.max_pending_notifications,
        observer=state.metrics.observe_call,
    )
    try:
        await ws.prepare(request)
        state.sockets.add(ws)
        await _serve_websocket(state, ws, session)
    finally:
        state.connections.release(peer)
        state.sockets.discard(ws)
        session.close()
    return ws


async def _serve_websocket(
    state: ApiServerState, ws: web.WebSocketResponse, session: Session
) -> None:
    send_lock = asyncio.Lock()
    inflight = asyncio.Semaphore(state.limits.max_inflight_requests_per_connection)
    tasks: set[asyncio.Task[None]] = set()
    pump = asyncio.create_task(_pump_notices(ws, session, send_lock))
    try:
        async for message in ws:
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                await inflight.acquire()
                task = asyncio.create_task(
                    _answer(state, ws, session, message.data, send_lock, inflight)
                )
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif message.type is WSMsgType.ERROR:
                log.info("API WebSocket from %s closed: %s", session.peer, message.data)
                break
    finally:
        for task in (pump, *tasks):
            task.cancel()
        await asyncio.gather(pump, *tasks, return_exceptions=True)


async def _answer(
    state: ApiServerState,
    ws: web.WebSocketResponse,
    session: Session,
    data: bytes | str,
    send_lock: asyncio.Lock,
    inflight: asyncio.Semaphore,
) -> None:
    try:
        reply = await _reply_to(state, session, data)
        if reply.body is not None:
            await _send(ws, reply.body, send_lock)
    finally:
        inflight.release()


async def _send(ws: web.WebSocketResponse, body: bytes, send_lock: asyncio.Lock) -> None:
    if ws.closed:
        return
    async with send_lock:
        try:
            await ws.send_frame(body, WSMsgType.TEXT)
        except ConnectionError:
            log.debug("API WebSocket closed before a reply could be sent")


async def _pump_notices(ws: web.WebSocketResponse, session: Session, lock: asyncio.Lock) -> None:
    while not ws.closed:
        await session.wakeup.wait()
        session.wakeup.clear()
        if session.overflow is not None:
            reason = session.overflow.encode()[:WS_CLOSE_REASON_MAX_BYTES]
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=reason)
            return
        for notice in session.take_outgoing():
            await _send(ws, notice, lock)


async def _close_websockets(app: web.Application) -> None:
    for ws in list(app[API_STATE].sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


@dataclass
class RunningServer:
    """A started API server; ``port`` is the bound one (useful with port 0)."""

    runner: web.AppRunner
    site: web.TCPSite
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_server(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Serve ``app`` on ``host:port`` (port 0: a free one) until :meth:`RunningServer.stop`."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = int(runner.addresses[0][1])
    return RunningServer(runner, site, host, bound_port)


async def stop_server(server: RunningServer) -> None:
    await server.stop()
