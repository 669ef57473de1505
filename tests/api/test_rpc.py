"""Dispatch of decoded JSON-RPC messages (graphex.api.rpc), without sockets."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar

import pytest
from grapheneapi.exceptions import RPCError
from grapheneapi.rpc import Rpc

from graphex.api.errors import ApiError, ExecutionError
from graphex.api.rpc import ApiRegistrationError, ApiRegistry, MethodSpec, Session, handle_decoded


class InsufficientBalance(Exception):
    api_code = 10


class DummyDatabase:
    methods: ClassVar[frozenset[str]] = frozenset(
        {
            "get_chain_properties",
            "echo",
            "get_objects",
            "slow_add",
            "fail",
            "crash",
            "refuse",
            "subscribe",
            "unencodable",
            "count",
        }
    )

    def get_chain_properties(self) -> dict[str, Any]:
        return {"id": "2.11.0", "chain_id": "ab" * 32}

    def echo(self, value: Any) -> Any:
        return value

    def get_objects(self, ids: list[str], subscribe: bool | None = None) -> list[Any]:
        return [{"id": i} for i in ids]

    async def slow_add(self, a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    def fail(self, amount: int) -> None:
        raise InsufficientBalance(f"insufficient balance: need {amount}, have 5")

    def crash(self) -> None:
        raise RuntimeError("secret internal detail")

    def refuse(self) -> None:
        raise ValueError("asset symbol BAD is unknown")

    def subscribe(self, callback_id: int, *, session: Session) -> None:
        session.notify(callback_id, {"block": 1})

    def unencodable(self) -> object:
        return object()

    def count(self, *items: int) -> int:
        return len(items)

    def not_listed(self) -> str:
        return "hidden"


class DummyBroadcast:
    methods: ClassVar[frozenset[str]] = frozenset({"broadcast_transaction"})

    def broadcast_transaction(self, trx: dict[str, Any]) -> None:
        return None


def map_value_error(exc: Exception) -> ApiError | None:
    return ExecutionError(str(exc), name="value_error") if isinstance(exc, ValueError) else None


def make_registry() -> ApiRegistry:
    registry = ApiRegistry(DummyDatabase(), error_mapper=map_value_error)
    registry.register("network_broadcast", DummyBroadcast())
    registry.register("history", DummyBroadcast())
    return registry


def run(value: Any, session: Session | None = None) -> Any:
    registry = session.registry if session is not None else make_registry()
    session = session if session is not None else registry.new_session("test")
    reply = asyncio.run(handle_decoded(registry, session, value))
    return None if reply.body is None else json.loads(reply.body)


def call(api: Any, method: str, args: list[Any], session: Session | None = None) -> Any:
    return run(
        {"jsonrpc": "2.0", "id": 7, "method": "call", "params": [api, method, args]}, session
    )


def test_call_by_id_name_and_bare_method() -> None:
    assert call(0, "get_chain_properties", [])["result"]["id"] == "2.11.0"
    assert call("database", "echo", [[1, "x"]])["result"] == [1, "x"]
    reply = run({"jsonrpc": "2.0", "id": "a", "method": "get_objects", "params": [["1.3.0"]]})
    assert reply == {"id": "a", "jsonrpc": "2.0", "result": [{"id": "1.3.0"}]}


def test_login_handshake_gives_stable_per_connection_ids() -> None:
    session = make_registry().new_session("test")
    assert call(1, "login", ["", ""], session)["result"] is True
    assert call(1, "database", [], session)["result"] == 0
    assert call(1, "history", [], session)["result"] == 2
    assert call(1, "network_broadcast", [], session)["result"] == 3
    assert call(1, "network_broadcast", [], session)["result"] == 3
    assert call(3, "broadcast_transaction", [{}], session)["result"] is None
    assert call("network_broadcast", "broadcast_transaction", [{}], session)["result"] is None
    assert call(1, "get_api_by_name", ["history"], session)["result"] == 2
    assert call(1, "get_api_by_name", ["nope"], session)["result"] is None
    other = session.registry.new_session("other")
    assert call("network_broadcast", "broadcast_transaction", [{}], other)["result"] is None
    assert call(1, "history", [], other)["result"] == 3


def test_async_method_and_variadic() -> None:
    assert call(0, "slow_add", [2, 3])["result"] == 5
    assert call(0, "count", [1, 2, 3])["result"] == 3


def test_unknown_method_api_and_unlisted_attribute() -> None:
    error = call(0, "no_such", [])["error"]
    assert error["code"] == -32601 and "no_such" in error["message"]
    assert "database" in error["message"]
    assert call(0, "not_listed", [])["error"]["code"] == -32601
    assert call(0, "__init__", [])["error"]["code"] == -32601
    error = call(9, "echo", [1])["error"]
    assert error["code"] == -32601 and "API id 9" in error["message"]
    error = call("futures", "echo", [1])["error"]
    assert error["code"] == -32601 and "futures" in error["message"]
    assert call(1, "futures", [])["error"]["code"] == -32601
    assert run({"id": 1, "method": "notice", "params": [1, []]})["error"]["code"] == -32601


def test_argument_count_and_types() -> None:
    error = call(0, "get_objects", [1, 2, 3, 4, 5])["error"]
    assert error == {"code": -32602, "message": "get_objects expects 1-2 arguments, got 5"}
    assert call(0, "get_chain_properties", [1])["error"]["message"] == (
        "get_chain_properties expects 0 arguments, got 1"
    )
    assert call(0, "echo", [])["error"]["message"] == "echo expects 1 argument, got 0"
    error = call(0, "get_objects", ["1.3.0"])["error"]
    assert error["code"] == -32602
    assert error["message"] == "get_objects argument 1 (ids) expects array, got string"
    assert call(0, "slow_add", [True, 1])["error"]["code"] == -32602
    assert call(0, "get_objects", [[], None])["result"] == []
    assert call(0, "get_objects", [[], 1])["error"]["code"] == -32602
    assert call(1, "network_broadcast", [1])["error"]["code"] == -32602


def test_malformed_call_params() -> None:
    for params in ([0, "echo"], [0, "echo", 1], [0, 1, []], [True, "echo", []], [None, "x", []]):
        reply = run({"id": 1, "method": "call", "params": params})
        assert reply["error"]["code"] == -32602, params
    assert run({"id": 1, "method": "echo", "params": {"value": 1}})["error"]["code"] == -32602
    assert run({"id": 1, "method": "echo", "params": 5})["error"]["code"] == -32600


@pytest.mark.parametrize(
    "request_",
    [
        5,
        "x",
        None,
        {"id": 1},
        {"id": 1, "method": ""},
        {"id": [1], "method": "echo"},
        {"id": 1, "method": "echo", "jsonrpc": "1.0"},
        {"id": True, "method": "echo"},
    ],
)
def test_invalid_requests(request_: Any) -> None:
    reply = run(request_)
    assert reply["error"]["code"] == -32600 and reply["id"] is None


def test_notifications_get_no_reply_and_batches() -> None:
    assert run({"jsonrpc": "2.0", "method": "echo", "params": [1]}) is None
    assert run({"method": "echo", "params": [1], "id": None}) is None
    assert run({"jsonrpc": "2.0", "id": None, "method": "echo", "params": [1]})["result"] == 1
    batch = [
        {"id": 1, "method": "echo", "params": [1]},
        {"method": "echo", "params": [2]},
        {"id": 3, "method": "nope"},
        5,
    ]
    replies = run(batch)
    assert [r.get("result") for r in replies] == [1, None, None]
    assert [r.get("error", {}).get("code") for r in replies] == [None, -32601, -32600]
    assert run([{"method": "echo", "params": [2]}]) is None


def test_domain_error_has_fc_shape_that_graphenelib_reads() -> None:
    reply = call(0, "fail", [100])
    error = reply["error"]
    assert error["code"] == 10
    assert error["message"] == "Execution error: insufficient balance: need 100, have 5"
    data = error["data"]
    assert data["code"] == 10 and data["name"] == "insufficient_balance"
    frame = data["stack"][0]
    assert frame["format"] == "insufficient balance: need 100, have 5" and frame["data"] == {}
    assert frame["context"]["method"] == "fail" and frame["context"]["level"] == "error"
    assert "${" not in frame["format"]
    with pytest.raises(RPCError, match="insufficient balance: need 100, have 5"):
        Rpc("ws://unused").parse_response(json.dumps(reply))
    fc_style = dict(reply, error=dict(error, message="Execution error"))
    with pytest.raises(RPCError, match="^insufficient balance: need 100, have 5$"):
        Rpc("ws://unused").parse_response(json.dumps(fc_style))


def test_error_mapper_and_internal_errors(caplog: pytest.LogCaptureFixture) -> None:
    error = call(0, "refuse", [])["error"]
    assert error["code"] == 1 and error["message"] == "Execution error: asset symbol BAD is unknown"
    with caplog.at_level(logging.ERROR):
        error = call(0, "crash", [])["error"]
    assert error["code"] == -32603 and "crash" in error["message"]
    assert "secret" not in json.dumps(error) and "Traceback" not in json.dumps(error)
    assert "secret internal detail" in caplog.text
    assert call(0, "unencodable", [])["error"]["code"] == -32603


def test_placeholders_are_never_left_in_format() -> None:
    error = ExecutionError("bad ${x} value", method="m")
    assert "${" not in error.data["stack"][0]["format"]


def test_notify_streams_only_on_websocket_sessions_and_is_bounded() -> None:
    registry = make_registry()
    http = registry.new_session("h", streaming=False)
    assert call(0, "subscribe", [5], http)["result"] is None and not http.outbox
    ws = registry.new_session("w", streaming=True, max_pending_notifications=2)
    call(0, "subscribe", [5], ws)
    assert json.loads(ws.take_outgoing()[0]) == {"method": "notice", "params": [5, [{"block": 1}]]}
    for _ in range(3):
        ws.notify(1, "x")
    assert ws.overflow == "connection exceeds max_pending_notifications: 3 > 2"
    assert ws.closed and not ws.outbox


def test_close_callbacks_run_once() -> None:
    session = make_registry().new_session("w", streaming=True)
    calls: list[int] = []
    session.on_close(lambda: calls.append(1))
    session.close()
    session.close()
    assert calls == [1]


def test_registration_rules() -> None:
    registry = make_registry()
    for name in ("login", "database", "history", "get_api_by_name", "bad name"):
        with pytest.raises(ApiRegistrationError):
            registry.register(name, DummyBroadcast())

    class NoList:
        pass

    class ListsMissing:
        methods: ClassVar[frozenset[str]] = frozenset({"ghost"})

    class NeedsKeyword:
        methods: ClassVar[frozenset[str]] = frozenset({"m"})

        def m(self, *, token: str) -> None:
            return None

    for api in (NoList(), ListsMissing(), NeedsKeyword()):
        with pytest.raises(ApiRegistrationError):
            registry.register("extra", api)


def test_method_spec_arity_text() -> None:
    def f(a: int, b: str = "", *rest: int) -> None:
        return None

    spec = MethodSpec.of("f", f)
    assert spec.arity() == "at least 1 argument" and spec.arg_types[1] == (str,)
