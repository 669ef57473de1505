"""Accounts: registration, update, upgrade, and a 2-of-3 multi-key account surviving a lost key."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from graphex.chain.errors import (
    ChainError,
    DuplicateSignature,
    FeeError,
    IrrelevantSignature,
    MissingAuthority,
    NotSupported,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from graphex.chain.objects import AccountStatistics
from graphex.protocol import ids
from graphex.protocol.chain_parameters import fee_for
from graphex.protocol.ids import ObjectId
from graphex.protocol.keys import PrivateKey
from graphex.protocol.operations import AccountCreate, AccountUpdate, AccountUpgrade, Transfer
from graphex.protocol.types import AccountOptions, Asset, Authority
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse, with_fee


def key_authority(threshold: int, *keys: PrivateKey) -> Authority:
    members = sorted((k.public_key, 1) for k in keys)
    return Authority(threshold, (), tuple(members), ())


def default_options(key: PrivateKey) -> AccountOptions:
    return AccountOptions(key.public_key, ids.PROXY_TO_SELF_ACCOUNT, 0, 0, ())


def create_op(chain: DevChain, name: str, *, registrar: str = "alice",
              owner: Authority | None = None, active: Authority | None = None,
              **changes: Any) -> AccountCreate:
    key = PrivateKey.from_seed("test:" + name)
    auth = Authority.single_key(key.public_key)
    op = AccountCreate(Asset(0, GPX), chain.account_id(registrar), chain.account_id(registrar), 0,
                       name, owner or auth, active or auth, default_options(key))
    return msgspec.structs.replace(op, **changes)


def fund(chain: DevChain, name: str, whole: int) -> None:
    push(chain, Transfer(Asset(0, GPX), chain.account_id("alice"), chain.account_id(name),
                         chain.gpx(whole)))


# --- account_create -------------------------------------------------------------------------------


def test_create_account_with_its_statistics() -> None:
    chain = DevChain()
    processed = push(chain, create_op(chain, "erin-1", referrer_percent=5000))
    account = chain.state.account_by_name("erin-1")
    assert account is not None
    assert processed.operation_results[0].value == account.id
    alice = chain.account_id("alice")
    assert (account.registrar, account.referrer, account.lifetime_referrer) == (alice, alice, alice)
    assert account.referrer_rewards_percentage == 5000 and not account.is_lifetime_member
    stats = chain.state.db.get(account.statistics, AccountStatistics)
    assert stats.owner == account.id and stats.name == "erin-1"
    assert chain.state.dgp.accounts_registered_this_interval == 1


def test_premium_names_pay_the_premium_fee() -> None:
    chain = DevChain()
    basic = fee_for(chain.state.params.current_fees, create_op(chain, "erin1"))
    premium = fee_for(chain.state.params.current_fees, create_op(chain, "erina"))
    assert premium > basic
    cheap = msgspec.structs.replace(create_op(chain, "erina"), fee=Asset(basic, GPX))
    with pytest.raises(FeeError, match="insufficient fee: AccountCreate needs"):
        chain.push([cheap], ["alice"])
    push(chain, create_op(chain, "erina"))


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"name": "Erin"}, ValidationError, "invalid account name 'Erin'"),
        ({"name": "9erin"}, ValidationError, "invalid account name '9erin'"),
        ({"name": "bob"}, ValidationError, "account name 'bob' is already taken"),
        ({"referrer_percent": 10001}, ValidationError, "referrer_percent 10001 exceeds 10000"),
        ({"owner": Authority(1, (), (), ())}, ValidationError,
         "owner authority must name at least one key or account"),
        ({"active": Authority(3, ((ObjectId(1, 2, 16), 1),), (), ())}, ValidationError,
         "active authority is impossible: its weights add up to 1, below its threshold 3"),
        ({"active": Authority(1, (), (), ((bytes(20), 1),))}, ValidationError,
         "must not use address members"),
        ({"owner": Authority(1, ((ObjectId(1, 2, 999), 1),), (), ())}, UnknownObjectError,
         r"owner authority names unknown account 1\.2\.999"),
    ],
)
def test_create_refusals(changes: dict[str, Any], error: type[ChainError], match: str) -> None:
    chain = DevChain()
    changes = dict(changes)
    name = changes.pop("name", "erin-1")
    refuse(chain, create_op(chain, name, **changes), error, match)


def test_votes_must_exist_and_fit_the_counts() -> None:
    chain = DevChain()
    key = PrivateKey.from_seed("votes")
    too_many = AccountOptions(key.public_key, ids.PROXY_TO_SELF_ACCOUNT, 0, 0, (1,))
    refuse(chain, create_op(chain, "erin-1", options=too_many), ValidationError,
           "vote for 1 witness")
    unknown = AccountOptions(key.public_key, ids.PROXY_TO_SELF_ACCOUNT, 1, 0, (1 | 999 << 8,))
    refuse(chain, create_op(chain, "erin-1", options=unknown), ValidationError,
           "cannot vote for 1:999: it does not exist")


def test_only_lifetime_members_register_and_upgrade_makes_one() -> None:
    chain = DevChain()
    push(chain, create_op(chain, "erin-1"))
    fund(chain, "erin-1", 20_000)
    erin_key = PrivateKey.from_seed("test:erin-1")
    refuse(chain, create_op(chain, "frank-1", registrar="erin-1"), PermissionError_,
           r"registrar .*\(erin-1\) is not a lifetime member", [erin_key])
    erin = chain.account_id("erin-1")
    refuse(chain, AccountUpgrade(Asset(0, GPX), erin, False), NotSupported,
           "annual membership is not supported", [erin_key])
    push(chain, AccountUpgrade(Asset(0, GPX), erin, True), [erin_key])
    account = chain.state.account(erin)
    assert account.is_lifetime_member
    assert account.referrer == account.registrar == account.lifetime_referrer == erin
    assert account.lifetime_referrer_fee_percentage == 10000 - account.network_fee_percentage
    refuse(chain, AccountUpgrade(Asset(0, GPX), erin, True), ValidationError,
           "already a lifetime member", [erin_key])
    push(chain, create_op(chain, "frank-1", registrar="erin-1"), [erin_key])


# --- account_update -------------------------------------------------------------------------------


def test_update_needs_something_and_keeps_special_accounts_fixed() -> None:
    chain = DevChain()
    refuse(chain, AccountUpdate(Asset(0, GPX), chain.account_id("alice")), ValidationError,
           "nothing to update")
    new_key = PrivateKey.from_seed("alice-new")
    op = AccountUpdate(Asset(0, GPX), chain.account_id("alice"),
                       new_options=default_options(new_key))
    push(chain, op)
    assert chain.state.account(chain.account_id("alice")).options.memo_key == new_key.public_key
    bad = AccountUpdate(Asset(0, GPX), chain.account_id("alice"),
                        active=Authority(2, (), ((new_key.public_key, 1),), ()))
    refuse(chain, bad, ValidationError, "active authority is impossible")


# --- a 2-of-3 account (seed 001): any two keys sign; a lost key is replaced by the other two ------


def test_two_of_three_account_signs_with_any_two_and_replaces_a_lost_key() -> None:
    chain = DevChain()
    user, service, backup, new = (PrivateKey.from_seed(f"2of3:{n}")
                                  for n in ("user", "service", "backup", "new"))
    auth = key_authority(2, user, service, backup)
    push(chain, create_op(chain, "vault-2of3", owner=auth, active=auth))
    fund(chain, "vault-2of3", 1000)
    vault = chain.account_id("vault-2of3")

    def pay(*signers: PrivateKey) -> None:
        push(chain, Transfer(Asset(0, GPX), vault, chain.account_id("bob"), chain.gpx(1)), signers)

    def refuse_pay(error: type[ChainError], match: str, *signers: PrivateKey) -> None:
        refuse(chain, Transfer(Asset(0, GPX), vault, chain.account_id("bob"), chain.gpx(1)),
               error, match, signers)

    pay(user, service)
    pay(service, backup)
    pay(backup, user)
    refuse_pay(MissingAuthority, r"missing required active authority of account .*vault-2of3",
               user)
    refuse_pay(IrrelevantSignature, "unnecessary signature", user, service, backup)
    refuse_pay(DuplicateSignature, "signed twice", user, user)

    replaced = key_authority(2, user, service, new)  # the backup key is lost
    push(chain, AccountUpdate(Asset(0, GPX), vault, owner=replaced, active=replaced),
         [user, service])
    assert chain.state.account(vault).owner == replaced
    pay(user, new)
    pay(service, new)
    refuse_pay(MissingAuthority, "missing required active authority", user, backup)
    refuse_pay(IrrelevantSignature, "unnecessary signature", user, service, backup)


def test_owner_change_needs_the_owner_authority() -> None:
    chain = DevChain()
    owner_key, active_key = PrivateKey.from_seed("o"), PrivateKey.from_seed("a")
    push(chain, create_op(chain, "split-keys", owner=key_authority(1, owner_key),
                          active=key_authority(1, active_key)))
    fund(chain, "split-keys", 100)
    account = chain.account_id("split-keys")
    new_owner = key_authority(1, PrivateKey.from_seed("o2"))
    op = AccountUpdate(Asset(0, GPX), account, owner=new_owner)
    refuse(chain, op, MissingAuthority, "missing required owner authority", [active_key])
    push(chain, op, [owner_key])
    assert chain.state.account(account).owner == new_owner


def test_active_key_cannot_change_owner_alongside_an_active_operation() -> None:
    """Regression: an active-authority operation in the same transaction must not make the
    active key count as owner approval (BitShares checks owner authorities on their own)."""
    chain = DevChain()
    owner_key, active_key = PrivateKey.from_seed("o"), PrivateKey.from_seed("a")
    push(chain, create_op(chain, "split-keys", owner=key_authority(1, owner_key),
                          active=key_authority(1, active_key)))
    fund(chain, "split-keys", 100)
    account = chain.account_id("split-keys")
    pay = with_fee(chain, Transfer(Asset(0, GPX), account, chain.account_id("bob"), chain.gpx(1)))
    steal = with_fee(chain, AccountUpdate(Asset(0, GPX), account,
                                          owner=key_authority(1, PrivateKey.from_seed("thief"))))
    before = chain.state.state_hash()
    with pytest.raises(MissingAuthority, match="missing required owner authority"):
        chain.push([pay, steal], [active_key])
    assert chain.state.state_hash() == before
