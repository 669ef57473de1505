"""The node's waiting pool over real nodes and the real futures engine: a futures pre-order (an
order for a month not listed yet, refused with the deferrable ``SeriesNotListed``) waits outside
blocks and state, is retried after every block, lands once its month lists (in a block produced
here or pushed from another node) and is dropped at its expiration.

The market is GPX (1.3.0, precision 5) / BTC (1.3.1, precision 8), one GPX per lot: tick value
100 satoshis. The devnet starts on 2026-01-01, when 2026-01, -02, -03 and -06 trade; 2026-09
lists with the first block of February.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graphex.chain.futures.errors import SeriesNotListed, UnknownSeries
from graphex.chain.futures.objects import FuturesOrder, FuturesSeries
from graphex.chain.tx_apply import transaction_id_of
from graphex.node.history import HistoryService
from graphex.node.node import Node, NodeError, TransactionWaiting
from graphex.protocol.codec import parse_time
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations.futures import (
    LONG,
    FuturesOrderCreate,
    FuturesParameters,
    FuturesProductCreate,
    MarginDeposit,
)
from graphex.protocol.transaction import SignedTransaction
from graphex.protocol.types import Asset
from tests.node.test_history import account, history_node, produce, signed

GPX, BTC = ObjectId(1, 3, 0), ObjectId(1, 3, 1)
PRODUCT = ObjectId(1, 100, 0)
PRE_ORDER_MONTH = 202609
DAY_S = 86_400


# -- helpers -----------------------------------------------------------------------------------
def list_product(node: Node) -> None:
    """alice lists GPX/BTC (1 GPX a lot) and bob deposits 1 BTC of margin."""
    node.push_transaction(signed(node, "alice", FuturesProductCreate(
        Asset(0, GPX), account(node, "alice"), GPX, BTC,
        FuturesParameters(contract_size=100_000))))
    produce(node)
    node.push_transaction(signed(node, "bob", MarginDeposit(
        Asset(0, GPX), account(node, "bob"), Asset(100_000_000, BTC))))
    produce(node)


def pre_order(node: Node, month: int = PRE_ORDER_MONTH, expiration_s: int = 60,
              lots: int = 1) -> SignedTransaction:
    return signed(node, "bob", FuturesOrderCreate(
        Asset(0, GPX), account(node, "bob"), PRODUCT, month, LONG, lots, 50_000), expiration_s)


def orders_of(node: Node, who: str) -> list[FuturesOrder]:
    return list(node.state.db.group(FuturesOrder, "by_account").equal(account(node, who)))


def listed(node: Node, month: int) -> bool:
    return node.state.db.index(FuturesSeries, "by_month").get((PRODUCT, month)) is not None


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    node, history = history_node(tmp_path / "node")
    list_product(node)
    yield node
    node.close()
    history.close()


# -- waiting -------------------------------------------------------------------------------------
def test_pre_order_waits_outside_blocks_and_state_and_is_dropped_at_expiry(node: Node) -> None:
    tx = pre_order(node, expiration_s=30)
    tx_id = transaction_id_of(tx)
    with pytest.raises(TransactionWaiting) as waiting:
        node.push_transaction(tx)
    assert isinstance(waiting.value.__cause__, SeriesNotListed)
    assert waiting.value.tx_id == tx_id and waiting.value.expiration == tx.expiration
    assert "GPX/BTC 2026-09 is not listed yet" in str(waiting.value)
    assert f"transaction {tx_id.hex()} waits in the node's pending pool until it applies or " \
           "expires at 2026-01-01T00:00:32" in str(waiting.value)
    assert list(node.waiting) == [tx_id] and not node.pending

    # broadcast again: the same entry, still waiting
    with pytest.raises(TransactionWaiting):
        node.push_transaction(tx)
    assert list(node.waiting) == [tx_id]

    for _ in range(3):  # retried after every block: still not listed, still waiting
        produce(node)
        assert node.state_block(node.state.head_num).transactions == ()
        assert list(node.waiting) == [tx_id] and not node.pending and not orders_of(node, "bob")

    produce(node, tx.expiration)  # the head reaches the expiration: dropped
    assert not node.waiting and not node.pending and not orders_of(node, "bob")


def test_pre_order_lands_in_the_block_after_its_month_lists(node: Node) -> None:
    produce(node, parse_time("2026-01-31T12:00:00"))
    tx = pre_order(node, expiration_s=DAY_S)
    with pytest.raises(TransactionWaiting):
        node.push_transaction(tx)
    produce(node, parse_time("2026-01-31T23:59:59"))
    assert len(node.waiting) == 1 and not listed(node, PRE_ORDER_MONTH)

    produce(node, parse_time("2026-02-01T00:00:00"))  # lists 2026-09; the retry applies it
    assert listed(node, PRE_ORDER_MONTH)
    assert not node.waiting and [p.tx for p in node.pending] == [tx]
    produce(node)
    assert node.state_block(node.state.head_num).transactions[0].signatures == tx.signatures
    [order] = orders_of(node, "bob")
    assert (order.lots, order.price, order.side) == (1, 50_000, LONG)


def test_waiting_transactions_keep_their_arrival_order(node: Node) -> None:
    produce(node, parse_time("2026-01-31T12:00:00"))
    first, second = pre_order(node, expiration_s=DAY_S), pre_order(node, expiration_s=DAY_S,
                                                                    lots=2)
    for tx in (first, second):
        with pytest.raises(TransactionWaiting):
            node.push_transaction(tx)
    assert list(node.waiting) == [transaction_id_of(first), transaction_id_of(second)]
    produce(node, parse_time("2026-02-01T00:00:00"))
    assert [p.tx for p in node.pending] == [first, second]
    produce(node)
    assert [o.lots for o in orders_of(node, "bob")] == [1, 2]


def test_a_pre_order_refused_otherwise_when_retried_is_dropped(node: Node) -> None:
    produce(node, parse_time("2026-01-31T12:00:00"))
    # 2000 lots need 10 BTC of initial margin: bob has 1 BTC; refused once the month lists
    tx = pre_order(node, expiration_s=DAY_S, lots=2000)
    with pytest.raises(TransactionWaiting):
        node.push_transaction(tx)
    produce(node, parse_time("2026-02-01T00:00:00"))
    assert not node.waiting and not node.pending and not orders_of(node, "bob")


def test_refusals_that_do_not_defer_are_not_kept(node: Node) -> None:
    with pytest.raises(UnknownSeries):  # a month in the past can never list
        node.push_transaction(pre_order(node, month=202512))
    assert not node.waiting and not node.pending


def test_the_waiting_pool_is_bounded(tmp_path: Path) -> None:
    node, history = history_node(tmp_path / "node")
    try:
        node.config.max_waiting_transactions = 2
        list_product(node)
        for lots in (1, 2):
            with pytest.raises(TransactionWaiting):
                node.push_transaction(pre_order(node, lots=lots))
        with pytest.raises(NodeError, match=r"the waiting pool is full \(2 transactions, "
                                            r"max_waiting_transactions\), retry later") as full:
            node.push_transaction(pre_order(node, lots=3))
        assert not isinstance(full.value, TransactionWaiting)
        assert len(node.waiting) == 2
    finally:
        node.close()
        history.close()


def test_a_pushed_block_that_lists_the_month_lets_the_pre_order_land(tmp_path: Path) -> None:
    producer, producer_history = history_node(tmp_path / "producer")
    follower, follower_history = history_node(tmp_path / "follower")
    nodes: list[tuple[Node, HistoryService]] = [(producer, producer_history),
                                                 (follower, follower_history)]
    try:
        def relay() -> None:
            follower.push_block(producer.state_block(producer.state.head_num))

        list_product(producer)
        for num in range(1, producer.state.head_num + 1):
            follower.push_block(producer.state_block(num))
        produce(producer, parse_time("2026-01-31T12:00:00"))
        relay()
        tx = pre_order(follower, expiration_s=DAY_S)
        with pytest.raises(TransactionWaiting):
            follower.push_transaction(tx)

        produce(producer, parse_time("2026-02-01T00:00:00"))
        relay()  # the follower applies the listing block, then retries: the pre-order applies
        assert not follower.waiting and [p.tx for p in follower.pending] == [tx]
        assert follower.state.head_id == producer.state.head_id
    finally:
        for node, history in nodes:
            node.close()
            history.close()
