"""graphex.client against a real in-process devnet node and API server on loopback: reads over
HTTP and WebSocket, a transfer with a memo, a limit order filled and one cancelled, a smartcoin
created through the client, fed by witness init0 and borrowed, a settlement, a proposal
approved, and the node's refusals and bad amounts as typed errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphex.chain.genesis import devnet_key
from graphex.client import AmountError, AsyncClient, ClientError, KeyMissing, NodeError
from graphex.protocol.bitasset import BitassetOptions
from graphex.protocol.ids import ObjectId
from graphex.protocol.memo import decrypt_memo
from graphex.protocol.operations import AssetCreate, Transfer
from graphex.protocol.struct import from_json
from graphex.protocol.types import Asset, AssetOptions, Memo, Price
from tests.served import Served, serve

GPX = ObjectId(1, 3, 0)
NEW_ASSET = ObjectId(1, 3, 1)
WITNESS_FED, MPA_PERMISSIONS = 0x80, 0x1FF


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path, auto_produce=True)


def test_reads(served: Served) -> None:
    with served.client() as client:
        props = client.chain_properties()
        assert props["id"] == "2.11.0"
        assert client.chain_id().hex() == props["chain_id"]
        assert client.dynamic_globals()["id"] == "2.1.0"
        alice = client.account("alice")
        assert client.accounts_by_name("alice", "nobody") == [alice, None]
        assert client.balances_text("alice") == {"GPX": "1000000", "BTC": "10"}
        assert client.balances("alice", "BTC") == [{"amount": 10**9, "asset_id": "1.3.1"}]
        assert client.objects("1.3.1")[0]["symbol"] == "BTC"
        btc = client.asset("btc")
        assert (btc.symbol, btc.precision, str(btc.id)) == ("BTC", 8, "1.3.1")
        assert client.amount("0.00000001 BTC") == Asset(1, btc.id)
        assert client.amount_text({"amount": 1250000, "asset_id": "1.3.0"}) == "12.5 GPX"
        assert client.order_book("GPX", "BTC", 10)["bids"] == []
        assert client.ticker("GPX", "BTC")["latest"] == "0"
        assert client.limit_orders("GPX", "BTC") == []
        assert client.call("database", "get_account_count") >= 4
        with pytest.raises(ClientError, match="account 'nobody' does not exist"):
            client.account("nobody")

def test_reads_over_websocket_with_the_async_client(served: Served) -> None:
    async def read() -> tuple[str, dict[str, str]]:
        async with AsyncClient(served.ws_url) as client:
            return (await client.chain_properties())["id"], await client.balances_text("bob")

    assert asyncio.run(read()) == ("2.11.0", {"GPX": "1000000", "BTC": "10"})


def test_transfer_with_memo(served: Served) -> None:
    with served.client("alice") as client:
        receipt = client.transfer("alice", "bob", "12.5 GPX", memo="for lunch")
        assert receipt.block_num is not None and receipt.operation_results == [[0, {}]]
        assert client.balances_text("bob")["GPX"] == "1000012.5"
        op = from_json(Transfer, receipt.trx["operations"][0][1])
        assert op.fee.amount > 0 and op.amount == Asset(1_250_000, GPX)
        assert isinstance(op.memo, Memo)
        assert decrypt_memo(devnet_key("bob"), op.memo) == "for lunch"
        fee = op.fee.amount
        assert int(client.balances("alice", "GPX")[0]["amount"]) == 10**11 - 1_250_000 - fee


def test_limit_orders_fill_at_the_makers_price_and_cancel(served: Served) -> None:
    with served.client("alice", "bob") as client:
        bid = client.buy("alice", "0.3 BTC", "33333.33333 GPX")
        order_id = bid.new_object_id
        assert order_id is not None and order_id.startswith("1.7.")
        placed = client.objects(order_id)[0]
        assert placed["for_sale"] == 999_999_999  # 0.3 × 33333.33333 GPX, rounded down
        assert client.order_book("GPX", "BTC")["bids"][0]["id"] == order_id
        client.sell("bob", "0.1 BTC", "30000 GPX")
        assert client.balances_text("bob")["BTC"] == "9.9"
        assert client.objects(order_id)[0]["for_sale"] == 666_666_666
        assert client.ticker("GPX", "BTC")["latest"] != "0"
        client.cancel("alice", order_id)
        assert client.objects(order_id) == [None]
        assert client.account_limit_orders("alice") == []


def test_smartcoin_borrow_feed_and_settle(served: Served) -> None:
    with served.client("alice", "init0") as client:
        options = AssetOptions(10**15, 0, 0, MPA_PERMISSIONS, WITNESS_FED,
                               Price(Asset(1, NEW_ASSET), Asset(1, GPX)), (), (), (), (), "")
        alice = client.account_id("alice")
        client.broadcast(AssetCreate(Asset(0, GPX), alice, "USDT", 4, options,
                                     BitassetOptions(short_backing_asset=GPX)))
        assert client.asset("USDT").bitasset_data_id is not None
        client.transfer("alice", "init0", "100 GPX")
        client.publish_feed("init0", "USDT", "0.05 USDT/GPX", mcr="1.75", mssr="1.1")
        feed = client.feeds("USDT")["current_feed"]
        assert feed["settlement_price"]["base"] == {"amount": 1, "asset_id": "1.3.2"}
        assert feed["settlement_price"]["quote"] == {"amount": 200, "asset_id": "1.3.0"}
        assert feed["maintenance_collateral_ratio"] == 1750

        client.borrow("alice", "100 USDT", ratio="2.5")  # 100 USDT = 2000 GPX; × 2.5
        (position,) = client.account_call_orders("alice")
        assert (position["debt"], position["collateral"]) == (1_000_000, 500_000_000)
        client.borrow("alice", "0 USDT", ratio="3")
        (position,) = client.account_call_orders("alice")
        assert position["collateral"] == 600_000_000
        assert client.call_orders("USDT")[0]["id"] == position["id"]
        assert client.balances_text("alice")["USDT"] == "100"

        receipt = client.settle("alice", "10 USDT")
        assert receipt.block_num is not None
        assert client.balances_text("alice")["USDT"] == "90"


def test_proposal_create_and_approve(served: Served) -> None:
    with served.client("alice", "bob") as client:
        bob = client.account_id("bob")
        alice = client.account_id("alice")
        pay = Transfer(Asset(0, GPX), alice, bob, Asset(100_000, GPX))
        proposal_id = client.propose("bob", [pay]).new_object_id
        assert proposal_id is not None and proposal_id.startswith("1.10.")
        before = client.balances_text("bob")["GPX"]
        client.approve("alice", proposal_id)
        served.produce()
        assert client.balances_text("bob")["GPX"] != before


def test_register_an_account(served: Served) -> None:
    key = devnet_key("newcomer-secret")
    with served.client("alice") as client:
        receipt = client.register("alice", "newcomer", key.public_key.to_text())
        assert receipt.new_object_id == client.account("newcomer")["id"]
        client.transfer("alice", "newcomer", "100 GPX")
        client.add_key(key)
        fee = client.transfer("newcomer", "alice", "1 GPX").trx["operations"][0][1]["fee"]
        left = 100 * 10**5 - 10**5 - fee["amount"]
        assert client.balances("newcomer") == [{"amount": left, "asset_id": "1.3.0"}]


def test_refusals_are_typed(served: Served) -> None:
    with served.client("alice") as client:
        with pytest.raises(NodeError) as refused:
            client.transfer("alice", "bob", "2000000 GPX")
        assert refused.value.method == "broadcast_transaction_synchronous"
        assert "Execution error" in refused.value.node_message
        with pytest.raises(AmountError, match="more decimals than the asset's precision"):
            client.transfer("alice", "bob", "1.000001 GPX")
        with pytest.raises(AmountError, match="not '<number> <SYMBOL>'"):
            client.transfer("alice", "bob", "12")
        with pytest.raises(KeyMissing, match="'bob'"):
            client.transfer("bob", "alice", "1 GPX")
        with pytest.raises(ClientError, match="asset NOPE does not exist"):
            client.transfer("alice", "bob", "1 NOPE")
    with served.client() as client:  # nobody listening there
        client.aio.rpc.url = "http://127.0.0.1:9"
        with pytest.raises(NodeError, match="cannot reach the node"):
            client.dynamic_globals()
