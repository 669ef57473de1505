"""Bad limit order operations: each is refused with a typed error naming the rule and the values,
and neither the state nor the head block changes."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import pytest

from graphex.chain.errors import (
    ChainError,
    FeeError,
    InsufficientBalance,
    MissingAuthority,
    NotSupported,
    OrderError,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import AssetUpdate, LimitOrderCancel
from graphex.protocol.operations.base import Operation
from graphex.protocol.operations.market import (
    CreateTakeProfitOrderAction,
    LimitOrderCreateOptions,
)
from graphex.protocol.types import Asset, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse, with_fee
from tests.chain.market.helpers import create_op, issue, new_uia, sell, update_op

UNKNOWN_ORDER = ObjectId(1, 7, 999)


@pytest.fixture
def market() -> tuple[DevChain, ObjectId]:
    chain = DevChain()
    usd = new_uia(chain, "USDCOIN")
    issue(chain, usd, {"alice": 1_000_000, "bob": 1_000_000})
    return chain, usd


def refuse_as_is(chain: DevChain, op: Operation, error: type[ChainError], match: str,
                 signers: Sequence[str] = ("alice",)) -> None:
    """Like ``refuse`` but with the operation's fee left as it is."""
    before, head = chain.state.state_hash(), chain.state.head_num
    with pytest.raises(error, match=match):
        chain.push([op], list(signers))
    assert chain.state.state_hash() == before
    assert chain.state.head_num == head


# --- limit_order_create -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sell_amount", "receive_amount", "match"),
    [
        (0, 10, r"limit_order_create: amount_to_sell must be positive, got 0"),
        (-5, 10, r"limit_order_create: amount_to_sell must be positive, got -5"),
        (10, 0, r"limit_order_create: min_to_receive must be positive, got 0"),
        (10, -1, r"limit_order_create: min_to_receive must be positive, got -1"),
    ],
)
def test_create_needs_positive_amounts(market: tuple[DevChain, ObjectId], sell_amount: int,
                                       receive_amount: int, match: str) -> None:
    chain, usd = market
    refuse(chain, create_op(chain, "alice", Asset(sell_amount, usd), Asset(receive_amount, GPX)),
           ValidationError, match)


