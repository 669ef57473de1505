"""The devnet's futures market: GPX/USD on the devnet's USD smartcoin (1 000 GPX per lot, tick
value 10) lists with its four series in the first blocks, carol and dave trade the front and the
next month so both have a mark, and a restarted devnet finds it done (nothing resubmitted)."""

from __future__ import annotations

from pathlib import Path

from graphex.chain.futures.accounts import margin_account, position_in
from graphex.chain.futures.objects import NO_PRICE, FuturesProduct, FuturesSeries
from graphex.cli.devnet_futures import (
    CONTRACT_SIZE,
    DevnetFutures,
    after_each_block,
)
from graphex.cli.devnet_smartcoins import DevnetFeeder
from graphex.node.node import Node
from graphex.protocol.ids import ObjectId
from tests.node.test_node import check_invariants_at_head, make_node

GPX = ObjectId(1, 3, 0)


def start(node: Node):  # type: ignore[no-untyped-def]
    hook = after_each_block(DevnetFeeder(node), DevnetFutures(node))
    hook(node.state.head_num)  # as the devnet: the hooks run once the node is open
    return hook


def produce(node: Node, hook, blocks: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(blocks):
        node.produce_block(node.next_slot()[0])
        hook(node.state.head_num)
        check_invariants_at_head(node)


def series_of(node: Node, product: FuturesProduct) -> list[FuturesSeries]:
    found = [s for s in node.state.db.table(FuturesSeries) if s.product == product.id]
    return sorted(found, key=lambda s: s.delivery_month)


def test_devnet_lists_gpx_usd_with_four_series_and_marks(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    hook = start(node)
    produce(node, hook, 3)
    state = node.state
    usd = state.asset_by_symbol("USD")
    assert usd is not None and usd.precision == 4
    (product,) = state.db.table(FuturesProduct)
    assert (product.underlying, product.quote) == (GPX, usd.id)
    assert product.parameters.contract_size == CONTRACT_SIZE == 1_000 * 100_000
    assert product.tick_value == 10
    assert state.account(product.owner).name == "gateway"
    series = series_of(node, product)
    assert [s.delivery_month for s in series] == [202601, 202602, 202603, 202606]
    front, following, *quarters = series
    for s in (front, following):  # one lot traded at the feed's price, ≈ 0.05 USD/GPX ± 2 %
        assert 49_000 <= s.mark_price <= 51_000
        assert s.open_interest == 1
    assert all(s.mark_price == NO_PRICE for s in quarters)
    carol, dave = (state.account_by_name(n) for n in ("carol", "dave"))
    assert carol is not None and dave is not None
    for s in (front, following):
        carol_position = position_in(state, carol.id, s.id)
        dave_position = position_in(state, dave.id, s.id)
        assert carol_position is not None and carol_position.lots == -1
        assert dave_position is not None and dave_position.lots == 1
    margin = margin_account(state, carol.id, usd.id)
    assert margin is not None and margin.balance > 0


def test_a_restarted_devnet_resubmits_nothing(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    produce(node, start(node), 3)
    head, state_hash = node.state.head_num, node.state.state_hash()
    node.close()
    again = make_node(tmp_path)
    assert (again.state.head_num, again.state.state_hash()) == (head, state_hash)
    DevnetFutures(again)(again.state.head_num)
    assert again.pending == []
