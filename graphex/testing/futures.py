"""Large futures states for ``graphex bench futures`` and its tests: a devnet at a chosen UTC time
with a user-issued quote asset USD (precision 4), the product GPX/USD (1 000 GPX per lot, tick
value 10: one lot moving 0.000001 USD per GPX is worth 0.0010 USD), and thousands of accounts
holding positions in its front series.

Everything is built from real operations (``account_create``, ``asset_create``,
``asset_fund_fee_pool``, ``asset_issue``, ``futures_product_create``, ``margin_deposit``,
``futures_order_create``) applied straight to the state with :func:`apply_operation` — in bulk,
between blocks, no signatures — so 100 000 positions take a minute rather than an hour; the
positions come from real matches (a short rests, a long takes it), so margins, locks, bands, fee
pool and day statistics are what trading leaves. The mark is set by a small trade in a real block
before the bulk, so the bulk is banded at that mark and no later block has to check every account
for a first mark. What a benchmark times is a real block (:meth:`DevChain.produce`).

The traders pay their fees in USD (core exchange rate 1 : 1, from USD's fee pool), which saves a
GPX transfer to each of them. Prices are ticks of 0.000001 USD per GPX; amounts smallest units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from ..chain.block_apply import slot_time_of
from ..chain.futures.objects import FuturesSeries
from ..chain.genesis import devnet_genesis
from ..chain.tx_apply import apply_operation
from ..protocol.fees import fee_for
from ..protocol.ids import PROXY_TO_SELF_ACCOUNT, ObjectId
from ..protocol.operations import AccountCreate, AssetCreate, AssetFundFeePool, AssetIssue
from ..protocol.operations.base import Operation
from ..protocol.operations.futures import (
    LONG,
    SHORT,
    FuturesOrderCreate,
    FuturesParameters,
    FuturesProductCreate,
    MarginDeposit,
)
from ..protocol.transaction import SignedTransaction
from ..protocol.types import AccountOptions, Asset, AssetOptions, Authority, Price
from .chain import GPX, DevChain

QUOTE_SYMBOL, QUOTE_PRECISION = "USD", 4
USD_UNIT = 10**QUOTE_PRECISION
LOT_GPX = 1_000 * 100_000
"""1 000 GPX per lot (GPX has precision 5): tick value 10 with USD at precision 4."""
TICK_VALUE = 10
MARK = 50_000
"""The mark the bulk trades at: 0.050000 USD per GPX (a lot's notional is 50 USD)."""
ISSUER, MAKER, MOVER = "alice", "bob", "carol"
"""alice registers the traders and issues USD; bob makes the bids that absorb liquidations;
carol's trade moves the mark."""
DEV_GPX_EACH = 10_000_000
"""Whole GPX of each dev account: enough for 100 000 registrations and issues."""
USD_UIA_PERMISSIONS = 0x01 | 0x02 | 0x04 | 0x08 | 0x40
NEW_ASSET = ObjectId(1, 3, 1)
"""asset_create prices its core exchange rate against 1.3.1, standing for the new asset."""
SAFE_DEPOSIT = 250_000
"""Margin of a well-funded trader per lot (25 USD against 2.5 USD maintenance at the mark): its
band lies about 47 % away from the mark."""
AT_RISK_DEPOSIT_PPM = 100_250
"""Margin of a trader near its requirement, per ppm of the notional it opens: the initial margin
(10 %) and the trade fee (0.01 %), plus 0.015 % — its band lies about 5.3 % below the mark."""
LIQUIDATION_DROP = 3_000
"""The mark move (ticks, 6 %) that takes every near-margin long across its band, no other."""
BID_LOTS = 10
"""Lots of each of bob's bids."""


@dataclass
class FuturesState:
    """A chain with the GPX/USD product and its traders (``longs[i]`` traded with ``shorts[i]``)."""

    chain: DevChain
    usd: ObjectId
    product: ObjectId
    front: ObjectId
    month: int
    longs: list[ObjectId] = field(default_factory=list)
    shorts: list[ObjectId] = field(default_factory=list)

    @property
    def series(self) -> FuturesSeries:
        return self.chain.state.db.get(self.front, FuturesSeries)

    @property
    def positions(self) -> int:
        return len(self.longs) + len(self.shorts)


# -- operations applied straight to the state ------------------------------------------------------
def _apply(chain: DevChain, op: Operation, fee_asset: ObjectId = GPX) -> object:
    """Apply ``op`` paying exactly its fee (in GPX, or in USD at 1 : 1), without a block."""
    fee = fee_for(chain.state.params.current_fees, op)
    return apply_operation(chain.state, msgspec.structs.replace(op, fee=Asset(fee, fee_asset)))


def futures_chain(when_s: int) -> DevChain:
    """A devnet whose genesis (head) time is ``when_s``, its dev accounts holding
    :data:`DEV_GPX_EACH` GPX each; invariants are checked by the caller, not after each block."""
    genesis = devnet_genesis(initial_timestamp=when_s, balance_gpx=DEV_GPX_EACH)
    return DevChain(genesis_text=genesis, check=False)


def create_quote(chain: DevChain, fee_pool_gpx: int) -> ObjectId:
    """USD (precision 4, issued by :data:`ISSUER`), its fees payable at 1 unit = 1 GPX unit
    from a fee pool of ``fee_pool_gpx`` whole GPX."""
    issuer = chain.account_id(ISSUER)
    options = AssetOptions(10**15, 0, 0, USD_UIA_PERMISSIONS, 0,
                           Price(Asset(1, GPX), Asset(1, NEW_ASSET)), (), (), (), (),
                           "graphex bench futures quote")
    _apply(chain, AssetCreate(Asset(0, GPX), issuer, QUOTE_SYMBOL, QUOTE_PRECISION, options))
    found = chain.state.asset_by_symbol(QUOTE_SYMBOL)
    assert found is not None
    _apply(chain, AssetFundFeePool(Asset(0, GPX), issuer, found.id, fee_pool_gpx * 100_000))
    return found.id


def list_product(chain: DevChain, usd: ObjectId) -> ObjectId:
    """The GPX/USD product (SPEC §7 defaults), listed by :data:`ISSUER`; its four series list."""
    op = FuturesProductCreate(fee=Asset(0, GPX), owner=chain.account_id(ISSUER), underlying=GPX,
                              quote=usd, parameters=FuturesParameters(contract_size=LOT_GPX))
    result = _apply(chain, op)
    product: ObjectId = result.value  # type: ignore[attr-defined]
    return product


def new_accounts(chain: DevChain, count: int, prefix: str) -> list[ObjectId]:
    """``count`` accounts ``PREFIX-000000``…, registered by :data:`ISSUER`, one shared key."""
    registrar = chain.account_id(ISSUER)
    key = chain.key("futures-bench").public_key
    auth = Authority.single_key(key)
    options = AccountOptions(key, PROXY_TO_SELF_ACCOUNT, 0, 0, ())
    created = []
    for i in range(count):
        name = f"{prefix}-{i:06d}"
        _apply(chain, AccountCreate(Asset(0, GPX), registrar, registrar, 0, name, auth, auth,
                                    options))
        created.append(chain.account_id(name))
    return created


def issue(chain: DevChain, usd: ObjectId, account: ObjectId, amount: int) -> None:
    _apply(chain, AssetIssue(Asset(0, GPX), chain.account_id(ISSUER), Asset(amount, usd), account))


def deposit(chain: DevChain, usd: ObjectId, account: ObjectId, amount: int) -> None:
    """Issue ``amount`` USD and what the account's two futures fees cost, and deposit
    ``amount`` into its margin account."""
    issue(chain, usd, account, amount + 2 * order_fee(chain))
    _apply(chain, MarginDeposit(Asset(0, GPX), account, Asset(amount, usd)), usd)


def order_fee(chain: DevChain) -> int:
    """The core fee of margin_deposit and futures_order_create (paid as as many USD units)."""
    op = FuturesOrderCreate(Asset(0, GPX), chain.account_id(ISSUER), ObjectId(1, 100, 0), 202601,
                            LONG, 1, 1)
    return fee_for(chain.state.params.current_fees, op)


def order(market: FuturesState, account: ObjectId, side: int, lots: int, price: int,
          fee_asset: ObjectId | None = None) -> None:
    op = FuturesOrderCreate(Asset(0, GPX), account, market.product, market.month, side, lots,
                            price)
    _apply(market.chain, op, market.usd if fee_asset is None else fee_asset)


def required_margin(lots: int, price: int, ppm: int) -> int:
    """``ppm`` of the notional of ``lots`` at ``price``, rounded up (quote units)."""
    return -(-lots * price * TICK_VALUE * ppm // 1_000_000)


def open_pairs(market: FuturesState, lots: Sequence[int], prices: Sequence[int],
               long_deposits: Sequence[int], short_deposits: Sequence[int],
               prefix: str = "fut") -> None:
    """New accounts in pairs: pair ``i``'s short rests ``lots[i]`` at ``prices[i]`` and its long
    takes them, each having deposited its margin first."""
    count = len(lots)
    chain, usd = market.chain, market.usd
    longs = new_accounts(chain, count, f"{prefix}-long")
    shorts = new_accounts(chain, count, f"{prefix}-short")
    for i in range(count):
        deposit(chain, usd, shorts[i], short_deposits[i])
        deposit(chain, usd, longs[i], long_deposits[i])
        order(market, shorts[i], SHORT, lots[i], prices[i])
        order(market, longs[i], LONG, lots[i], prices[i])
    market.longs.extend(longs)
    market.shorts.extend(shorts)


def futures_market(when_s: int, traders: int) -> FuturesState:
    """A chain at ``when_s`` with USD, the product, and a first trade (1 lot at :data:`MARK`
    between the dev accounts dave and bob) in a real block, so the front series has its mark."""
    chain = futures_chain(when_s)
    fee_pool_gpx = 1 + traders * 3 * order_fee(chain) // 100_000
    usd = create_quote(chain, fee_pool_gpx)
    product = list_product(chain, usd)
    front = min((s for s in chain.state.db.table(FuturesSeries) if s.product == product),
                key=lambda s: s.delivery_month)
    market = FuturesState(chain, usd, product, front.id, front.delivery_month)
    maker, first = chain.account_id(MAKER), chain.account_id("dave")
    for account in (maker, first, chain.account_id(MOVER)):
        deposit(chain, usd, account, 10_000_000 * USD_UNIT)
    order(market, maker, SHORT, 1, MARK, GPX)
    order(market, first, LONG, 1, MARK, GPX)
    chain.state.applied.reset(chain.state.head_num + 1)  # the setup is not a block's
    chain.produce()
    return market


def bulk_done(market: FuturesState) -> None:
    """Forget the virtual operations the bulk set-up recorded (it is not a block's)."""
    state = market.chain.state
    state.applied.reset(state.head_num + 1)


# -- delivery --------------------------------------------------------------------------------------
def delivery_prices(pairs: int) -> list[int]:
    """Pair ``i`` trades at :data:`MARK` ± up to 5 % in 101 steps (so deliveries have winners
    and losers)."""
    return [MARK + (i % 101 - 50) * 50 for i in range(pairs)]


def build_delivery(positions: int, delivery_month_start_s: int) -> FuturesState:
    """``positions`` positions in the front series, the first trade's two included (half long,
    half short, 1–3 lots each at prices around the mark, every trader well funded), whose
    delivery time is ``delivery_month_start_s`` (00:00:00 UTC on the 1st); the head is the last
    slot before it, so the next block delivers the series and lists the new month."""
    pairs = positions // 2 - 1
    if pairs < 1:
        raise ValueError(f"positions must be at least 4, got {positions}")
    market = futures_market(delivery_month_start_s - 40 * 60, positions)
    if market.series.delivery_time != delivery_month_start_s:
        raise ValueError("delivery_month_start_s must be the front series' delivery time")
    lots = [1 + i % 3 for i in range(pairs)]
    deposits = [SAFE_DEPOSIT * n for n in lots]
    open_pairs(market, lots, delivery_prices(pairs), deposits, deposits)
    bulk_done(market)
    chain = market.chain
    skip = 0
    while slot_time_of(chain.state, skip + 2) < delivery_month_start_s:
        skip += 1
    chain.produce(skip_slots=skip)
    return market


# -- liquidation -----------------------------------------------------------------------------------
@dataclass
class LiquidationSetup:
    """A market whose next block holds :attr:`move`: carol sells 1 lot into bob's best bid
    ``LIQUIDATION_DROP`` ticks below the mark, which takes the ``at_risk`` near-margin longs (the
    first ones) across their bands; bob's bids below absorb their liquidations."""

    market: FuturesState
    at_risk: int
    move: SignedTransaction
    new_mark: int


def build_liquidation(traders: int, at_risk: int, when_s: int) -> LiquidationSetup:
    """``traders`` accounts with one position each, the first trade's two (bob's and dave's)
    included (half long, half short, 1 lot at :data:`MARK`); the first ``at_risk`` longs hold
    only their initial margin, the rest of the traders :data:`SAFE_DEPOSIT`."""
    pairs = traders // 2 - 1
    if not 0 < at_risk <= pairs:
        raise ValueError(f"at_risk must be 1 to {pairs} (the longs), got {at_risk}")
    market = futures_market(when_s, traders)
    chain = market.chain
    at_risk_deposit = required_margin(1, MARK, AT_RISK_DEPOSIT_PPM)
    longs = [at_risk_deposit if i < at_risk else SAFE_DEPOSIT for i in range(pairs)]
    open_pairs(market, [1] * pairs, [MARK] * pairs, longs, [SAFE_DEPOSIT] * pairs)
    new_mark = MARK - LIQUIDATION_DROP
    maker = chain.account_id(MAKER)
    for i in range(at_risk // BID_LOTS + 2):  # from the new mark down, a tick apart
        order(market, maker, LONG, BID_LOTS, new_mark - i, GPX)
    bulk_done(market)
    move_op = FuturesOrderCreate(Asset(0, GPX), chain.account_id(MOVER), market.product,
                                 market.month, SHORT, 1, new_mark)
    fee = fee_for(chain.state.params.current_fees, move_op)
    move = chain.tx([msgspec.structs.replace(move_op, fee=Asset(fee, GPX))], [MOVER])
    return LiquidationSetup(market, at_risk, move, new_mark)
