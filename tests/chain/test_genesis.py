"""Genesis: the devnet's initial asset BTC, and the checks on ``initial_assets`` and
``initial_balances`` (supplies, fee pools, refusals naming the bad entry)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from graphex.chain.genesis import (
    DEVNET_BTC_BALANCE,
    DEVNET_BTC_FEE_POOL_GPX,
    Genesis,
    GenesisError,
    devnet_genesis,
)
from graphex.chain.invariants import check_invariants
from graphex.chain.objects import AccountBalance
from graphex.chain.state import ChainState, init_genesis
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import Transfer
from graphex.protocol.types import MAX_SHARE_SUPPLY, Asset
from graphex.testing.chain import GPX, DevChain

BTC = ObjectId(1, 3, 1)
SATOSHI_PER_BTC = 10**8
GPX_UNITS = 10**5


def genesis_state(edit: Callable[[dict[str, Any]], None] | None = None) -> ChainState:
    """A chain state from the devnet genesis, after ``edit`` changed its JSON."""
    data = json.loads(devnet_genesis())
    if edit is not None:
        edit(data)
    state = ChainState(Genesis.parse(json.dumps(data).encode()))
    init_genesis(state)
    return state


def btc_entry(data: dict[str, Any]) -> dict[str, Any]:
    (entry,) = data["initial_assets"]
    assert isinstance(entry, dict)
    return entry


def account(state: ChainState, name: str) -> ObjectId:
    found = state.account_by_name(name)
    assert found is not None
    return found.id


def test_devnet_starts_with_btc_held_by_alice_and_bob() -> None:
    state = genesis_state()
    btc = state.asset_by_symbol("BTC")
    assert btc is not None and btc.id == BTC
    assert (btc.precision, state.account(btc.issuer).name) == (8, "gateway")
    assert btc.options.max_supply == MAX_SHARE_SUPPLY and btc.options.flags == 0
    assert btc.options.issuer_permissions == 0x01 | 0x02 | 0x04 | 0x08 | 0x40
    cer = btc.options.core_exchange_rate  # 1 BTC = 100 000 GPX
    assert cer.base == Asset(100, GPX) and cer.quote == Asset(1, BTC)
    assert DEVNET_BTC_BALANCE == 10 * SATOSHI_PER_BTC
    for name, held in {"alice": DEVNET_BTC_BALANCE, "bob": DEVNET_BTC_BALANCE, "carol": 0,
                       "gateway": 0}.items():
        assert state.balance(account(state, name), BTC) == held
    dyn = state.asset_dynamic(btc)
    assert dyn.current_supply == 2 * DEVNET_BTC_BALANCE
    assert dyn.fee_pool == DEVNET_BTC_FEE_POOL_GPX * GPX_UNITS and dyn.accumulated_fees == 0
    core_balances = sum(b.balance for b in state.db.table(AccountBalance) if b.asset_type == GPX)
    # alice, bob, carol and dave 1 000 000 each, gateway 2 000 000, the 11 witnesses 10 000 each
    assert core_balances == (4 * 1_000_000 + 2_000_000 + 11 * 10_000) * GPX_UNITS
    core_supply = state.asset_dynamic(state.asset(GPX)).current_supply
    assert core_supply == core_balances + dyn.fee_pool
    check_invariants(state)


def test_devnet_fees_can_be_paid_in_btc() -> None:
    chain = DevChain()
    pool_before = chain.state.asset_dynamic(chain.state.asset(BTC)).fee_pool
    transfer = Transfer(Asset(20_000, BTC), chain.account_id("alice"), chain.account_id("carol"),
                        Asset(SATOSHI_PER_BTC, BTC))  # 20 000 sat = 20 GPX, the transfer fee
    chain.push([transfer], ["alice"])
    assert chain.balance("alice", BTC) == DEVNET_BTC_BALANCE - SATOSHI_PER_BTC - 20_000
    assert chain.balance("carol", BTC) == SATOSHI_PER_BTC
    dyn = chain.state.asset_dynamic(chain.state.asset(BTC))
    assert dyn.accumulated_fees == 20_000 and dyn.fee_pool == pool_before - 20 * GPX_UNITS


def test_initial_asset_accumulated_fees_count_in_its_supply() -> None:
    def edit(data: dict[str, Any]) -> None:
        btc_entry(data)["accumulated_fees"] = "123"
        del btc_entry(data)["graphex"]

    state = genesis_state(edit)
    btc = state.asset(BTC)
    dyn = state.asset_dynamic(btc)
    assert (dyn.accumulated_fees, dyn.fee_pool) == (123, 0)
    assert dyn.current_supply == 2 * DEVNET_BTC_BALANCE + 123
    cer = btc.options.core_exchange_rate  # the default without the graphex extension: 1/1
    assert cer.base == Asset(1, GPX) and cer.quote == Asset(1, BTC)
    check_invariants(state)


def test_a_genesis_without_initial_assets_has_only_the_core() -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["initial_assets"]
        data["initial_balances"] = [b for b in data["initial_balances"] if b["asset"] == "GPX"]

    state = genesis_state(edit)
    assert [a.symbol for a in state.db.table(type(state.asset(GPX)))] == ["GPX"]
    check_invariants(state)


def set_btc(field: str, value: object) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        btc_entry(data)[field] = value

    return edit


def set_graphex(field: str, value: object) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        btc_entry(data)["graphex"][field] = value

    return edit


def add_balance(owner: str, asset: str, amount: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["initial_balances"].append({"owner": owner, "asset": asset, "amount": amount})

    return edit


def duplicate_btc(data: dict[str, Any]) -> None:
    data["initial_assets"].append(dict(btc_entry(data)))


BAD_GENESES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "market-issued": (set_btc("is_bitasset", True),
                      r"'BTC': market-issued assets .* are not supported in genesis yet"),
    "collateral records": (set_btc("collateral_records", [{"owner": "x", "collateral": 1,
                                                           "debt": 1}]),
                           "market-issued assets"),
    "bad symbol": (set_btc("symbol", "btc"), r"'btc': not a valid asset symbol"),
    "core symbol": (set_btc("symbol", "GPX"), "is the core asset's symbol"),
    "twice": (duplicate_btc, "names initial asset 'BTC' twice"),
    "unknown issuer": (set_btc("issuer_name", "nobody"), r"'BTC': unknown issuer 'nobody'"),
    "precision": (set_btc("precision", 13), r"precision 13 is not in 0\.\.12"),
    "max supply": (set_btc("max_supply", str(MAX_SHARE_SUPPLY + 1)), "max_supply .* is not in"),
    "not an integer": (set_btc("max_supply", "lots"), "'max_supply' must be an integer"),
    "unknown field": (set_btc("flags", 1), r"unknown fields \['flags'\]"),
    "negative fees": (set_btc("accumulated_fees", -1), "accumulated_fees -1 is not in"),
    "zero rate": (set_graphex("core_exchange_rate", {"core_amount": 0, "asset_amount": 1}),
                  "core_exchange_rate amounts must be in"),
    "negative pool": (set_graphex("fee_pool", "-5"), "fee_pool -5 is not in"),
    "unknown extension": (set_graphex("market_fee_percent", 10), "'graphex' must be an object"),
    "unknown asset": (add_balance("carol", "ETH", "1"),
                      "'ETH', which is neither the core asset nor one of initial_assets"),
    "unknown owner": (add_balance("nobody", "BTC", "1"), "balance for unknown account 'nobody'"),
    "negative balance": (add_balance("carol", "BTC", "-1"), "must not be negative"),
    "above max supply": (set_btc("max_supply", str(2 * DEVNET_BTC_BALANCE - 1)),
                         (r"genesis supply of BTC \(20\.00000000 BTC\) exceeds its max_supply "
                          r"19\.99999999 BTC")),
}


@pytest.mark.parametrize("case", sorted(BAD_GENESES))
def test_bad_initial_assets_and_balances_are_refused(case: str) -> None:
    edit, message = BAD_GENESES[case]
    with pytest.raises(GenesisError, match=message):
        genesis_state(edit)
