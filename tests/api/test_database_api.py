"""The database and network_broadcast APIs over a real Node (tmp data dir), through JSON-RPC
dispatch (no sockets): method names, argument checks, BitShares result shapes and errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from graphex.api.app import build_registry
from graphex.api.broadcast_api import NetworkBroadcastApi, _Waiter
from graphex.api.errors import INVALID_PARAMS
from graphex.api.queries import MAX_FULL_ACCOUNTS
from graphex.api.required_fees import multiply_and_round_up
from graphex.api.rpc import ApiRegistry, Session, handle_request
from graphex.chain.genesis import devnet_genesis, devnet_key
from graphex.chain.objects import Account, Witness
from graphex.node.node import Node, NodeConfig
from graphex.protocol.fees import fee_for
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import AssetCreate, ProposalCreate, Transfer
from graphex.protocol.operations.proposal import OpWrapper
from graphex.protocol.struct import codec_of, to_json
from graphex.protocol.transaction import (
    SignedTransaction,
    Transaction,
    ref_block_fields,
    sign,
    transaction_id,
)
from graphex.protocol.types import Asset, AssetOptions, Price

GPX = ObjectId(1, 3, 0)
PLACEHOLDER = ObjectId(1, 3, 1)
EXECUTION_ERROR = 1


# -- fixtures and helpers --------------------------------------------------------------------------
def open_node(data_dir: Path) -> Node:
    node = Node(NodeConfig(data_dir=data_dir, synchronous="OFF"), devnet_genesis())
    node.open()
    for witness in node.state.db.table(Witness):
        name = node.state.account(witness.witness_account).name
        node.config.witness_keys[witness.id] = devnet_key(name)
    return node


def produce(node: Node, count: int = 1) -> None:
    for _ in range(count):
        node.produce_block(node.next_slot()[0])


@pytest.fixture
def node(tmp_path: Path) -> Node:
    node = open_node(tmp_path / "node")
    produce(node, 3)
    yield node
    node.close()


@pytest.fixture
def registry(node: Node) -> ApiRegistry:
    return build_registry(node)


def account_id(node: Node, name: str) -> ObjectId:
    account = node.state.account_by_name(name)
    assert account is not None
    return account.id


def reply(registry: ApiRegistry, method: str, *args: Any, api: str | int = 0,
          session: Session | None = None) -> dict[str, Any]:
    async def run() -> dict[str, Any] | None:
        own = session or registry.new_session("test")
        request = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": [api, method, list(args)]}
        return await handle_request(registry, own, request)

    answer = asyncio.run(run())
    assert answer is not None
    json.dumps(answer)  # every reply is plain JSON
    return answer


def call(registry: ApiRegistry, method: str, *args: Any, api: str | int = 0) -> Any:
    answer = reply(registry, method, *args, api=api)
    assert "error" not in answer, answer
    return answer["result"]


def error(registry: ApiRegistry, method: str, *args: Any, api: str | int = 0) -> dict[str, Any]:
    answer = reply(registry, method, *args, api=api)
    assert "error" in answer, answer
    return answer["error"]  # type: ignore[no-any-return]


def transfer_op(node: Node, sender: str, to: str, amount: int, fee: int = 0) -> Transfer:
    return Transfer(Asset(fee, GPX), account_id(node, sender), account_id(node, to),
                    Asset(amount, GPX))


def signed(node: Node, ops: list[Any], signer: str, expiration_s: int = 60) -> SignedTransaction:
    num, prefix = ref_block_fields(node.state.head_id)
    tx = Transaction(num, prefix, node.state.head_time + expiration_s, tuple(ops))
    return sign(tx, [devnet_key(signer)], node.state.chain_id)


def paid_transfer(node: Node, sender: str, to: str, amount: int) -> Transfer:
    op = transfer_op(node, sender, to, amount)
    fee = fee_for(node.state.params.current_fees, op)
    return transfer_op(node, sender, to, amount, fee)


# -- globals ---------------------------------------------------------------------------------------
def test_chain_properties_and_config(node: Node, registry: ApiRegistry) -> None:
    props = call(registry, "get_chain_properties")
    assert props["id"] == "2.11.0"
    assert props["chain_id"] == node.state.chain_id.hex() == call(registry, "get_chain_id")
    assert set(props["immutable_parameters"]) >= {"min_witness_count", "num_special_accounts"}
    config = call(registry, "get_config")
    assert config["GRAPHENE_SYMBOL"] == config["GRAPHENE_ADDRESS_PREFIX"] == "GPX"
    assert config["GRAPHENE_BLOCKCHAIN_PRECISION"] == 100_000
    assert config["GRAPHENE_MAX_SHARE_SUPPLY"] == "1000000000000000"


def test_dynamic_and_global_properties(node: Node, registry: ApiRegistry) -> None:
    dgp = call(registry, "get_dynamic_global_properties")
    assert dgp["id"] == "2.1.0"
    assert dgp["head_block_number"] == 3
    assert dgp["head_block_id"] == node.store.block_id(3).hex()
    assert {"time", "current_witness", "last_irreversible_block_num"} <= set(dgp)
    gpo = call(registry, "get_global_properties")
    assert gpo["id"] == "2.0.0"
    assert gpo["parameters"]["block_interval"] == 1
    fees = {op_id: params for op_id, params in gpo["parameters"]["current_fees"]["parameters"]}
    assert "fee" in fees[0]
    assert len(gpo["active_witnesses"]) == 11
    assert call(registry, "get_state_hash") == node.head_state_hash().hex()


# -- objects and blocks ----------------------------------------------------------------------------
def test_get_objects(node: Node, registry: ApiRegistry) -> None:
    alice = str(account_id(node, "alice"))
    found = call(registry, "get_objects", [alice, "2.1.0", "1.3.0", "1.2.99999", "1.7.0"])
    assert found[0]["name"] == "alice" and found[0]["id"] == alice
    assert found[1]["id"] == "2.1.0" and found[2]["symbol"] == "GPX"
    assert found[3] is None and found[4] is None
    bad = error(registry, "get_objects", ["1.2.x"])
    assert bad["code"] == INVALID_PARAMS and "'1.2.x'" in bad["message"]
    assert error(registry, "get_objects", "1.2.0")["code"] == INVALID_PARAMS


def test_get_block_and_header(node: Node, registry: ApiRegistry) -> None:
    block = call(registry, "get_block", 2)
    assert block["previous"] == node.store.block_id(1).hex()
    assert block["transactions"] == [] and len(block["witness_signature"]) == 130
    header = call(registry, "get_block_header", 2)
    assert set(header) == {"previous", "timestamp", "witness", "transaction_merkle_root",
                           "extensions"}
    assert header["previous"] == block["previous"] and header["timestamp"] == block["timestamp"]
    signed_header = call(registry, "get_block_header", 2, True)
    assert signed_header["witness_signature"] == block["witness_signature"]
    for missing in (0, 4, 10**12, -1):
        assert call(registry, "get_block", missing) is None
        assert call(registry, "get_block_header", missing) is None


# -- accounts --------------------------------------------------------------------------------------
def test_account_lookups(node: Node, registry: ApiRegistry) -> None:
    alice = call(registry, "get_account_by_name", "alice")
    assert alice["name"] == "alice" and alice["options"]["memo_key"].startswith("GPX")
    assert call(registry, "get_account_by_name", "nobody") is None
    names = call(registry, "lookup_account_names", ["bob", "nobody"])
    assert names[0]["name"] == "bob" and names[1] is None
    by_id = call(registry, "get_accounts", [alice["id"], "carol", "1.2.99999"])
    assert [a and a["name"] for a in by_id] == ["alice", "carol", None]
    assert call(registry, "get_account_count") == node.state.db.count(Account)
    listed = call(registry, "lookup_accounts", "b", 2)
    assert listed == [[n, str(account_id(node, n))] for n in ("bob", "carol")]
    assert call(registry, "lookup_accounts", "zzz", 10) == []
    too_many = error(registry, "lookup_accounts", "a", 1001)
    assert too_many["code"] == EXECUTION_ERROR
    assert "api_limit_lookup_accounts = 1000" in too_many["message"]


def test_get_full_accounts(node: Node, registry: ApiRegistry) -> None:
    result = call(registry, "get_full_accounts", ["bob", "alice", "nobody", "alice"], False)
    assert [key for key, _ in result] == ["alice", "bob"]
    full = result[0][1]
    assert list(full) == [
        "account", "statistics", "registrar_name", "referrer_name", "lifetime_referrer_name",
        "votes", "balances", "vesting_balances", "limit_orders", "call_orders", "settle_orders",
        "proposals", "assets", "withdraws_from", "withdraws_to", "htlcs_from", "htlcs_to",
        "more_data_available",
    ]
    assert full["account"]["name"] == "alice"
    assert full["statistics"]["owner"] == full["account"]["id"]
    assert full["registrar_name"] == full["lifetime_referrer_name"] == "alice"
    assert full["balances"][0]["asset_type"] == "1.3.0"
    assert int(full["balances"][0]["balance"]) == node.state.balance(account_id(node, "alice"), GPX)
    assert not any(full["more_data_available"].values())
    by_id = call(registry, "get_full_accounts", [full["account"]["id"]], None)
    assert by_id[0][1]["account"]["name"] == "alice"
    limit = error(registry, "get_full_accounts", ["alice"] * (MAX_FULL_ACCOUNTS + 1), False)
    assert limit["code"] == EXECUTION_ERROR
    assert limit["message"].startswith("Execution error: get_full_accounts: 51 accounts")
    assert "api_limit_get_full_accounts = 50" in limit["message"]


def test_key_references(node: Node, registry: ApiRegistry) -> None:
    alice_key = devnet_key("alice").public_key.to_text("GPX")
    unused = devnet_key("nobody").public_key.to_text("GPX")
    refs = call(registry, "get_key_references", [alice_key, unused, alice_key])
    assert refs == [[str(account_id(node, "alice"))], [], [str(account_id(node, "alice"))]]
    assert error(registry, "get_key_references", ["BTS1234"])["code"] == INVALID_PARAMS


# -- balances and assets ---------------------------------------------------------------------------
def test_account_balances(node: Node, registry: ApiRegistry) -> None:
    held = node.state.balance(account_id(node, "alice"), GPX)
    assert call(registry, "get_account_balances", "alice", []) == [
        {"amount": str(held), "asset_id": "1.3.0"},
        {"amount": 10 * 10**8, "asset_id": "1.3.1"},  # the devnet's 10 BTC
    ]
    asked = call(registry, "get_account_balances", str(account_id(node, "alice")),
                 ["1.3.5", "1.3.0", "1.3.0"])
    assert asked == [{"amount": str(held), "asset_id": "1.3.0"}, {"amount": 0, "asset_id": "1.3.5"}]
    named = call(registry, "get_named_account_balances", "alice", ["1.3.0"])
    assert named[0]["amount"] == str(held)
    missing = error(registry, "get_account_balances", "nobody", [])
    assert missing["code"] == EXECUTION_ERROR and "no such account: 'nobody'" in missing["message"]
    assert error(registry, "get_account_balances", "1.3.0", [])["code"] == INVALID_PARAMS
    assert error(registry, "get_account_balances", "alice", ["1.2.0"])["code"] == INVALID_PARAMS


def test_asset_lookups(registry: ApiRegistry) -> None:
    found = call(registry, "lookup_asset_symbols", ["GPX", "1.3.0", "NOPE", "1.3.77"])
    assert found[0] == found[1] and found[0]["symbol"] == "GPX" and found[0]["precision"] == 5
    assert found[2] is None and found[3] is None
    assert call(registry, "get_assets", ["GPX"], False)[0]["id"] == "1.3.0"


# -- witnesses -------------------------------------------------------------------------------------
def test_witness_and_committee_lookups(node: Node, registry: ApiRegistry) -> None:
    witness = call(registry, "get_witness_by_account", "init0")
    assert witness["witness_account"] == str(account_id(node, "init0"))
    assert call(registry, "get_witness_by_account", "alice") is None
    assert error(registry, "get_witness_by_account", "nobody")["code"] == EXECUTION_ERROR
    assert [w and w["id"] for w in call(registry, "get_witnesses", [witness["id"], "1.6.999"])] == [
        witness["id"], None
    ]
    assert error(registry, "get_witnesses", ["1.2.0"])["code"] == INVALID_PARAMS
    assert [n for n, _ in call(registry, "lookup_witness_accounts", "init1", 3)] == [
        "init1", "init10", "init2"
    ]
    member = call(registry, "get_committee_member_by_account", "init0")
    assert member["committee_member_account"] == witness["witness_account"]


# -- fees, authority, hex --------------------------------------------------------------------------
def test_required_fees_in_core(node: Node, registry: ApiRegistry) -> None:
    op = transfer_op(node, "alice", "bob", 1)
    expected = fee_for(node.state.params.current_fees, op)
    assert expected > 0
    op_json = codec_of(type(op)).to_json(op)
    assert call(registry, "get_required_fees", [[0, op_json]], "1.3.0") == [
        {"amount": expected, "asset_id": "1.3.0"}
    ]
    assert call(registry, "get_required_fees", [[0, op_json]], "GPX")[0]["amount"] == expected
    unknown = error(registry, "get_required_fees", [[0, op_json]], "NOPE")
    assert unknown["code"] == EXECUTION_ERROR and "no such asset" in unknown["message"]
    assert error(registry, "get_required_fees", [[0, {"fee": 1}]], "GPX")["code"] == INVALID_PARAMS
    assert error(registry, "get_required_fees", [[9999, {}]], "GPX")["code"] == INVALID_PARAMS


def test_required_fees_of_a_proposal(node: Node, registry: ApiRegistry) -> None:
    inner = transfer_op(node, "alice", "bob", 1)
    proposal = ProposalCreate(Asset(0, GPX), account_id(node, "alice"),
                              node.state.head_time + 3600, (OpWrapper(inner),))
    fees = call(registry, "get_required_fees", [[22, to_json(proposal)]], "1.3.0")
    inner_fee = fee_for(node.state.params.current_fees, inner)
    proposal_fee = fee_for(node.state.params.current_fees, proposal)
    assert fees == [[{"amount": proposal_fee, "asset_id": "1.3.0"},
                     [{"amount": inner_fee, "asset_id": "1.3.0"}]]]


def test_fee_conversion_rounds_up() -> None:
    rate = Price(Asset(3, PLACEHOLDER), Asset(7, GPX))  # 3 X buy 7 GPX
    assert multiply_and_round_up(Asset(10, GPX), rate) == Asset(5, PLACEHOLDER)  # ceil(30/7)
    assert multiply_and_round_up(Asset(14, GPX), rate) == Asset(6, PLACEHOLDER)  # exact
    assert multiply_and_round_up(Asset(5, PLACEHOLDER), rate) == Asset(12, GPX)  # ceil(35/3)


def test_required_fees_in_a_user_asset(node: Node, registry: ApiRegistry) -> None:
    core = node.state.asset(GPX).options
    options = AssetOptions(
        max_supply=10**12, market_fee_percent=0, max_market_fee=0, issuer_permissions=0,
        flags=0, core_exchange_rate=Price(Asset(3, PLACEHOLDER), Asset(7, GPX)),
        whitelist_authorities=(), blacklist_authorities=(), whitelist_markets=(),
        blacklist_markets=(), description="",
    )
    assert core.max_supply > 0
    create = AssetCreate(Asset(0, GPX), account_id(node, "alice"), "TESTX", 4, options)
    create = AssetCreate(Asset(fee_for(node.state.params.current_fees, create), GPX),
                         create.issuer, create.symbol, create.precision, options)
    node.push_transaction(signed(node, [create], "alice"))
    produce(node)
    testx = call(registry, "lookup_asset_symbols", ["TESTX"])[0]
    op = transfer_op(node, "alice", "bob", 1)
    core_fee = fee_for(node.state.params.current_fees, op)
    fees = call(registry, "get_required_fees", [[0, to_json(op)]], "TESTX")
    assert fees == [{"amount": -(-core_fee * 3 // 7), "asset_id": testx["id"]}]


def test_verify_authority_and_hex(node: Node, registry: ApiRegistry) -> None:
    tx = signed(node, [paid_transfer(node, "alice", "bob", 100)], "alice")
    tx_json = to_json(tx)
    assert call(registry, "verify_authority", tx_json) is True
    packed = codec_of(SignedTransaction).pack(tx)
    assert call(registry, "get_transaction_hex", tx_json) == packed.hex()
    wrong = to_json(signed(node, [paid_transfer(node, "alice", "bob", 100)], "bob"))
    refused = error(registry, "verify_authority", wrong)
    assert refused["code"] == EXECUTION_ERROR and refused["message"].startswith("Execution error: ")
    assert "1.2." in refused["message"]
    assert error(registry, "verify_authority", {"ref_block_num": 1})["code"] == INVALID_PARAMS


# -- network_broadcast -----------------------------------------------------------------------------
def test_broadcast_transaction_applies_to_pending(node: Node, registry: ApiRegistry) -> None:
    op = paid_transfer(node, "alice", "bob", 12_345)
    before = {n: node.state.balance(account_id(node, n), GPX) for n in ("alice", "bob")}
    tx_json = to_json(signed(node, [op], "alice"))
    assert call(registry, "broadcast_transaction", tx_json, api="network_broadcast") is None
    balances = call(registry, "get_account_balances", "bob", ["1.3.0"])
    assert int(balances[0]["amount"]) == before["bob"] + 12_345
    alice_now = node.state.balance(account_id(node, "alice"), GPX)
    assert alice_now == before["alice"] - 12_345 - op.fee.amount
    duplicate = error(registry, "broadcast_transaction", tx_json, api="network_broadcast")
    assert duplicate["code"] == EXECUTION_ERROR and "duplicate" in duplicate["message"]
    produce(node)
    assert node.state.balance(account_id(node, "bob"), GPX) == before["bob"] + 12_345


def test_broadcast_refusals(node: Node, registry: ApiRegistry) -> None:
    too_much = paid_transfer(node, "alice", "bob", 10**14)
    refused = error(registry, "broadcast_transaction", to_json(signed(node, [too_much], "alice")),
                    api="network_broadcast")
    assert refused["code"] == EXECUTION_ERROR
    assert refused["message"].startswith("Execution error: insufficient balance")
    text = refused["message"].removeprefix("Execution error: ")
    assert refused["data"]["stack"][0]["format"] == text
    malformed = error(registry, "broadcast_transaction", {"operations": []},
                      api="network_broadcast")
    assert malformed["code"] == INVALID_PARAMS and "missing field" in malformed["message"]


def test_broadcast_transaction_synchronous(node: Node, registry: ApiRegistry) -> None:
    op = paid_transfer(node, "alice", "bob", 500)
    tx = signed(node, [op], "alice")

    async def scenario() -> dict[str, Any] | None:
        session = registry.new_session("test")
        params = ["network_broadcast", "broadcast_transaction_synchronous", [to_json(tx)]]
        request = {"jsonrpc": "2.0", "id": 7, "method": "call", "params": params}
        task = asyncio.create_task(handle_request(registry, session, request))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not task.done()  # waits for its block
        produce(node)
        return await asyncio.wait_for(task, timeout=5)

    answer = asyncio.run(scenario())
    assert answer is not None and "error" not in answer, answer
    result = answer["result"]
    assert result["id"] == transaction_id(tx).hex()
    assert result["block_num"] == node.state.head_num and result["trx_num"] == 0
    assert result["trx"]["operation_results"] == [[0, {}]]
    assert result["trx"]["signatures"] == to_json(tx)["signatures"]
    assert call(registry, "get_block", result["block_num"])["transactions"][0] == result["trx"]


def test_confirmation_waiters_expire(node: Node, registry: ApiRegistry) -> None:
    broadcast = registry.get("network_broadcast").obj
    assert isinstance(broadcast, NetworkBroadcastApi)
    failures: list[Exception] = []
    broadcast._waiters[b"\x01" * 20] = _Waiter(node.state.head_time + 1, lambda _: None,
                                               failures.append)
    produce(node)
    assert broadcast.waiting == 0
    assert "expired" in str(failures[0]) and "0101" in str(failures[0])


def test_broadcast_with_callback(node: Node, registry: ApiRegistry) -> None:
    tx = signed(node, [paid_transfer(node, "alice", "carol", 7)], "alice")

    async def scenario() -> list[bytes]:
        session = registry.new_session("test", streaming=True)
        request = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": [
            "network_broadcast", "broadcast_transaction_with_callback", [42, to_json(tx)]]}
        answer = await handle_request(registry, session, request)
        assert answer is not None and answer["result"] is None
        produce(node)
        notices = session.take_outgoing()
        session.close()
        return notices

    notices = asyncio.run(scenario())
    assert len(notices) == 1
    notice = json.loads(notices[0])
    assert notice["method"] == "notice" and notice["params"][0] == 42
    assert notice["params"][1][0]["id"] == transaction_id(tx).hex()
