"""python-bitshares and uptick borrow, adjust, feed and settle the devnet's smartcoin USD on a real
``graphex devnet`` process.

The devnet creates ``USD`` (1.3.2, precision 4, backed by GPX, witness-fed, its owner fixing MCR
1750 and MSSR 1100) in its first blocks and has witnesses init0..init2 publish ≈ 0.05 USD/GPX
(the manual price moved by a deterministic wobble); the tests read the feed from the API rather
than assume it. Units: 1 GPX = 10^5, 1 USD = 10^4.

What the clients compute is float arithmetic (python-bitshares' ``Dex.adjust_debt``: collateral =
debt * ratio / float(feed price), sent as ``int(x * 10^5)``); :func:`pybts_collateral` repeats it
so the operation sent can be checked to the unit, and the chain's bookkeeping (positions, balances,
supply, settle orders) is then checked exactly against what was sent.

Force settlement waits ``force_settlement_delay_sec`` (a day, BitShares' default) before it is
executed: a user who settles sees a settle order (1.4.x) dated a day after the head block time the
transaction was applied at, and the USD leave their balance into it.

Two python-bitshares 0.7.1 behaviours the tests work around (both client-side; BitShares nodes
trigger them the same way):

- its object cache ignores ``full=True`` when the object is already cached: ``Asset("USD",
  full=True)`` after a plain ``Asset("USD")`` (which ``Amount(x, "USD")`` and ``Price(x, "USD/GPX")``
  create) lacks ``bitasset_data``, so ``Dex.borrow`` and ``publish_price_feed`` raise
  ``KeyError: 'bitasset_data'``. In-process the tests load the full asset first; for uptick (a new
  process per command, where ``borrow`` and ``newfeed`` always hit it; the test shows they fail)
  the ``sitecustomize.py`` can make ``Asset(..., full=True)`` refresh such a cached copy —
  :data:`FULL_ASSET_FIX`, used for those two commands only;
- the cache keeps objects for 60 s, so an account read just before a change is served stale after
  it; the tests start from an empty cache before reading a position they changed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from bitshares import BitShares
from bitshares.amount import Amount
from bitshares.asset import Asset
from bitshares.dex import Dex
from bitshares.instance import SharedInstance
from bitshares.price import Price
from bitsharesbase.chains import known_chains
from framework import TIMEOUT_FACTOR, DevnetProcess, wait_until
from graphenebase import ecdsa as gph_ecdsa
from graphenecommon.blockchainobject import Caching, ObjectCacheInMemory
from graphenestorage import InRamConfigurationStore
from test_pybts_market import UPTICK, UPTICK_TIMEOUT_S, Uptick, table_rows

from graphex.chain.genesis import devnet_key

pytestmark = pytest.mark.functional

GPX, USD = "1.3.0", "1.3.2"
USD_DATA = "2.4.0"
GPX_START = 1_000_000 * 10**5
SETTLE_DELAY_S = 86400
MCR, MSSR = 1750, 1100  # fixed by the asset's owner (bitasset options extensions)
FULL_ASSET_FIX = (
    "import graphenecommon.asset\n"
    "_init = graphenecommon.asset.Asset.__init__\n"
    "def _init_full(self, *args, **kwargs):\n"
    "    _init(self, *args, **kwargs)\n"
    "    if self.full and 'dynamic_asset_data' not in dict.keys(self):\n"
    "        self.refresh()  # a cached plain copy: fetch the bitasset and dynamic data too\n"
    "if os.environ.get('GRAPHEX_PYBTS_FULL_ASSET_FIX') == '1':\n"
    "    graphenecommon.asset.Asset.__init__ = _init_full\n"
)
"""Appended to uptick's ``sitecustomize.py``: ``Asset(..., full=True)`` honoured on a cache hit."""


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[DevnetProcess]:
    """A devnet whose USD is fed (its witnesses' first feeds are in)."""
    node = DevnetProcess(tmp_path / "devnet")
    try:
        node.start()
        wait_until(lambda: fed(node, "USD") and fed(node, "CNY"), 30, "the devnet's first feeds")
        yield node
    except BaseException:
        print(node.log.read_text(errors="replace")[-4000:])
        raise
    finally:
        node.stop()


