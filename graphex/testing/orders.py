"""A deterministic limit-order workload on a fresh devnet, shared by ``graphex bench orders`` and
the tests: alice, bob, carol and dave trade GPX against a benchmark asset, buying and selling in
equal measure around a fixed mid price with sizes and price offsets from a seeded generator (not
consensus code: the seed only makes runs comparable), so that about half the orders fill against
resting ones and the book stays deep.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from ..chain.genesis import Genesis, devnet_genesis, devnet_key
from ..chain.objects import Witness
from ..chain.state import ChainState, init_genesis
from ..chain.tx_apply import apply_operation
from ..node.node import Node, NodeConfig
from ..protocol.ids import ObjectId
from ..protocol.operations import AssetCreate, AssetIssue, LimitOrderCreate
from ..protocol.transaction import SignedTransaction, Transaction, ref_block_fields, sign
from ..protocol.types import Asset, AssetOptions, Price

GPX = ObjectId(1, 3, 0)
TRADERS = ("alice", "bob", "carol", "dave")
SYMBOL = "BENCHUSD"
ORDER_FEE = Asset(5 * 100_000, GPX)
MID_PRICE = 1_000  # benchmark-asset units per 1 000 GPX units


def asset_setup_ops(state: ChainState) -> list[tuple[str, list[AssetCreate | AssetIssue]]]:
    """Create the benchmark asset (issuer alice) and issue it to every trader."""
    alice = _account(state, "alice")
    options = AssetOptions(10**15, 0, 0, 0x4F, 0, Price(Asset(1, GPX), Asset(1, ObjectId(1, 3, 1))),
                           (), (), (), (), "graphex bench asset")
    create = AssetCreate(Asset(10**9, GPX), alice, SYMBOL, 4, options)
    return [("alice", [create])]


def issue_ops(state: ChainState) -> list[tuple[str, list[AssetCreate | AssetIssue]]]:
    asset = state.asset_by_symbol(SYMBOL)
    assert asset is not None
    alice = _account(state, "alice")
    ops: list[AssetCreate | AssetIssue] = [
        AssetIssue(Asset(10**7, GPX), alice, Asset(10**13, asset.id), _account(state, name))
        for name in TRADERS
    ]
    return [("alice", ops)]


def _account(state: ChainState, name: str) -> ObjectId:
    account = state.account_by_name(name)
    assert account is not None
    return account.id


def order_stream(state: ChainState, count: int, seed: int = 2026) -> Iterator[tuple[str, LimitOrderCreate]]:
    """``count`` limit orders (trader name, operation), half buying and half selling GPX."""
    asset = state.asset_by_symbol(SYMBOL)
    assert asset is not None
    sellers = {name: _account(state, name) for name in TRADERS}
    rng = random.Random(seed)
    for i in range(count):
        name = TRADERS[i % len(TRADERS)]
        gpx_units = rng.randint(1_000, 100_000)
        price = MID_PRICE + rng.randint(-20, 20)
        other = gpx_units * price // 1_000
        if rng.random() < 0.5:  # sell GPX
            op = LimitOrderCreate(ORDER_FEE, sellers[name], Asset(gpx_units, GPX), Asset(other, asset.id))
        else:  # buy GPX
            op = LimitOrderCreate(ORDER_FEE, sellers[name], Asset(other, asset.id), Asset(gpx_units, GPX))
        yield name, op


def fresh_state() -> ChainState:
    """A devnet state at genesis with the benchmark asset issued (operations applied directly)."""
    state = ChainState(Genesis.parse(devnet_genesis()))
    init_genesis(state)
    for batch in (asset_setup_ops, issue_ops):
        for _, ops in batch(state):
            for op in ops:
                apply_operation(state, op)
    return state


def node_with_asset(tmp: Path) -> Node:
    node = Node(NodeConfig(data_dir=tmp), devnet_genesis())
    node.open()
    for witness in node.state.db.table(Witness):
        node.config.witness_keys[witness.id] = devnet_key(node.state.account(witness.witness_account).name)
    node.produce_block(node.next_slot()[0])
    for batch in (asset_setup_ops, issue_ops):
        for name, ops in batch(node.state):
            node.push_transaction(signed(node, name, list(ops)))
        node.produce_block(node.next_slot()[0])
    return node


def signed(node: Node, name: str, ops: list[AssetCreate | AssetIssue] | list[LimitOrderCreate],
            expiration_s: int = 3600) -> SignedTransaction:
    state = node.state
    num, prefix = ref_block_fields(state.head_id)
    tx = Transaction(num, prefix, state.head_time + expiration_s, tuple(ops))
    return sign(tx, [devnet_key(name)], state.chain_id)