def test_create_refuses_the_same_asset_on_both_sides(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    refuse(chain, create_op(chain, "alice", Asset(10, usd), Asset(20, usd)), ValidationError,
           rf"amount_to_sell and min_to_receive are the same asset {usd}")


def test_create_refuses_selling_more_than_the_balance(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    refuse(chain, create_op(chain, "bob", Asset(1_000_001, usd), Asset(1, GPX)),
           InsufficientBalance,
           r"limit_order_create: insufficient balance: account 1\.2\.\d+ \(bob\) has "
           r"100\.0000 USDCOIN, needs 100\.0001 USDCOIN", ["bob"])
    # Selling the whole core balance leaves nothing for the 5 GPX fee.
    everything = chain.balance("carol")
    refuse(chain, create_op(chain, "carol", Asset(everything, GPX), Asset(1, usd)),
           InsufficientBalance, r"has 1000000\.00000 GPX, needs 1000000\.00000 GPX plus the fee "
           r"5\.00000 GPX", ["carol"])
    # A user with none of the asset.
    refuse(chain, create_op(chain, "carol", Asset(1, usd), Asset(1, GPX)), InsufficientBalance,
           r"\(carol\) has 0\.0000 USDCOIN, needs 0\.0001 USDCOIN", ["carol"])


def test_create_refuses_an_expiration_in_the_past(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    past = chain.state.head_time - 1
    refuse(chain, create_op(chain, "alice", Asset(10, usd), Asset(1, GPX), expiration=past),
           ValidationError, r"limit_order_create: expiration 2026-01-01T00:00:\d\d is in the past "
           r"\(head block time 2026-01-01T00:00:\d\d\)")


def test_create_refuses_an_unknown_asset(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    ghost = ObjectId(1, 3, 99)
    refuse(chain, create_op(chain, "alice", Asset(10, usd), Asset(1, ghost)),
           UnknownObjectError, r"limit_order_create: unknown asset 1\.3\.99")
    refuse(chain, create_op(chain, "alice", Asset(10, ghost), Asset(1, usd)),
           UnknownObjectError, r"limit_order_create: unknown asset 1\.3\.99")


def test_create_refuses_a_negative_fee_and_an_insufficient_fee(
        market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    op = create_op(chain, "alice", Asset(10, usd), Asset(1, GPX))
    refuse_as_is(chain, msgspec.structs.replace(op, fee=Asset(-1, GPX)), ValidationError,
                 r"fee must not be negative, got -1")
    refuse_as_is(chain, msgspec.structs.replace(op, fee=Asset(499_999, GPX)), FeeError,
                 r"insufficient fee: LimitOrderCreate needs 5\.00000 GPX, paid 4\.99999 GPX")


def test_create_refuses_take_profit_actions(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    action = CreateTakeProfitOrderAction(GPX, 100, 10000, 3600, False)
    op = msgspec.structs.replace(create_op(chain, "alice", Asset(10, usd), Asset(1, GPX)),
                                 extensions=LimitOrderCreateOptions(on_fill=(action,)))
    refuse(chain, op, NotSupported, r"limit_order_create: on_fill \(take-profit\) actions are not "
                                    r"supported")


def test_create_needs_the_sellers_signature(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    refuse(chain, create_op(chain, "alice", Asset(10, usd), Asset(1, GPX)), MissingAuthority,
           r"missing required active authority of account 1\.2\.\d+ \(alice\)", ["bob"])


def test_create_honours_the_sold_assets_market_lists(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    options = chain.state.asset(usd).options
    push(chain, AssetUpdate(Asset(0, GPX), chain.account_id("alice"), usd, None,
                            msgspec.structs.replace(options, blacklist_markets=(GPX,))))
    refuse(chain, create_op(chain, "bob", Asset(10, usd), Asset(1, GPX)), PermissionError_,
           r"limit_order_create: USDCOIN has blacklisted the GPX market", ["bob"])
    # The list binds the asset being sold only: buying USDCOIN with GPX is still allowed.
    sell(chain, "bob", Asset(10, GPX), Asset(1, usd))
    other = new_uia(chain, "OTHERCOIN")
    push(chain, AssetUpdate(Asset(0, GPX), chain.account_id("alice"), usd, None,
                            msgspec.structs.replace(options, whitelist_markets=(other,))))
    refuse(chain, create_op(chain, "bob", Asset(10, usd), Asset(1, GPX)), PermissionError_,
           r"USDCOIN may only be traded against its whitelisted markets; GPX is not one of them",
           ["bob"])


# --- limit_order_cancel -------------------------------------------------------------------------


def test_cancel_refuses_another_accounts_order(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    alice = sell(chain, "alice", Asset(10, usd), Asset(30, GPX))
    refuse(chain, LimitOrderCancel(Asset(0, GPX), chain.account_id("bob"), alice), OrderError,
           rf"limit_order_cancel: limit order {alice} belongs to 1\.2\.\d+ \(alice\), not to "
           r"1\.2\.\d+ \(bob\)", ["bob"])


def test_cancel_refuses_an_unknown_or_finished_order(market: tuple[DevChain, ObjectId]) -> None:
    chain, usd = market
    refuse(chain, LimitOrderCancel(Asset(0, GPX), chain.account_id("alice"), UNKNOWN_ORDER),
           UnknownObjectError, r"limit_order_cancel: limit order 1\.7\.999 does not exist")
    alice = sell(chain, "alice", Asset(10, usd), Asset(30, GPX))
    sell(chain, "bob", Asset(30, GPX), Asset(10, usd))  # fills it completely
    refuse(chain, LimitOrderCancel(Asset(0, GPX), chain.account_id("alice"), alice),
           UnknownObjectError, rf"limit order {alice} does not exist \(filled, cancelled or "
                               r"expired\)")


# --- limit_order_update -------------------------------------------------------------------------


@pytest.fixture
def resting(market: tuple[DevChain, ObjectId]) -> tuple[DevChain, ObjectId, ObjectId]:
    """Alice's order selling 1000 USDCOIN units for 3000 GPX units, resting on the book."""
    chain, usd = market
    return chain, usd, sell(chain, "alice", Asset(1000, usd), Asset(3000, GPX))


def test_update_refuses_another_accounts_or_an_unknown_order(
        resting: tuple[DevChain, ObjectId, ObjectId]) -> None:
    chain, usd, alice = resting
    refuse(chain, update_op(chain, "bob", alice, delta_amount_to_sell=Asset(1, usd)), OrderError,
           rf"limit_order_update: limit order {alice} belongs to 1\.2\.\d+ \(alice\)", ["bob"])
    refuse(chain, update_op(chain, "alice", UNKNOWN_ORDER, delta_amount_to_sell=Asset(1, usd)),
           UnknownObjectError, r"limit_order_update: limit order 1\.7\.999 does not exist")


def test_update_refusals(resting: tuple[DevChain, ObjectId, ObjectId]) -> None:
    chain, usd, alice = resting
    cases: list[tuple[dict[str, object], type[ChainError], str]] = [
        ({}, ValidationError, r"limit_order_update: nothing to update"),
        ({"delta_amount_to_sell": Asset(0, usd)}, ValidationError,
         r"delta_amount_to_sell must not be zero"),
        ({"delta_amount_to_sell": Asset(5, GPX)}, ValidationError,
         rf"delta_amount_to_sell is in 1\.3\.0, the order sells {usd}"),
        ({"delta_amount_to_sell": Asset(-1000, usd)}, OrderError,
         r"cannot take 0\.1000 USDCOIN out of an order with 0\.1000 USDCOIN for sale; cancel it"),
        ({"delta_amount_to_sell": Asset(999_001, usd)}, InsufficientBalance,
         (r"limit_order_update: insufficient balance: account 1\.2\.\d+ \(alice\) has "
          r"99\.9000 USDCOIN, needs 99\.9001 USDCOIN")),
        ({"new_price": Price(Asset(1000, GPX), Asset(3000, usd))}, ValidationError,
         rf"new_price trades 1\.3\.0 for {usd}, the order trades {usd} for 1\.3\.0"),
        ({"new_price": Price(Asset(0, usd), Asset(3000, GPX))}, ValidationError,
         r"new_price\.base must be positive, got 0"),
        ({"new_price": Price(Asset(1001, usd), Asset(3000, GPX))}, ValidationError,
         r"new_price\.base 1001 is greater than the most the order can sell \(1000\)"),
        ({"new_expiration": chain.state.head_time - 1}, ValidationError,
         r"limit_order_update: expiration 2026-01-01T00:00:\d\d is in the past"),
        ({"on_fill": ()}, NotSupported, r"on_fill \(take-profit\) actions are not supported"),
    ]
    for changes, error, match in cases:
        refuse(chain, update_op(chain, "alice", alice, **changes), error, match)
    # An order selling 1000 units for 3: taking 999 out leaves 1 unit, which would buy
    # floor(1*3/1000) = 0.
    dusty = sell(chain, "alice", Asset(1000, usd), Asset(3, GPX))
    refuse(chain, update_op(chain, "alice", dusty, delta_amount_to_sell=Asset(-999, usd)),
           OrderError, r"limit_order_update: the order would become too small to receive "
                       r"anything; cancel it instead")


def test_a_refused_transaction_leaves_earlier_operations_undone(
        market: tuple[DevChain, ObjectId]) -> None:
    """A transaction whose second operation is bad is refused whole: the first order, which
    would have been placed and matched, is not."""
    chain, usd = market
    sell(chain, "bob", Asset(300, GPX), Asset(100, usd))
    good = create_op(chain, "alice", Asset(100, usd), Asset(300, GPX))
    bad = create_op(chain, "alice", Asset(10, usd), Asset(1, ObjectId(1, 3, 99)))
    before, head = chain.state.state_hash(), chain.state.head_num
    with pytest.raises(UnknownObjectError, match=r"unknown asset 1\.3\.99"):
        chain.push([with_fee(chain, good), with_fee(chain, bad)], ["alice"])
    assert chain.state.state_hash() == before and chain.state.head_num == head
