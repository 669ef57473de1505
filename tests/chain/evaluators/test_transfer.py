"""transfer: balances, fees, refusals with clear messages, and asset transfer restrictions."""

from __future__ import annotations

import pytest

from graphex.chain.errors import (
    InsufficientBalance,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import AssetCreate, AssetIssue, Transfer
from graphex.protocol.types import Asset, AssetOptions, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse, with_fee

TRANSFER_RESTRICTED, WHITE_LIST = 0x08, 0x02
UIA_PERMISSIONS = 0x01 | 0x02 | 0x04 | 0x08 | 0x40


def transfer(chain: DevChain, sender: str, receiver: str, amount: Asset) -> Transfer:
    return Transfer(Asset(0, GPX), chain.account_id(sender), chain.account_id(receiver), amount)


def create_uia(chain: DevChain, symbol: str, *, flags: int = 0,
               whitelist: tuple[ObjectId, ...] = ()) -> ObjectId:
    options = AssetOptions(
        10**12, 0, 0, UIA_PERMISSIONS, flags, Price(Asset(1, GPX), Asset(1, ObjectId(1, 3, 1))),
        whitelist, (), (), (), "",
    )
    op = AssetCreate(Asset(0, GPX), chain.account_id("alice"), symbol, 4, options)
    push(chain, op, ["alice"])
    found = chain.state.asset_by_symbol(symbol)
    assert found is not None
    return found.id


def issue(chain: DevChain, asset_id: ObjectId, amount: int, to: str) -> None:
    op = AssetIssue(Asset(0, GPX), chain.account_id("alice"), Asset(amount, asset_id),
                    chain.account_id(to))
    push(chain, op, ["alice"])


def test_transfer_moves_the_amount_and_charges_the_fee() -> None:
    chain = DevChain()
    alice, bob = chain.balance("alice"), chain.balance("bob")
    op = with_fee(chain, transfer(chain, "alice", "bob", chain.gpx(5)))
    chain.push([op], ["alice"])
    assert chain.balance("alice") == alice - chain.gpx(5).amount - op.fee_amount.amount
    assert chain.balance("bob") == bob + chain.gpx(5).amount


def test_insufficient_balance_names_account_has_and_needs() -> None:
    chain = DevChain()
    carol = chain.account_id("carol")
    refuse(chain, transfer(chain, "carol", "bob", chain.gpx(2_000_000)), InsufficientBalance, rf"insufficient balance: account {carol} \(carol\) has 1000000\.00000 GPX, "
           r"needs 2000000\.00000 GPX", ["carol"])


def test_unknown_receiver_and_unknown_asset_are_refused() -> None:
    chain = DevChain()
    op = Transfer(Asset(0, GPX), chain.account_id("alice"), ObjectId(1, 2, 999), chain.gpx(1))
    refuse(chain, op, UnknownObjectError, r"unknown account 1\.2\.999", ["alice"])
    op = transfer(chain, "alice", "bob", Asset(5, ObjectId(1, 3, 77)))
    refuse(chain, op, UnknownObjectError, r"unknown asset 1\.3\.77", ["alice"])


@pytest.mark.parametrize("amount", [0, -5])
def test_zero_or_negative_amount_is_refused(amount: int) -> None:
    chain = DevChain()
    refuse(chain, transfer(chain, "alice", "bob", Asset(amount, GPX)), ValidationError, rf"transfer amount must be positive, got {amount}", ["alice"])


def test_transfer_to_self_is_refused() -> None:
    chain = DevChain()
    refuse(chain, transfer(chain, "alice", "alice", chain.gpx(1)), ValidationError, "to itself", ["alice"])


def test_transfer_restricted_asset_moves_only_to_or_from_its_issuer() -> None:
    chain = DevChain()
    asset_id = create_uia(chain, "GATEWAY", flags=TRANSFER_RESTRICTED)
    issue(chain, asset_id, 50_000, "bob")
    refuse(chain, transfer(chain, "bob", "carol", Asset(10_000, asset_id)), PermissionError_, r"GATEWAY is transfer-restricted; its issuer .*\(alice\)", ["bob"])
    push(chain, transfer(chain, "bob", "alice", Asset(10_000, asset_id)), ["bob"])
    push(chain, transfer(chain, "alice", "carol", Asset(10_000, asset_id)), ["alice"])
    assert chain.balance("bob", asset_id) == 40_000
    assert chain.balance("carol", asset_id) == 10_000


def test_whitelisted_asset_refuses_accounts_no_authority_whitelisted() -> None:
    chain = DevChain()
    asset_id = create_uia(chain, "CLOSEDCOIN", flags=WHITE_LIST,
                          whitelist=(chain.account_id("alice"),))
    op = AssetIssue(Asset(0, GPX), chain.account_id("alice"), Asset(1, asset_id),
                    chain.account_id("bob"))
    refuse(chain, op, PermissionError_, r"account .*\(bob\) is not authorized to hold or transact CLOSEDCOIN", ["alice"])