@pytest.fixture
def bitshares(devnet: DevnetProcess, monkeypatch: pytest.MonkeyPatch) -> BitShares:
    monkeypatch.setattr(gph_ecdsa, "SECP256K1_MODULE", "ecdsa")
    chain_id = devnet.rpc("get_chain_properties")["chain_id"]
    monkeypatch.setitem(known_chains, "GPX",
                        {"chain_id": chain_id, "core_symbol": "GPX", "prefix": "GPX"})
    client = BitShares(node=f"ws://127.0.0.1:{devnet.port}",
                       keys=[devnet_key(n).to_wif() for n in ("alice", "init0", "init1")],
                       blocking=True, config_store=InRamConfigurationStore(), num_retries=0)
    empty_cache(monkeypatch)
    # Dex.list_debt_positions reads the ticker through a Market built without the instance
    monkeypatch.setattr(SharedInstance, "instance", client)
    return client


def empty_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-bitshares' object cache (one class attribute for the process), emptied; undone at
    the end of the test."""
    monkeypatch.setattr(Caching, "_cache", ObjectCacheInMemory())


def load_usd(bitshares: BitShares, monkeypatch: pytest.MonkeyPatch) -> Asset:
    """USD with its bitasset data, into an empty cache, so that python-bitshares' later
    ``Asset("USD", full=True)`` finds the full copy (see the module docstring)."""
    empty_cache(monkeypatch)
    return Asset("USD", full=True, blockchain_instance=bitshares)


# -- reading the chain -----------------------------------------------------------------------------
def current_feed(devnet: DevnetProcess, symbol: str) -> dict[str, Any] | None:
    """The smartcoin's current feed price, or None while it has none (or no such asset yet)."""
    (asset,) = devnet.rpc("lookup_asset_symbols", [symbol])
    if asset is None:
        return None
    (data,) = devnet.rpc("get_objects", [asset["bitasset_data_id"]])
    price: dict[str, Any] = data["current_feed"]["settlement_price"]
    return price if price["base"]["amount"] else None


def fed(devnet: DevnetProcess, symbol: str) -> bool:
    return current_feed(devnet, symbol) is not None


def usd_data(devnet: DevnetProcess) -> dict[str, Any]:
    (data,) = devnet.rpc("get_objects", [USD_DATA])
    assert data["asset_id"] == USD
    return data  # type: ignore[no-any-return]


def feed_price(devnet: DevnetProcess) -> tuple[int, int]:
    """The current feed: (USD units, GPX units)."""
    price = usd_data(devnet)["current_feed"]["settlement_price"]
    assert (price["base"]["asset_id"], price["quote"]["asset_id"]) == (USD, GPX)
    return int(price["base"]["amount"]), int(price["quote"]["amount"])


def balances(devnet: DevnetProcess, name: str) -> tuple[int, int]:
    """(GPX, USD) held by ``name``, in units."""
    gpx, usd = devnet.rpc("get_account_balances", name, [GPX, USD])
    return int(gpx["amount"]), int(usd["amount"])


def position(devnet: DevnetProcess, name: str) -> dict[str, Any]:
    """``name``'s USD position, as get_call_orders lists it (checked to be the only one)."""
    owner = devnet.rpc("get_account_by_name", name)["id"]
    (found,) = [c for c in devnet.rpc("get_call_orders", "USD", 100) if c["borrower"] == owner]
    assert devnet.rpc("get_call_orders_by_account", name, USD, 10) == [found]
    return found  # type: ignore[no-any-return]


def supply(devnet: DevnetProcess) -> int:
    (dynamic,) = devnet.rpc("get_objects", ["2.3.2"])
    return int(dynamic["current_supply"])


def applied_at(devnet: DevnetProcess, tx: dict[str, Any]) -> datetime:
    """The head block time a confirmed transaction was applied at: the timestamp of the block
    before the one that holds it (a devnet applies a transaction on top of its head)."""
    header = devnet.rpc("get_block_header", tx["block_num"] - 1)
    return datetime.fromisoformat(header["timestamp"])


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def only_op(tx: dict[str, Any], op_id: int) -> dict[str, Any]:
    ((kind, op),) = tx["operations"]
    assert kind == op_id and tx["block_num"] > 0
    return op  # type: ignore[no-any-return]


