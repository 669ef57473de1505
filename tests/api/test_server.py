"""The API transport (graphex.api.server) over real loopback sockets, incl. graphenelib clients."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, ClassVar

import aiohttp
import pytest
import requests
import websocket
from aiohttp import web
from grapheneapi.exceptions import RPCError
from grapheneapi.http import Http
from grapheneapi.websocket import Websocket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphex.api.rpc import ApiRegistry, Session
from graphex.api.server import ApiLimits, RunningServer, decode_request, make_app, start_server

TIMEOUT_S = 10.0


class OrderRefused(Exception):
    api_code = 10


class DummyDatabase:
    methods: ClassVar[frozenset[str]] = frozenset(
        {"get_chain_properties", "echo", "slow_echo", "fail", "subscribe", "flood"}
    )

    def get_chain_properties(self) -> dict[str, Any]:
        return {"id": "2.11.0", "chain_id": "ab" * 32}

    def echo(self, value: Any) -> Any:
        return value

    async def slow_echo(self, value: Any, delay_s: float) -> Any:
        await asyncio.sleep(delay_s)
        return value

    def fail(self, amount: int) -> None:
        raise OrderRefused(f"order refused: amount {amount} exceeds balance 5")

    def subscribe(self, callback_id: int, *, session: Session) -> bool:
        session.notify(callback_id, {"head_block_number": 1})
        asyncio.get_running_loop().call_later(0.05, session.notify, callback_id, "later")
        return True

    def flood(self, count: int, *, session: Session) -> bool:
        for index in range(count):
            session.notify(0, index)
        return True


class DummyBroadcast:
    methods: ClassVar[frozenset[str]] = frozenset({"broadcast_transaction"})

    def broadcast_transaction(self, trx: dict[str, Any]) -> str:
        return "accepted"


SMALL = ApiLimits(
    max_request_bytes=4096,
    max_json_depth=8,
    max_batch_length=4,
    max_array_length=50,
    max_ws_connections_per_address=2,
    max_pending_notifications=10,
)


def make_test_app(limits: ApiLimits | None = None) -> web.Application:
    registry = ApiRegistry(DummyDatabase())
    registry.register("network_broadcast", DummyBroadcast())
    return make_app(registry, limits=limits)


@asynccontextmanager
async def serving(limits: ApiLimits | None = None) -> AsyncIterator[RunningServer]:
    server = await start_server(make_test_app(limits), "127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop()


def body(api: Any, method: str, args: list[Any], request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "call", "params": [api, method, args]}


async def post(server: RunningServer, payload: Any, path: str = "/") -> tuple[int, Any]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with (
        aiohttp.ClientSession(timeout=timeout) as client,
        client.post(server.url + path, data=data) as response,
    ):
        text = await response.text()
        return response.status, json.loads(text) if text else None


def test_http_calls_handshake_and_errors() -> None:
    async def scenario() -> None:
        async with serving(SMALL) as server:
            status, reply = await post(server, body(0, "get_chain_properties", []))
            assert status == 200 and reply["result"]["id"] == "2.11.0"
            assert reply["jsonrpc"] == "2.0" and reply["id"] == 1
            _, reply = await post(server, body("database", "echo", ["x"]), "/rpc")
            assert reply["result"] == "x"
            _, reply = await post(
                server, {"jsonrpc": "2.0", "id": 2, "method": "echo", "params": [5]}
            )
            assert reply["result"] == 5
            assert (await post(server, body(1, "login", ["", ""])))[1]["result"] is True
            assert (await post(server, body(1, "database", [])))[1]["result"] == 0
            assert (await post(server, body(1, "network_broadcast", [])))[1]["result"] == 2
            _, reply = await post(server, body("network_broadcast", "broadcast_transaction", [{}]))
            assert reply["result"] == "accepted"
            status, reply = await post(server, body(0, "nope", []))
            assert status == 400 and reply["error"]["code"] == -32601
            status, reply = await post(server, body(0, "echo", [1, 2, 3, 4, 5]))
            assert status == 400 and reply["error"]["message"] == "echo expects 1 argument, got 5"
            status, reply = await post(server, body(0, "fail", [9]))
            assert status == 200 and reply["error"]["code"] == 10
            assert "amount 9 exceeds balance 5" in reply["error"]["message"]
            status, reply = await post(server, b"{not json")
            assert status == 400 and reply["error"]["code"] == -32700 and reply["id"] is None
            status, reply = await post(server, {"jsonrpc": "2.0", "method": "echo", "params": [1]})
            assert status == 204 and reply is None

    asyncio.run(scenario())


def test_http_limits_and_routes() -> None:
    async def scenario() -> None:
        async with serving(SMALL) as server:
            deep: Any = 1
            for _ in range(10):
                deep = [deep]
            status, reply = await post(server, body(0, "echo", [deep]))
            assert status == 400 and reply["error"]["code"] == -32600
            assert reply["error"]["message"] == "request exceeds max_json_depth: 9 > 8"
            status, reply = await post(server, b"[" * 2000 + b"]" * 2000)
            assert status == 400 and "max_json_depth" in reply["error"]["message"]
            status, reply = await post(server, body(0, "echo", [list(range(51))]))
            assert reply["error"]["message"] == "request exceeds max_array_length: 51 > 50 (array)"
            status, reply = await post(server, b" " * 5000)
            assert status == 413 and reply["error"]["code"] == -32600
            assert "max_request_bytes: 5000 > 4096" in reply["error"]["message"]
            status, reply = await post(server, [body(0, "echo", [i], i) for i in range(5)])
            assert "max_batch_length: 5 > 4" in reply["error"]["message"]
            status, reply = await post(server, [body(0, "echo", [i], i) for i in range(3)])
            assert status == 200 and [r["result"] for r in reply] == [0, 1, 2]
            timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
            async with aiohttp.ClientSession(timeout=timeout) as client:
                async with client.get(server.url + "/rpc") as response:
                    assert response.status == 405
                async with client.get(server.url + "/") as response:
                    assert response.status == 400
                    assert "WebSocket" in (await response.json())["error"]["message"]

    asyncio.run(scenario())


def test_websocket_requests_notices_and_limits() -> None:
    async def scenario() -> None:
        async with serving(SMALL) as server, aiohttp.ClientSession() as client:
            async with client.ws_connect(server.ws_url + "/ws") as ws:
                await ws.send_str(json.dumps(body(1, "network_broadcast", [], 1)))
                assert (await ws.receive_json(timeout=TIMEOUT_S))["result"] == 2
                await ws.send_bytes(json.dumps(body(2, "broadcast_transaction", [{}], 2)).encode())
                assert (await ws.receive_json(timeout=TIMEOUT_S))["result"] == "accepted"
                await ws.send_str(json.dumps(body(0, "slow_echo", ["slow", 0.2], 3)))
                await ws.send_str(json.dumps(body(0, "echo", ["fast"], 4)))
                assert (await ws.receive_json(timeout=TIMEOUT_S))["id"] == 4
                assert (await ws.receive_json(timeout=TIMEOUT_S))["result"] == "slow"
                await ws.send_str(json.dumps(body(0, "subscribe", [7], 5)))
                received = [await ws.receive_json(timeout=TIMEOUT_S) for _ in range(3)]
                notices = [m for m in received if m.get("method") == "notice"]
                assert {"method": "notice", "params": [7, [{"head_block_number": 1}]]} in notices
                assert {"method": "notice", "params": [7, ["later"]]} in notices
                await ws.send_str("{oops")
                assert (await ws.receive_json(timeout=TIMEOUT_S))["error"]["code"] == -32700
            async with client.ws_connect(server.ws_url) as ws:
                await ws.send_str(json.dumps(body(0, "flood", [11])))
                message = await ws.receive(timeout=TIMEOUT_S)
                while message.type is aiohttp.WSMsgType.TEXT:
                    message = await ws.receive(timeout=TIMEOUT_S)
                assert ws.close_code == 1008
            async with client.ws_connect(server.ws_url) as ws:
                await ws.send_str(json.dumps(body(0, "echo", ["x" * 5000])))
                message = await ws.receive(timeout=TIMEOUT_S)
                assert message.type is aiohttp.WSMsgType.CLOSE and message.data == 1009

    asyncio.run(scenario())


def test_websocket_connection_limit_per_address() -> None:
    async def scenario() -> None:
        async with serving(SMALL) as server, aiohttp.ClientSession() as client:
            first = await client.ws_connect(server.ws_url)
            second = await client.ws_connect(server.ws_url)
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect(server.ws_url)
            assert refused.value.status == 503
            async with client.get(
                server.url, headers={"Upgrade": "websocket", "Connection": "Upgrade"}
            ) as response:
                reply = await response.json()
                assert "max_ws_connections_per_address: 3 > 2" in reply["error"]["message"]
            await first.close()
            await asyncio.sleep(0.05)
            third = await client.ws_connect(server.ws_url)
            await second.close()
            await third.close()

    asyncio.run(scenario())


@contextmanager
def threaded_server(limits: ApiLimits | None = None) -> Iterator[RunningServer]:
    """A server on its own event loop thread, for blocking clients (graphenelib, requests)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: list[RunningServer] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        holder.append(loop.run_until_complete(start_server(make_test_app(limits))))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(TIMEOUT_S)
    try:
        yield holder[0]
    finally:
        asyncio.run_coroutine_threadsafe(holder[0].stop(), loop).result(TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT_S)
        loop.close()


