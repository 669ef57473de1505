"""Node: persistence, restart from snapshot + replay, replay from genesis, fork switching."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphex.chain.errors import DuplicateTransaction
from graphex.chain.genesis import devnet_genesis, devnet_key
from graphex.chain.invariants import check_invariants
from graphex.chain.objects import Witness
from graphex.node.node import Node, NodeConfig, NodeError
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import Transfer
from graphex.protocol.transaction import Transaction, ref_block_fields, sign
from graphex.protocol.types import Asset

GPX = ObjectId(1, 3, 0)


def make_node(path: Path, *, snapshot_every: int = 5, genesis: bytes | None = None) -> Node:
    node = Node(NodeConfig(data_dir=path, snapshot_interval_blocks=snapshot_every),
                genesis or devnet_genesis())
    node.open()
    for witness in node.state.db.table(Witness):
        node.config.witness_keys[witness.id] = devnet_key(
            node.state.account(witness.witness_account).name)
    return node


def transfer(node: Node, amount: int, src: str = "alice", dst: str = "bob"):
    state = node.state
    a, b = state.account_by_name(src), state.account_by_name(dst)
    num, prefix = ref_block_fields(state.head_id)
    tx = Transaction(num, prefix, state.head_time + 60,
                     (Transfer(Asset(2_000_000, GPX), a.id, b.id, Asset(amount, GPX)),))
    return sign(tx, [devnet_key(src)], state.chain_id)


def produce(node: Node, n: int = 1) -> None:
    for _ in range(n):
        node.produce_block(node.next_slot()[0])
        check_invariants_at_head(node)


def check_invariants_at_head(node: Node) -> None:
    check_invariants(node.state)  # pending session is empty right after a block


def test_restart_continues_from_snapshot_and_log(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    for i in range(12):
        node.push_transaction(transfer(node, 1000 + i))
        produce(node)
    head, state_hash = node.state.head_num, node.head_state_hash()
    alice = node.state.balance(node.state.account_by_name("alice").id, GPX)
    node.close()

    again = make_node(tmp_path)
    assert again.state.head_num == head == 12
    assert again.head_state_hash() == state_hash
    assert again.state.balance(again.state.account_by_name("alice").id, GPX) == alice
    produce(again, 2)
    assert again.state.head_num == 14
    again.close()


def test_replay_from_genesis_gives_the_same_state_hash(tmp_path: Path) -> None:
    node = make_node(tmp_path, snapshot_every=4)
    for i in range(9):
        node.push_transaction(transfer(node, 500 + i, *(("bob", "carol") if i % 2 else ("alice", "dave"))))
        produce(node)
    expected = node.head_state_hash()
    node.close()
    replayed = Node(NodeConfig(data_dir=tmp_path))
    replayed.open(replay=True)
    assert replayed.head_state_hash() == expected
    replayed.close()


def test_data_dir_of_another_chain_is_refused(tmp_path: Path) -> None:
    make_node(tmp_path).close()
    other = devnet_genesis(initial_timestamp=1_700_000_000)
    with pytest.raises(NodeError, match="another chain"):
        Node(NodeConfig(data_dir=tmp_path), other)


def test_duplicate_pending_transaction_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    tx = transfer(node, 777)
    node.push_transaction(tx)
    with pytest.raises(DuplicateTransaction, match="duplicate transaction"):
        node.push_transaction(tx)
    produce(node)
    assert len(node.state.db.find(ObjectId(2, 8, 1)).block_id) == 20
    node.close()


def test_fork_switch_adopts_the_longer_chain(tmp_path: Path) -> None:
    """Two nodes share 3 blocks, then diverge; the node on the shorter branch switches to the
    longer one and ends with the same state as a clean application of that chain."""
    a = make_node(tmp_path / "a", snapshot_every=1000)
    b = make_node(tmp_path / "b", snapshot_every=1000)
    for _ in range(3):
        produce(a)
        b.push_block(a.state_block(a.state.head_num))
    assert a.state.head_id == b.state.head_id
    # a: two blocks with a transfer to bob; b: one block with a transfer to carol
    a.push_transaction(transfer(a, 111, "alice", "bob"))
    produce(a, 2)
    b.push_transaction(transfer(b, 222, "alice", "carol"))
    when, _ = b.next_slot()
    b.produce_block(when + b.state.params.block_interval)  # b's block sits in a later slot
    assert a.state.head_num == 5 and b.state.head_num == 4
    for num in (4, 5):
        b.push_block(a.state_block(num))
    assert b.state.head_id == a.state.head_id
    assert b.head_state_hash() == a.head_state_hash()
    carol = b.state.account_by_name("carol").id
    assert b.state.balance(carol, GPX) == 1_000_000 * 100_000 + 222  # re-applied from pending
    c = make_node(tmp_path / "c", snapshot_every=1000)
    for num in range(1, 6):
        c.push_block(a.state_block(num))
    assert c.head_state_hash() == a.head_state_hash()
    for n in (a, b, c):
        n.close()
