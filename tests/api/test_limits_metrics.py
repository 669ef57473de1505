"""API limits refused with errors naming the limit and its value, and ``/metrics`` over a real
server: the series exist and move with blocks, transactions, calls and connections."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from graphex.api import subscriptions
from graphex.api.app import build_app
from graphex.api.market_feed import MAX_MARKET_SUBSCRIPTIONS
from graphex.api.server import ApiLimits, RunningServer, start_server
from graphex.node.node import Node
from tests.api.test_database_api import open_node, produce
from tests.api.test_market_api import TIMEOUT_S, WsClient, ws_client
from tests.api.test_notifications import ok, transfer


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    node = open_node(tmp_path / "node")
    produce(node, 2)
    yield node
    node.close()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@asynccontextmanager
async def serving_node(node: Node, limits: ApiLimits | None = None
                       ) -> AsyncIterator[RunningServer]:
    server = await start_server(build_app(node, limits=limits), "127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop()


async def scrape(server: RunningServer) -> Samples:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with (aiohttp.ClientSession(timeout=timeout) as client,
                client.get(server.url + "/metrics") as response):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def post_raw(server: RunningServer, body: bytes) -> tuple[int, dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with (aiohttp.ClientSession(timeout=timeout) as client,
                client.post(server.url, data=body) as response):
        return response.status, json.loads(await response.text())


def call_body(method: str, *args: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "call",
                       "params": [0, method, list(args)]}).encode()


async def refusal(client: WsClient, method: str, *args: Any) -> str:
    reply = await client.call(method, *args)
    assert "error" in reply, reply
    message: str = reply["error"]["message"]
    return message


# -- limits ---------------------------------------------------------------------------------------
def test_default_limits() -> None:
    limits = ApiLimits()
    assert limits.max_ws_connections_per_address == 200
    assert limits.max_request_bytes == 1 << 20
    assert subscriptions.MAX_OBJECT_SUBSCRIPTIONS == 1000
    assert subscriptions.MAX_ACCOUNT_SUBSCRIPTIONS == 100
    assert MAX_MARKET_SUBSCRIPTIONS == 100


def test_subscription_limits_per_connection(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subscriptions, "MAX_OBJECT_SUBSCRIPTIONS", 3)
    monkeypatch.setattr(subscriptions, "MAX_ACCOUNT_SUBSCRIPTIONS", 1)

    async def scenario() -> None:
        async with serving_node(node) as server, ws_client(server) as client:
            await ok(client, "set_subscribe_callback", 1, False)
            await ok(client, "get_objects", ["2.1.0", "1.3.0"], True)
            message = await refusal(client, "get_objects", ["2.0.0", "1.2.0"], True)
            assert "get_objects: 4 subscribed objects requested, more than " \
                   "MAX_OBJECT_SUBSCRIPTIONS = 3" in message
            # implied (auto) subscription past the limit: the read is served, nothing added
            assert len(await ok(client, "get_objects", ["2.0.0", "1.2.0"])) == 2
            message = await refusal(client, "get_full_accounts", ["alice", "bob"], True)
            assert "more than api_limit_get_full_accounts_subscribe = 1" in message
            # re-subscribing what is held already is no new subscription
            await ok(client, "get_objects", ["2.1.0"], True)
            await ok(client, "get_full_accounts", ["alice"], True)
            samples = await scrape(server)
            subs = {dict(labels)["kind"]: value for (name, labels), value in samples.items()
                    if name == "graphex_api_subscriptions"}
            assert subs == {"objects": 2, "accounts": 1, "markets": 0, "blocks": 0,
                            "pending_transactions": 0}

    asyncio.run(scenario())


def test_results_per_call_connections_and_request_size(node: Node) -> None:
    limits = ApiLimits(max_ws_connections_per_address=2, max_request_bytes=4096)

    async def scenario() -> None:
        async with serving_node(node, limits) as server:
            # results per call: core's api_limit_* defaults
            status, reply = await post_raw(server, call_body("get_full_accounts",
                                                             ["alice"] * 51, False))
            assert "more than api_limit_get_full_accounts = 50" in reply["error"]["message"]
            status, reply = await post_raw(server, call_body("get_limit_orders",
                                                             "GPX", "1.3.1", 301))
            assert "more than api_limit_get_limit_orders = 300" in reply["error"]["message"]
            status, reply = await post_raw(server, call_body("lookup_accounts", "", 1001))
            assert "more than api_limit_lookup_accounts = 1000" in reply["error"]["message"]
            # request size
            status, reply = await post_raw(server, call_body("get_objects", ["1.2.0"] * 1000))
            assert status == 413
            assert "request exceeds max_request_bytes" in reply["error"]["message"]
            assert "> 4096" in reply["error"]["message"]
            # connections per client address
            async with ws_client(server), ws_client(server):
                timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
                async with aiohttp.ClientSession(timeout=timeout) as client:
                    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                        await client.ws_connect(server.ws_url)
                    assert refused.value.status == 503
                    async with client.get(server.ws_url.replace("ws", "http", 1), headers={
                            "Upgrade": "websocket", "Connection": "Upgrade",
                            "Sec-WebSocket-Version": "13",
                            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as response:
                        text = await response.text()
                assert "max_ws_connections_per_address: 3 > 2 (127.0.0.1)" in text

    asyncio.run(scenario())


# -- metrics --------------------------------------------------------------------------------------
def test_metrics_series_move(node: Node) -> None:
    async def scenario() -> None:
        async with serving_node(node) as server:
            first = await scrape(server)
            assert first[("graphex_head_block_number", ())] == node.state.head_num
            assert first[("graphex_pending_transactions", ())] == 0
            assert first[("graphex_transactions_applied_total", ())] == 0
            assert first[("graphex_api_open_connections", ())] == 0

            async with ws_client(server) as client:
                await ok(client, "get_chain_id")
                await ok(client, "get_chain_id")
                await client.call("get_objects", ["not an id"])
                await ok(client, "set_block_applied_callback", 1)
                transfer(node, "alice", "bob", 1_000)
                transfer(node, "bob", "alice", 1_000)
                pending = await scrape(server)
                assert pending[("graphex_pending_transactions", ())] == 2
                assert pending[("graphex_api_open_connections", ())] == 1
                assert pending[("graphex_api_subscriptions", (("kind", "blocks"),))] == 1
                produce(node)
                await client.notice()
                after = await scrape(server)

            calls = (("api", "database"), ("method", "get_chain_id"), ("outcome", "ok"))
            assert after[("graphex_api_calls_total", calls)] == 2
            bad = (("api", "database"), ("method", "get_objects"), ("outcome", "error"))
            assert after[("graphex_api_calls_total", bad)] == 1
            latency = (("api", "database"), ("method", "get_chain_id"))
            assert after[("graphex_api_call_seconds_count", latency)] == 2
            assert after[("graphex_api_call_seconds_bucket", tuple(sorted((*latency, ("le", "+Inf")))))] == 2
            assert after[("graphex_api_call_seconds_sum", latency)] > 0
            assert after[("graphex_head_block_number", ())] == first[
                ("graphex_head_block_number", ())] + 1
            assert after[("graphex_transactions_applied_total", ())] == 2
            assert after[("graphex_pending_transactions", ())] == 0

            # HTTP calls count too; the connection gauge falls back once the socket closes
            await post_raw(server, call_body("get_chain_id"))
            final = await scrape(server)
            assert final[("graphex_api_calls_total", calls)] == 3
            for _ in range(100):
                if final[("graphex_api_open_connections", ())] == 0:
                    break
                await asyncio.sleep(0.02)
                final = await scrape(server)
            assert final[("graphex_api_open_connections", ())] == 0

    asyncio.run(scenario())


def test_each_app_has_its_own_metrics(node: Node) -> None:
    async def scenario() -> None:
        async with serving_node(node) as one, serving_node(node) as two:
            await post_raw(one, call_body("get_chain_id"))
            calls = ("graphex_api_calls_total",
                     (("api", "database"), ("method", "get_chain_id"), ("outcome", "ok")))
            assert (await scrape(one))[calls] == 1
            assert calls not in await scrape(two)

    asyncio.run(scenario())