@pytest.fixture(scope="module")
def live_server() -> Iterator[RunningServer]:
    with threaded_server(SMALL) as server:
        yield server


@pytest.mark.parametrize("client_class", [Websocket, Http])
def test_graphenelib_clients(live_server: RunningServer, client_class: type) -> None:
    url = live_server.ws_url if client_class is Websocket else live_server.url
    client = client_class(url)
    client.connect()
    try:
        assert client.get_chain_properties()["chain_id"] == "ab" * 32
        assert client.echo([1, "two"]) == [1, "two"]
        assert client.broadcast_transaction({}, api="network_broadcast") == "accepted"
        with pytest.raises(RPCError, match="order refused: amount 3 exceeds balance 5"):
            client.fail(3)
    finally:
        client.disconnect()


def test_decode_request_refuses_invalid_utf8_and_empty_batch() -> None:
    for raw in (b'"\xff"', b"[]"):
        with pytest.raises(Exception) as refused:
            decode_request(raw, SMALL)
        assert getattr(refused.value, "code", None) in (-32700, -32600)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)
requests_like = st.fixed_dictionaries(
    {
        "id": json_values,
        "method": st.sampled_from(["call", "echo", "notice", "", "nope"]) | json_values,
        "params": json_values,
    }
)


def is_notification(payload: Any) -> bool:
    if isinstance(payload, list) and payload:
        return all(is_notification(item) for item in payload)
    return isinstance(payload, dict) and ("id" not in payload or payload["id"] is None)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=json_values | requests_like | st.lists(requests_like, min_size=1, max_size=3))