def units(amount: dict[str, Any], asset_id: str) -> int:
    assert amount["asset_id"] == asset_id
    return int(amount["amount"])


# -- what python-bitshares computes ----------------------------------------------------------------
def pybts_price(feed: tuple[int, int]) -> float:
    """float(Price(settlement_price)): USD per GPX from the feed's units."""
    return (feed[0] / 10**4) / (feed[1] / 10**5)


def pybts_collateral(debt_units: int, ratio: float, feed: tuple[int, int],
                     held_units: int = 0) -> int:
    """The delta_collateral ``Dex.adjust_debt`` sends for a position of ``debt_units`` at
    ``ratio`` that holds ``held_units`` of collateral (its float arithmetic, step by step)."""
    needed = (debt_units / 10**4) * ratio / pybts_price(feed) - held_units / 10**5
    sent = int(needed * 10**5)
    exact = Fraction(debt_units * feed[1], feed[0]) * Fraction(ratio) - held_units
    assert abs(sent - exact) < 2, (sent, exact)  # float noise only
    return sent


# -- python-bitshares ------------------------------------------------------------------------------
def test_pybts_borrow_adjust_feed_and_settle(devnet: DevnetProcess, bitshares: BitShares,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    alice = devnet.rpc("get_account_by_name", "alice")["id"]
    feed = feed_price(devnet)
    assert 0.048 <= pybts_price(feed) <= 0.052  # 0.05 USD/GPX ± 2 %
    base = supply(devnet)  # the devnet's futures traders (carol, dave) borrowed USD for margin
    assert balances(devnet, "alice") == (GPX_START, 0)

    # the asset and its feed as python-bitshares shows them
    usd = load_usd(bitshares, monkeypatch)
    assert usd.is_bitasset and usd["id"] == USD and usd["precision"] == 4
    assert usd["bitasset_data"]["options"]["short_backing_asset"] == GPX
    assert float(usd.feed["settlement_price"]) == pytest.approx(pybts_price(feed))
    assert (usd.feed["maintenance_collateral_ratio"], usd.feed["maximum_short_squeeze_ratio"]) \
        == (MCR, MSSR)
    assert sorted(f["producer"]["name"] for f in usd.feeds) == ["init0", "init1", "init2"]

    # 1. alice borrows 100 USD at collateral ratio 2.5
    dex = Dex(blockchain_instance=bitshares)
    tx = dex.borrow(Amount(100, "USD", blockchain_instance=bitshares), collateral_ratio=2.5,
                    account="alice")
    op = only_op(tx, 3)
    collateral = pybts_collateral(1_000_000, 2.5, feed)
    assert units(op["delta_debt"], USD) == 1_000_000
    assert units(op["delta_collateral"], GPX) == collateral
    assert op["extensions"] == {}
    ((kind, call_id),) = tx["operation_results"]
    assert kind == 1 and call_id.startswith("1.8.")
    borrow_fee = units(op["fee"], GPX)
    assert position(devnet, "alice") == {
        "id": call_id, "borrower": alice, "collateral": collateral, "debt": 1_000_000,
        "call_price": {"base": {"amount": 1, "asset_id": GPX},
                       "quote": {"amount": 1, "asset_id": USD}}}
    assert balances(devnet, "alice") == (GPX_START - collateral - borrow_fee, 1_000_000)
    assert supply(devnet) == base + 1_000_000
    full = dict(devnet.rpc("get_full_accounts", ["alice"], False))["alice"]
    assert [c["id"] for c in full["call_orders"]] == [call_id]

    # python-bitshares lists the position (from an empty cache: its copy of alice is stale)
    load_usd(bitshares, monkeypatch)
    (listed,) = dex.list_debt_positions("alice").items()
    symbol, debt = listed
    assert symbol == "USD"
    assert round(float(debt["debt"]) * 10**4) == 1_000_000
    assert round(float(debt["collateral"]) * 10**5) == collateral
    assert float(debt["settlement_price"]) == pytest.approx(pybts_price(feed))

    # 2. alice raises the ratio to 3.0 and tags the position with a target ratio of 2.2, which
    #    python-bitshares sends as int(2.2 * 100) = 220 (core's unit is 1/1000; core takes any
    #    value and uses max(target, MCR), so 220 acts as the MCR)
    load_usd(bitshares, monkeypatch)
    tx = dex.adjust_collateral_ratio("USD", 3.0, account="alice", target_collateral_ratio=2.2)
    op = only_op(tx, 3)
    added = pybts_collateral(1_000_000, 3.0, feed, held_units=collateral)
    assert units(op["delta_collateral"], GPX) == added and units(op["delta_debt"], USD) == 0
    assert op["extensions"] == {"target_collateral_ratio": 220}
    assert position(devnet, "alice") == {
        "id": call_id, "borrower": alice, "collateral": collateral + added, "debt": 1_000_000,
        "call_price": {"base": {"amount": 1, "asset_id": GPX},
                       "quote": {"amount": 1, "asset_id": USD}},
        "target_collateral_ratio": 220}
    adjust_fee = units(op["fee"], GPX)
    assert balances(devnet, "alice") == \
        (GPX_START - collateral - added - borrow_fee - adjust_fee, 1_000_000)

    # 3. witnesses init0 and init1 publish 0.0512 USD/GPX with python-bitshares' defaults: MCR
    #    200 % and MSSR 110 %, sent ×10; the CER defaults to the price / 0.95. 0.0512 USD/GPX is
    #    16 USD units per 3125 GPX units; the CER 0.0512/0.95 = 64/11875.
    settlement = {"base": {"amount": 16, "asset_id": USD}, "quote": {"amount": 3125, "asset_id": GPX}}
    cer = {"base": {"amount": 64, "asset_id": USD}, "quote": {"amount": 11875, "asset_id": GPX}}
    load_usd(bitshares, monkeypatch)
    for witness in ("init0", "init1"):
        tx = bitshares.publish_price_feed(
            "USD", Price(0.0512, "USD/GPX", blockchain_instance=bitshares), account=witness)
        op = only_op(tx, 19)
        assert op["publisher"] == devnet.rpc("get_account_by_name", witness)["id"]
        assert op["feed"] == {"settlement_price": settlement, "maintenance_collateral_ratio": 2000,
                              "maximum_short_squeeze_ratio": 1100, "core_exchange_rate": cer}
        published = iso(applied_at(devnet, tx))
        stored = dict(usd_data(devnet)["feeds"])[op["publisher"]]
        # stored with the initial collateral ratio, which defaults to the feed's MCR
        assert stored == [published, {**op["feed"], "initial_collateral_ratio": 2000}]
    # the median of three feeds is the two new ones' price and CER; the owner's MCR and MSSR
    # replace the medians of theirs, the ICR median (2000) stays: above the MCR, it sets the
    # initial collateralization
    data = usd_data(devnet)
    assert data["median_feed"] == data["current_feed"] == {
        "settlement_price": settlement, "maintenance_collateral_ratio": MCR,
        "maximum_short_squeeze_ratio": MSSR, "core_exchange_rate": cer,
        "initial_collateral_ratio": 2000}
    # ~feed * 1750/1000 = 3125/16 * 7/4 = 21875/64 GPX units per USD unit; * 2 = 3125/8
    assert data["current_maintenance_collateralization"] == {
        "base": {"amount": 21875, "asset_id": GPX}, "quote": {"amount": 64, "asset_id": USD}}
    assert data["current_initial_collateralization"] == {
        "base": {"amount": 3125, "asset_id": GPX}, "quote": {"amount": 8, "asset_id": USD}}
    # the asset's own core exchange rate follows the feed's
    wait_until(lambda: devnet.rpc("get_objects", [USD])[0]["options"]["core_exchange_rate"] == cer,
               10, "the CER update")
    usd = load_usd(bitshares, monkeypatch)
    assert float(usd.feed["settlement_price"]) == pytest.approx(0.0512)

    # 4. alice force-settles 10 USD: a settle order, executed no sooner than a day later
    gpx_before = balances(devnet, "alice")[0]
    tx = bitshares.asset_settle(Amount(10, "USD", blockchain_instance=bitshares), account="alice")
    op = only_op(tx, 17)
    assert units(op["amount"], USD) == 100_000
    ((kind, outcome),) = tx["operation_results"]
    assert kind == 5 and outcome == {"new_objects": ["1.4.0"]}  # extendable_operation_result
    due = iso(applied_at(devnet, tx) + timedelta(seconds=SETTLE_DELAY_S))
    order = {"id": "1.4.0", "owner": alice, "balance": {"amount": 100_000, "asset_id": USD},
             "settlement_date": due}
    assert devnet.rpc("get_settle_orders", "USD", 10) == [order]
    assert devnet.rpc("get_settle_orders_by_account", "alice", "1.4.0", 10) == [order]
    full = dict(devnet.rpc("get_full_accounts", ["alice"], False))["alice"]
    assert full["settle_orders"] == [order]
    assert balances(devnet, "alice") == (gpx_before - units(op["fee"], GPX), 900_000)
    assert supply(devnet) == base + 1_000_000  # nothing burned until it executes
    assert position(devnet, "alice")["debt"] == 1_000_000
    (pending,) = usd.get_settle_orders(10)
    assert pending["account"]["name"] == "alice" and float(pending["amount"]) == 10
    assert pending["date"] == datetime.fromisoformat(due).replace(tzinfo=None)


# -- uptick ----------------------------------------------------------------------------------------
class SmartcoinUptick(Uptick):
    """:class:`Uptick` whose ``sitecustomize.py`` also carries :data:`FULL_ASSET_FIX`, switched on
    for the commands run inside ``with uptick.full_asset_fix():``."""

    def __init__(self, home: Path, devnet: DevnetProcess) -> None:
        super().__init__(home, devnet)
        site = home / "site" / "sitecustomize.py"
        site.write_text(site.read_text() + FULL_ASSET_FIX)
        self.env["GRAPHEX_PYBTS_FULL_ASSET_FIX"] = "0"

    @contextmanager
    def full_asset_fix(self) -> Iterator[None]:
        self.env["GRAPHEX_PYBTS_FULL_ASSET_FIX"] = "1"
        try:
            yield
        finally:
            self.env["GRAPHEX_PYBTS_FULL_ASSET_FIX"] = "0"

    def failing(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A command expected to fail: its outcome."""
        assert UPTICK is not None
        done = subprocess.run([UPTICK, "--node", self.node, *args], env=self.env, cwd=self.home,
                              capture_output=True, text=True, check=False,
                              timeout=UPTICK_TIMEOUT_S * TIMEOUT_FACTOR)
        assert done.returncode != 0, done.stdout
        return done


def feed_rows(out: str, symbol: str) -> dict[str, list[str]]:
    """``uptick feeds``' rows by producer: [active, date, price, CER, MCR, MSSR, delta]."""
    return {row[1]: row[2:] for row in table_rows(out) if row[0] == symbol}


def price_text(units: tuple[int, int], symbol: str) -> str:
    """A feed price as python-bitshares prints it (digits: both precisions)."""
    return f"{pybts_price(units):.9f} {symbol}/GPX"


def gpx_text(amount: int) -> str:
    return f"{amount / 10**5:,.5f} GPX"


def test_uptick_feeds_newfeed_borrow_updateratio_settle(devnet: DevnetProcess,
                                                         tmp_path: Path) -> None:
    assert UPTICK is not None, "uptick is not installed (pip install -e '.[dev]')"
    uptick = SmartcoinUptick(tmp_path / "uptick-home", devnet)
    uptick("addkey", devnet_key("bob").to_wif(), devnet_key("init1").to_wif())
    bob = devnet.rpc("get_account_by_name", "bob")["id"]
    init1 = devnet.rpc("get_account_by_name", "init1")["id"]

    # the feeds tables: init0..init2 at the devnet's prices (≈ 0.05 USD and 0.35 CNY per GPX),
    # the other witnesses missing
    feed = feed_price(devnet)
    for symbol, low, high in (("USD", 0.049, 0.051), ("CNY", 0.343, 0.357)):
        price = current_feed(devnet, symbol)
        assert price is not None
        units_ = (int(price["base"]["amount"]), int(price["quote"]["amount"]))
        assert low <= pybts_price(units_) <= high
        rows = feed_rows(uptick("feeds", symbol), symbol)
        assert sorted(rows) == sorted(f"init{i}" for i in range(11))
        for name in ("init0", "init1", "init2"):
            active, _date, shown, _cer, mcr, mssr, _delta = rows[name]
            assert (active, shown, mcr, mssr) == ("X", price_text(units_, symbol), "175.0",
                                                  "110.0")
        assert rows["init5"][2:6] == ["missing"] * 4

    # python-bitshares 0.7.1 alone cannot load the asset's bitasset data for newfeed or borrow
    for command in (("newfeed", "USD", "0.0488", "USD/GPX", "--account", "init1"),
                    ("borrow", "50", "USD", "--ratio", "2.5", "--account", "bob")):
        broken = uptick.failing("--blocking", *command)
        assert "KeyError: 'bitasset_data'" in broken.stderr, broken.stderr

    # init1 publishes 0.0488 USD/GPX (= 61 USD units per 12500 GPX units; CER / 0.95: 61/11875)
    # with uptick's defaults, MCR 200 % and MSSR 110 %
    with uptick.full_asset_fix():
        tx = uptick.tx("newfeed", "USD", "0.0488", "USD/GPX", "--account", "init1")
    op = only_op(tx, 19)
    sent = {"settlement_price": {"base": {"amount": 61, "asset_id": USD},
                                 "quote": {"amount": 12500, "asset_id": GPX}},
            "maintenance_collateral_ratio": 2000, "maximum_short_squeeze_ratio": 1100,
            "core_exchange_rate": {"base": {"amount": 61, "asset_id": USD},
                                   "quote": {"amount": 11875, "asset_id": GPX}}}
    assert op["publisher"] == init1 and op["feed"] == sent
    published = applied_at(devnet, tx)
    assert dict(usd_data(devnet)["feeds"])[init1] == \
        [iso(published), {**sent, "initial_collateral_ratio": 2000}]
    row = feed_rows(uptick("feeds", "USD"), "USD")["init1"]
    assert row[:6] == ["X", str(published), "0.048800000 USD/GPX",
                       price_text((61, 11875), "USD"), "200.0", "110.0"]
    # the median is still the devnet's price (init0's and init2's)
    assert feed_price(devnet) == feed

    # bob borrows 50 USD at ratio 2.5, then moves to 3.5 (updateratio works as it is)
    with uptick.full_asset_fix():
        tx = uptick.tx("borrow", "50", "USD", "--ratio", "2.5", "--account", "bob")
    op = only_op(tx, 3)
    collateral = pybts_collateral(500_000, 2.5, feed)
    assert (units(op["delta_debt"], USD), units(op["delta_collateral"], GPX)) == \
        (500_000, collateral)
    ((_, call_id),) = tx["operation_results"]
    assert position(devnet, "bob") == {
        "id": call_id, "borrower": bob, "collateral": collateral, "debt": 500_000,
        "call_price": {"base": {"amount": 1, "asset_id": GPX},
                       "quote": {"amount": 1, "asset_id": USD}}}
    fees = units(op["fee"], GPX)

    tx = uptick.tx("updateratio", "USD", "--ratio", "3.5", "--account", "bob")
    op = only_op(tx, 3)
    added = pybts_collateral(500_000, 3.5, feed, held_units=collateral)
    assert (units(op["delta_debt"], USD), units(op["delta_collateral"], GPX)) == (0, added)
    assert position(devnet, "bob")["collateral"] == collateral + added
    fees += units(op["fee"], GPX)
    assert balances(devnet, "bob") == (GPX_START - collateral - added - fees, 500_000)
    # uptick's table of bob's positions
    assert ["50.0000 USD", gpx_text(collateral + added)] in \
        [row[:2] for row in table_rows(uptick("calls", "bob"))]

    # bob force-settles 5 USD (settle works as it is): a settle order due a day later
    tx = uptick.tx("settle", "5", "USD", "--account", "bob")
    op = only_op(tx, 17)
    assert units(op["amount"], USD) == 50_000
    assert tx["operation_results"] == [[5, {"new_objects": ["1.4.0"]}]]
    due = applied_at(devnet, tx) + timedelta(seconds=SETTLE_DELAY_S)
    assert devnet.rpc("get_settle_orders", "USD", 10) == [
        {"id": "1.4.0", "owner": bob, "balance": {"amount": 50_000, "asset_id": USD},
         "settlement_date": iso(due)}]
    fees += units(op["fee"], GPX)
    assert balances(devnet, "bob") == (GPX_START - collateral - added - fees, 450_000)
    assert ["bob", "5.0000 USD", str(due)] in \
        table_rows(uptick("settlements", "USD"))
