"""Object, block, pending-transaction and market notices over a real WebSocket to a real Node
(blocks produced by hand, so "within one block" means: after exactly one block is produced)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphex.api.app import build_registry
from graphex.api.database_api import DatabaseApi
from graphex.api.queries import object_json
from graphex.api.rpc import ApiRegistry
from graphex.chain.objects import AccountBalance
from graphex.node.node import Node
from graphex.protocol.struct import codec_of
from graphex.protocol.transaction import SignedTransaction
from graphex.protocol.types import Asset
from tests.api.test_database_api import open_node, paid_transfer, produce, signed
from tests.api.test_market_api import (
    GPX,
    Book,
    WsClient,
    account,
    build_book,
    cancel,
    create_usd,
    feed_of,
    over_http,
    place,
    serving,
    ws_client,
)

OBJECTS_CB, BLOCKS_CB, PENDING_CB, MARKET_CB = 11, 12, 13, 14


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    node = open_node(tmp_path / "node")
    produce(node, 2)
    yield node
    node.close()


@pytest.fixture
def book(node: Node) -> Book:
    return build_book(node)


def transfer(node: Node, sender: str, to: str, amount: int) -> SignedTransaction:
    tx = signed(node, [paid_transfer(node, sender, to, amount)], sender)
    node.push_transaction(tx)
    return tx


def balance_json(node: Node, owner: str, asset: Any = GPX) -> Any:
    found = node.state.db.index(AccountBalance, "owner_asset").get((account(node, owner), asset))
    return object_json(found)


def counts(registry: ApiRegistry) -> dict[str, int]:
    database = registry.get("database").obj
    assert isinstance(database, DatabaseApi)
    return database.subscription_counts()


async def ok(client: WsClient, method: str, *args: Any) -> Any:
    reply = await client.call(method, *args)
    assert "error" not in reply, reply
    return reply["result"]


async def wait_until(predicate: Any, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_subscribed_account_sees_its_balance_change_within_one_block(node: Node) -> None:
    registry = build_registry(node)

    async def scenario() -> None:
        async with serving(registry) as server, ws_client(server) as client:
            assert await ok(client, "set_subscribe_callback", OBJECTS_CB, False) is None
            [[name, full]] = await ok(client, "get_full_accounts", ["bob"], True)
            assert name == "bob" and full["account"]["name"] == "bob"
            await client.quiet()

            # alice pays bob: after one block, bob's GPX balance object, with the new amount
            before = node.state.balance(account(node, "bob"), GPX)
            transfer(node, "alice", "bob", 123_456)
            await client.quiet()  # nothing for a pending transaction
            produce(node)
            callback, [changed] = await client.notice()
            assert callback == OBJECTS_CB
            bob_gpx = balance_json(node, "bob")
            assert bob_gpx in changed and int(bob_gpx["balance"]) == before + 123_456
            assert all(o.get("owner", str(account(node, "bob"))) == str(account(node, "bob"))
                       for o in changed), changed  # alice's objects are not bob's business
            await client.quiet()

            # bob pays: his balance and his statistics change; alice's are not sent
            transfer(node, "bob", "alice", 1_000)
            produce(node)
            _, [changed] = await client.notice()
            kinds = sorted(o["id"].rsplit(".", 1)[0] for o in changed)
            assert kinds == ["2.5", "2.6"], changed
            await client.quiet()

            # an asset bob never held: a new balance object (a "new objects" notice)
            usd = create_usd(node)  # two blocks: the asset, then its issue to bob
            notices = [await client.notice()]
            await client.quiet()
            new_balance = balance_json(node, "bob", usd)
            assert notices == [[OBJECTS_CB, [[new_balance]]]]

    asyncio.run(scenario())


def test_subscribed_objects_orders_and_removed_ids(book: Book) -> None:
    node, usd = book.node, book.usd
    registry = build_registry(node)

    async def scenario() -> None:
        async with serving(registry) as server, ws_client(server) as client:
            await ok(client, "set_subscribe_callback", OBJECTS_CB, False)
            # get_objects subscribes what it returns (2.1.0 changes every block) ...
            [dgp] = await ok(client, "get_objects", ["2.1.0"], True)
            produce(node)
            _, [changed] = await client.notice()
            assert [o["id"] for o in changed] == ["2.1.0"]
            assert changed[0]["head_block_number"] == dgp["head_block_number"] + 1
            # ... and set_subscribe_callback again forgets it
            await ok(client, "set_subscribe_callback", OBJECTS_CB, False)
            produce(node)
            await client.quiet()

            # an explicit subscribe=false does not subscribe; an omitted one does (auto)
            await ok(client, "get_accounts", ["alice"], False)
            transfer(node, "alice", "bob", 10)
            produce(node)
            await client.quiet()
            await ok(client, "get_objects", [str(book.asks[0])])
            place(node, "bob", Asset(10_000, usd), Asset(30_000, GPX))  # fills part of it
            produce(node)
            _, [changed] = await client.notice()
            assert [o["id"] for o in changed] == [str(book.asks[0])]
            assert changed == [object_json(node.state.db.get(book.asks[0]))]
            await client.quiet()

            # alice as a full account: her new order (new), then its cancellation (removed id)
            await ok(client, "get_full_accounts", ["alice"], True)
            order = place(node, "alice", Asset(100_000, GPX), Asset(90_000, usd))
            produce(node)
            _, [new] = await client.notice()
            assert object_json(node.state.db.get(order)) in new
            _, [changed] = await client.notice()  # the order's fee: her balance and statistics
            assert {o["id"].rsplit(".", 1)[0] for o in changed} == {"2.5", "2.6"}
            cancel(node, "alice", order)
            produce(node)
            _, [changed] = await client.notice()  # the refund and the cancel fee
            assert await client.notice() == [OBJECTS_CB, [[str(order)]]]
            await client.quiet()

    asyncio.run(scenario())


def test_block_applied_and_pending_transaction_callbacks(node: Node) -> None:
    registry = build_registry(node)

    async def scenario() -> None:
        async with serving(registry) as server, ws_client(server) as client:
            assert await ok(client, "set_block_applied_callback", BLOCKS_CB) is None
            assert await ok(client, "set_pending_transaction_callback", PENDING_CB) is None
            produce(node)
            assert await client.notice() == [BLOCKS_CB, [node.state.head_id.hex()]]

            tx = transfer(node, "alice", "bob", 5_000)
            callback, [trx] = await client.notice()
            assert callback == PENDING_CB
            assert trx == codec_of(SignedTransaction).to_json(tx)
            assert trx["signatures"] == [tx.signatures[0].hex()]
            # setting the pool aside and back (for the state hash) announces nothing again
            await ok(client, "get_state_hash")
            await client.quiet()
            produce(node)
            assert await client.notice() == [BLOCKS_CB, [node.state.head_id.hex()]]
            await client.quiet()

    asyncio.run(scenario())


def test_market_notice_within_one_block_of_a_fill(book: Book) -> None:
    node, usd = book.node, book.usd
    registry = build_registry(node)

    async def scenario() -> None:
        async with serving(registry) as server, ws_client(server) as client:
            await ok(client, "subscribe_to_market", MARKET_CB, "GPX", "USDX")
            head = node.state.head_num
            place(node, "bob", Asset(50_000, usd), Asset(200_000, GPX))  # crosses the best ask
            await client.quiet()
            produce(node)
            callback, [fills] = await client.notice()
            assert node.state.head_num == head + 1
            assert callback == MARKET_CB and [f[0][0] for f in fills] == [4, 4]

    asyncio.run(scenario())


def test_cancel_all_subscriptions_and_cleanup_on_close(book: Book) -> None:
    node, usd = book.node, book.usd
    registry = build_registry(node)

    async def subscribe_everything(client: WsClient) -> None:
        await ok(client, "set_subscribe_callback", OBJECTS_CB, False)
        await ok(client, "get_full_accounts", ["alice", "bob"], True)
        await ok(client, "get_objects", ["2.1.0"], True)
        await ok(client, "set_block_applied_callback", BLOCKS_CB)
        await ok(client, "set_pending_transaction_callback", PENDING_CB)
        await ok(client, "subscribe_to_market", MARKET_CB, "GPX", "USDX")

    async def scenario() -> None:
        async with serving(registry) as server:
            async with ws_client(server) as client:
                await subscribe_everything(client)
                assert counts(registry) == {"objects": 1, "accounts": 2, "blocks": 1,
                                            "pending_transactions": 1, "markets": 1}
                assert await ok(client, "cancel_all_subscriptions") is None
                assert set(counts(registry).values()) == {0}
                place(node, "bob", Asset(50_000, usd), Asset(200_000, GPX))
                transfer(node, "alice", "bob", 1)
                produce(node)
                await ok(client, "get_chain_id")
                await client.quiet()
                # the connection may subscribe again after cancelling
                await subscribe_everything(client)
                transfer(node, "alice", "bob", 1)
                assert (await client.notice())[0] == PENDING_CB
            # closed: every kind is dropped
            await wait_until(lambda: set(counts(registry).values()) == {0})
            assert feed_of(registry).watched_orders() == 0
            produce(node)

    asyncio.run(scenario())


def test_subscriptions_need_a_websocket_and_subscribe_to_all_is_off(node: Node) -> None:
    [http] = over_http(node, [("set_subscribe_callback", 1, False)])
    assert "needs a WebSocket connection" in http["error"]["message"]
    registry = build_registry(node)

    async def scenario() -> None:
        async with serving(registry) as server, ws_client(server) as client:
            reply = await client.call("set_subscribe_callback", 1, True)
            assert "universal object creation and removal is disallowed" in \
                reply["error"]["message"]
            negative = await client.call("set_block_applied_callback", -1)
            assert "callback must be >= 0" in negative["error"]["message"]

    asyncio.run(scenario())


def test_head_block_changes_is_the_blocks_undo_state(node: Node) -> None:
    seen: list[dict[Any, Any] | None] = []

    def listener(block: Any, block_id: bytes) -> None:
        changes = node.state.db.head_block_changes()
        seen.append(None if changes is None else dict(changes))

    node.block_listeners.append(listener)
    bob = account(node, "bob")
    balance = node.state.db.index(AccountBalance, "owner_asset").get((bob, GPX))
    assert balance is not None
    prior = balance.balance
    transfer(node, "alice", "bob", 77)
    assert node.state.db.head_block_changes() is None  # the pending session is open on top
    produce(node)
    [changes] = seen
    assert changes is not None and changes[balance.id].balance == prior  # the value before
    assert node.state.db.get(balance.id).balance == prior + 77  # type: ignore[attr-defined]