def test_fuzz_http_json_values_always_get_a_json_rpc_reply(
    live_server: RunningServer, payload: Any
) -> None:
    response = requests.post(live_server.url, data=json.dumps(payload), timeout=TIMEOUT_S)
    if response.status_code == 204:
        assert is_notification(payload)
        return
    assert response.status_code in (200, 400, 413)
    reply = response.json()
    for item in reply if isinstance(reply, list) else [reply]:
        assert item["jsonrpc"] == "2.0" and ("result" in item) != ("error" in item)
        if "error" in item:
            assert isinstance(item["error"]["code"], int) and item["error"]["message"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=300))
def test_fuzz_http_random_bytes(live_server: RunningServer, raw: bytes) -> None:
    response = requests.post(live_server.url, data=raw, timeout=TIMEOUT_S)
    assert response.status_code in (200, 204, 400)
    if response.status_code != 204:
        assert "jsonrpc" in response.json()


SENTINEL = json.dumps({"jsonrpc": "2.0", "id": "sentinel", "method": "echo", "params": [0]})


@pytest.fixture(scope="module")
def live_websocket(live_server: RunningServer) -> Iterator[websocket.WebSocket]:
    connection = websocket.create_connection(live_server.ws_url, timeout=TIMEOUT_S)
    yield connection
    connection.close()


def replies_until_sentinel(connection: websocket.WebSocket) -> list[Any]:
    connection.send(SENTINEL)
    replies = []
    while (reply := json.loads(connection.recv())) != {
        "id": "sentinel",
        "jsonrpc": "2.0",
        "result": 0,
    }:
        replies.append(reply)
    return replies


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=json_values | requests_like | st.binary(max_size=200))
def test_fuzz_websocket_frames(live_websocket: websocket.WebSocket, payload: Any) -> None:
    if isinstance(payload, bytes):
        live_websocket.send_binary(payload)
    else:
        live_websocket.send(json.dumps(payload))
    replies = replies_until_sentinel(live_websocket)
    assert len(replies) <= 1
    for reply in replies:
        items = reply if isinstance(reply, list) else [reply]
        assert all(
            item["jsonrpc"] == "2.0" and ("result" in item) != ("error" in item) for item in items
        )
    if not replies:
        assert is_notification(json.loads(payload) if isinstance(payload, bytes) else payload)


def test_server_still_answers_after_fuzzing(live_server: RunningServer) -> None:
    reply = requests.post(live_server.url, json=body(0, "echo", ["alive"]), timeout=TIMEOUT_S)
    assert reply.json()["result"] == "alive"
