"""Operation builders: names and decimal amounts in, operation structs out (fee zero; the client
sets it from ``get_required_fees`` when broadcasting).

Conventions, as BitShares' clients (python-bitshares, uptick):

- Amounts are text ``"<number> <SYMBOL>"`` converted exactly by the asset's precision; more
  decimals than the precision are refused (:class:`~graphex.client.errors.AmountError`).
- ``buy(account, "0.3 BTC", "33333.33333 GPX")``: buy 0.3 BTC (the quote) paying at most
  33333.33333 GPX (the base) per BTC: sells ``amount × price`` GPX, rounded **down** to a GPX
  unit, for exactly 0.3 BTC. ``sell`` sells exactly the amount for ``amount × price`` of the base,
  rounded **up**. Either way the order's price is never worse than the one asked.
- Prices of feeds are text ``"<number> <A>/<B>"``: that many A per one B (``"0.05 USD/GPX"`` or
  ``"20 GPX/USD"``), oriented as the chain wants (smartcoin / backing asset).
- Ratios (collateral, MCR, MSSR) are decimal text (``"1.75"``), stored per mille where the chain
  keeps per mille; more than three decimals are refused.
- Futures (``docs/futures.md``): prices are decimal text of quote per whole underlying, turned
  into ticks of 10^-6 by :func:`futures_price_ticks`, which **cuts** (never rounds) decimals
  beyond six, as the seed says, and tells the caller it did; rates are percent text (``"10"``
  or ``"0.01%"``, at most four decimals) stored in ppm; a series is named by its product and
  delivery month (``"GPX/USD 2026-12"``, ``"GPX/USD:202612"``, ``"1.100.0 2026-12"``) or by its
  id (``1.101.N``).
"""

from __future__ import annotations

import secrets
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import msgspec

from ..protocol.bitasset import PriceFeed
from ..protocol.codec import JsonFormError, parse_time
from ..protocol.ids import PROXY_TO_SELF_ACCOUNT, ObjectId
from ..protocol.keys import PublicKey
from ..protocol.memo import encrypt_memo
from ..protocol.operations import (
    AccountCreate,
    AssetPublishFeed,
    AssetPublishFeedExtensions,
    AssetSettle,
    CallOrderUpdate,
    CallOrderUpdateOptions,
    FuturesOrderCancel,
    FuturesOrderCreate,
    FuturesParameters,
    FuturesProductCreate,
    FuturesProductUpdate,
    LimitOrderCancel,
    LimitOrderCreate,
    MarginDeposit,
    MarginWithdraw,
    OpWrapper,
    ProposalCreate,
    ProposalUpdate,
    Transfer,
)
from ..protocol.operations.futures import (
    PRICE_DECIMALS,
)
from ..protocol.operations.market import MAX_EXPIRATION
from ..protocol.struct import from_json
from ..protocol.types import MAX_SHARE_SUPPLY, AccountOptions, Asset, Authority, Price
from .amounts import parse_decimal, split_amount, to_units
from .errors import AmountError, ClientError, KeyMissing
from .futures_text import (
    FUTURES_RATES,
    MARK_SOURCES,
    futures_flags,
    futures_price_ticks,
    futures_side,
    percent_ppm,
    smallest_contract_text,
    tick_value,
)

if TYPE_CHECKING:
    from .client import AssetInfo, AsyncClient, OpLike

ZERO_FEE = Asset(0, ObjectId(1, 3, 0))
DEFAULT_PROPOSAL_LIFETIME_S = 3600


def permille(text: str, what: str) -> int:
    """``"1.75"`` → ``1750``."""
    value = parse_decimal(text, what) * 1000
    if value.denominator != 1 or value <= 0:
        raise AmountError(f"{what} {text} must be positive with at most three decimals")
    return value.numerator


def _fits(value: Fraction, what: str) -> Fraction:
    if value.numerator > MAX_SHARE_SUPPLY or value.denominator > MAX_SHARE_SUPPLY:
        raise AmountError(f"{what} cannot be expressed exactly as a chain price (terms above "
                          f"{MAX_SHARE_SUPPLY}); give fewer digits")
    return value


INT64_MAX = (1 << 63) - 1


class OperationBuilder:
    """``client.ops``: one method per operation, resolving names and amounts over the API."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def _id(self, account: str) -> ObjectId:
        return await self.client.account_id(account)

    async def _head_time(self) -> int:
        return parse_time((await self.client.dynamic_globals())["time"])

    # -- transfers -----------------------------------------------------------------------------
    async def transfer(self, from_account: str, to_account: str, amount: str,
                       memo: str | None = None) -> Transfer:
        """A transfer; ``memo`` is encrypted with the sender's memo key (which must be held)."""
        sender = await self.client.account(from_account)
        receiver = await self.client.account(to_account)
        encrypted = None
        if memo is not None:
            prefix = await self.client.prefix()
            from_pub = PublicKey.from_text(sender["options"]["memo_key"], prefix)
            key = self.client.keys.get(from_pub.data)
            if key is None:
                raise KeyMissing(f"a memo needs {sender['name']}'s memo key "
                                 f"{from_pub.to_text(prefix)}, which is not held")
            to_pub = PublicKey.from_text(receiver["options"]["memo_key"], prefix)
            encrypted = encrypt_memo(key, to_pub, secrets.randbits(64), memo)
        return Transfer(ZERO_FEE, ObjectId.parse(sender["id"]), ObjectId.parse(receiver["id"]),
                        await self.client.amount(amount), encrypted)

    # -- the DEX -------------------------------------------------------------------------------
    async def limit_order(self, seller: str, sell: str, receive: str, *,
                          expiration_s: int | None = None,
                          fill_or_kill: bool = False) -> LimitOrderCreate:
        """Sell exactly ``sell`` for at least ``receive``; ``expiration_s`` after the head block
        (never expiring by default)."""
        expiration = MAX_EXPIRATION if expiration_s is None else \
            await self._head_time() + expiration_s
        return LimitOrderCreate(ZERO_FEE, await self._id(seller), await self.client.amount(sell),
                                await self.client.amount(receive), expiration, fill_or_kill)

    async def _order_sides(self, amount: str, price: str) -> tuple[Asset, Any, Fraction]:
        quote_amount = await self.client.amount(amount)
        number, base_symbol = split_amount(price)
        base = await self.client.asset(base_symbol)
        quote = await self.client.asset(str(quote_amount.asset_id))
        if base.id == quote.id:
            raise AmountError(f"price {price} is in the asset being traded")
        value = parse_decimal(number, "price")
        if value <= 0:
            raise AmountError(f"price {price} must be positive")
        base_units = Fraction(quote_amount.amount, 10**quote.precision) * value \
            * 10**base.precision
        return quote_amount, base, base_units

    async def buy(self, account: str, amount: str, price: str, **options: Any
                  ) -> LimitOrderCreate:
        """Buy ``amount`` of the quote at ``price`` (base per quote) or better."""
        quote_amount, base, base_units = await self._order_sides(amount, price)
        to_sell = base_units.numerator // base_units.denominator
        if to_sell <= 0:
            raise AmountError(f"{amount} at {price} is less than one unit of {base.symbol}")
        return await self._order(account, Asset(to_sell, base.id), quote_amount, **options)

    async def sell(self, account: str, amount: str, price: str, **options: Any
                   ) -> LimitOrderCreate:
        """Sell ``amount`` of the quote at ``price`` (base per quote) or better."""
        quote_amount, base, base_units = await self._order_sides(amount, price)
        to_receive = -(-base_units.numerator // base_units.denominator)
        return await self._order(account, quote_amount, Asset(to_receive, base.id), **options)

    async def _order(self, account: str, sell: Asset, receive: Asset, *,
                     expiration_s: int | None = None, fill_or_kill: bool = False
                     ) -> LimitOrderCreate:
        expiration = MAX_EXPIRATION if expiration_s is None else \
            await self._head_time() + expiration_s
        return LimitOrderCreate(ZERO_FEE, await self._id(account), sell, receive, expiration,
                                fill_or_kill)

    async def cancel(self, account: str, order_id: str) -> LimitOrderCancel:
        return LimitOrderCancel(ZERO_FEE, await self._id(account), ObjectId.parse(order_id))

    # -- smartcoins ----------------------------------------------------------------------------
    async def call_order_update(self, account: str, delta_collateral: str, delta_debt: str, *,
                                target_ratio: str | None = None) -> CallOrderUpdate:
        """Change a debt position by signed amounts (``"-10 USD"`` repays 10 USD)."""
        tcr = None if target_ratio is None else permille(target_ratio, "target collateral ratio")
        return CallOrderUpdate(ZERO_FEE, await self._id(account),
                               await self.client.amount(delta_collateral, signed=True),
                               await self.client.amount(delta_debt, signed=True),
                               CallOrderUpdateOptions(tcr))

    async def borrow(self, account: str, amount: str, *, collateral: str | None = None,
                     ratio: str | None = None, target_ratio: str | None = None
                     ) -> CallOrderUpdate:
        """Borrow ``amount`` more of a smartcoin (negative repays), adding ``collateral``, or
        with ``ratio`` bringing the whole position to that collateral ratio at the current
        feed (collateral rounded up)."""
        debt = await self.client.amount(amount, signed=True)
        debt_asset = await self.client.asset(str(debt.asset_id))
        data = await self.client.bitasset(debt_asset.symbol)
        backing = await self.client.asset(data["options"]["short_backing_asset"])
        if (collateral is None) == (ratio is None):
            raise ClientError("borrow needs exactly one of collateral and ratio")
        if collateral is not None:
            delta = await self.client.amount(collateral, signed=True)
        else:
            assert ratio is not None
            delta = await self._delta_for_ratio(account, debt, backing.id, data, ratio)
        tcr = None if target_ratio is None else permille(target_ratio, "target collateral ratio")
        return CallOrderUpdate(ZERO_FEE, await self._id(account), delta, debt,
                               CallOrderUpdateOptions(tcr))

    async def _delta_for_ratio(self, account: str, debt: Asset, backing: ObjectId,
                               data: dict[str, Any], ratio: str) -> Asset:
        settlement = data["current_feed"]["settlement_price"]
        base, quote = settlement["base"], settlement["quote"]
        if int(base["amount"]) == 0 or int(quote["amount"]) == 0:
            raise ClientError("the smartcoin has no price feed yet; give the collateral instead")
        if base["asset_id"] == str(debt.asset_id):  # debt per collateral
            per_debt = Fraction(int(quote["amount"]), int(base["amount"]))
        else:
            per_debt = Fraction(int(base["amount"]), int(quote["amount"]))
        old_debt = old_collateral = 0
        for position in await self.client.account_call_orders(account):
            if position["call_price"]["quote"]["asset_id"] == str(debt.asset_id) or \
                    position["call_price"]["base"]["asset_id"] == str(debt.asset_id):
                old_debt, old_collateral = int(position["debt"]), int(position["collateral"])
        wanted = (old_debt + debt.amount) * per_debt * parse_decimal(ratio, "collateral ratio")
        new_collateral = -(-wanted.numerator // wanted.denominator)
        return Asset(new_collateral - old_collateral, backing)

    async def settle(self, account: str, amount: str) -> AssetSettle:
        """Ask to settle ``amount`` of a smartcoin for its backing asset."""
        return AssetSettle(ZERO_FEE, await self._id(account), await self.client.amount(amount))

    async def feed_price(self, text: str, smartcoin: str, other: str) -> Price:
        """``"0.05 USD/GPX"`` (or ``"20 GPX/USD"``) as a price smartcoin/``other``."""
        number, pair = split_amount(text)
        symbols = pair.split("/")
        if len(symbols) != 2:
            raise AmountError(f"price {text!r} is not '<number> <A>/<B>' (as '0.05 USD/GPX')")
        a, b = await self.client.asset(symbols[0]), await self.client.asset(symbols[1])
        coin, rest = await self.client.asset(smartcoin), await self.client.asset(other)
        if {a.id, b.id} != {coin.id, rest.id}:
            raise AmountError(f"price {text!r} is not a price of {coin.symbol} in {rest.symbol}")
        value = parse_decimal(number, "price")
        if value <= 0:
            raise AmountError(f"price {text!r} must be positive")
        units = _fits(value * 10**a.precision / 10**b.precision, f"price {text!r}")
        if a.id != coin.id:
            units = 1 / units
        return Price(Asset(units.numerator, coin.id), Asset(units.denominator, rest.id))

    async def publish_feed(self, publisher: str, asset: str, price: str, *, mcr: str = "1.75",
                           mssr: str = "1.10", cer: str | None = None,
                           icr: str | None = None) -> AssetPublishFeed:
        """A feed for smartcoin ``asset``: ``price`` in it and its backing asset; the core
        exchange rate ``cer`` defaults to the price when the backing asset is the core asset."""
        coin = await self.client.asset(asset)
        data = await self.client.bitasset(coin.symbol)
        backing = await self.client.asset(data["options"]["short_backing_asset"])
        settlement = await self.feed_price(price, coin.symbol, backing.symbol)
        core = await self.client.asset("1.3.0")
        if cer is None and backing.id != core.id:
            raise ClientError(f"{coin.symbol} is backed by {backing.symbol}, not the core asset: "
                              "give the core exchange rate (cer)")
        rate = settlement if cer is None else await self.feed_price(cer, coin.symbol, core.symbol)
        feed = PriceFeed(settlement, permille(mcr, "MCR"), permille(mssr, "MSSR"), rate)
        extension = AssetPublishFeedExtensions(None if icr is None else permille(icr, "ICR"))
        return AssetPublishFeed(ZERO_FEE, await self._id(publisher), coin.id, feed, extension)

    # -- accounts ------------------------------------------------------------------------------
    async def account_create(self, registrar: str, name: str, owner_key: str,
                             active_key: str | None = None, memo_key: str | None = None, *,
                             referrer: str | None = None, referrer_percent: int = 0
                             ) -> AccountCreate:
        """Register ``name`` paid by ``registrar`` with single-key authorities (public keys as
        text; active and memo default to the owner key)."""
        prefix = await self.client.prefix()
        owner = PublicKey.from_text(owner_key, prefix)
        active = PublicKey.from_text(active_key or owner_key, prefix)
        memo = PublicKey.from_text(memo_key or active_key or owner_key, prefix)
        registrar_id = await self._id(registrar)
        referrer_id = registrar_id if referrer is None else await self._id(referrer)
        return AccountCreate(
            ZERO_FEE, registrar_id, referrer_id, referrer_percent, name,
            Authority(1, (), ((owner, 1),)), Authority(1, (), ((active, 1),)),
            AccountOptions(memo, PROXY_TO_SELF_ACCOUNT, 0, 0, ()))

    # -- proposals -----------------------------------------------------------------------------
    async def proposal_create(self, fee_payer: str, ops: list[OpLike], *,
                              lifetime_s: int = DEFAULT_PROPOSAL_LIFETIME_S,
                              review_period_s: int | None = None) -> ProposalCreate:
        """Propose ``ops`` (structs or JSON), expiring ``lifetime_s`` after the head block."""
        from .client import _operation

        inner = tuple(OpWrapper(_operation(op)) for op in ops)
        if not inner:
            raise ClientError("a proposal needs at least one operation")
        return ProposalCreate(ZERO_FEE, await self._id(fee_payer),
                              await self._head_time() + lifetime_s, inner, review_period_s)

    async def proposal_update(self, account: str, proposal_id: str, *, approve: bool = True,
                              fee_payer: str | None = None) -> ProposalUpdate:
        """Add (or with ``approve=False`` remove) ``account``'s active approval."""
        approver = await self._id(account)
        payer = approver if fee_payer is None else await self._id(fee_payer)
        change = (approver,)
        return ProposalUpdate(ZERO_FEE, payer, ObjectId.parse(proposal_id),
                              active_approvals_to_add=change if approve else (),
                              active_approvals_to_remove=() if approve else change)


    # -- futures -------------------------------------------------------------------------------
    async def _contract_units(self, text: str, underlying: AssetInfo, quote: AssetInfo) -> int:
        """``"1000"`` (or ``"1000 GPX"``) whole underlying per lot → smallest units, checked for
        a whole tick value."""
        number = text.strip()
        if " " in number:
            number, symbol = split_amount(number)
            if symbol != underlying.symbol:
                raise AmountError(f"contract size {text} is not in the underlying "
                                  f"{underlying.symbol}")
        units = to_units(number, underlying.precision, symbol=underlying.symbol)
        value = tick_value(units, underlying.precision, quote.precision)
        if units > INT64_MAX or value.denominator != 1 or value < 1:
            smallest = smallest_contract_text(underlying.precision, quote.precision)
            raise AmountError(
                f"contract size {number} {underlying.symbol} gives no whole tick value in "
                f"{quote.symbol} (precision {quote.precision}, prices in 10^-{PRICE_DECIMALS}): "
                f"use a multiple of {smallest} {underlying.symbol}")
        return units

    async def _parameters(self, underlying: AssetInfo, quote: AssetInfo,
                          base: FuturesParameters | None, contract_size: str | None,
                          mark_price_source: str | None, rates: dict[str, str | None]
                          ) -> FuturesParameters:
        changes: dict[str, Any] = {}
        for name, text in rates.items():
            if name not in FUTURES_RATES:
                raise ClientError(f"unknown futures rate {name!r} (one of "
                                  f"{', '.join(FUTURES_RATES)})")
            if text is not None:
                changes[f"{name}_ppm"] = percent_ppm(text, name.replace("_", " "))
        if mark_price_source is not None:
            source = MARK_SOURCES.get(mark_price_source.strip().lower())
            if source is None:
                raise ClientError(f"mark price source {mark_price_source!r} is neither "
                                  "'last' (the last trade) nor 'feed'")
            changes["mark_price_source"] = source
        if contract_size is not None:
            changes["contract_size"] = await self._contract_units(contract_size, underlying,
                                                                  quote)
        if base is None:
            return FuturesParameters(**changes)
        return msgspec.structs.replace(base, **changes)

    async def futures_product_create(self, owner: str, underlying: str, quote: str,
                                     contract_size: str, *, mark_price_source: str | None = None,
                                     **rates: str | None) -> FuturesProductCreate:
        """List a product on ``underlying``/``quote``: ``contract_size`` whole underlying per lot
        (``"1000"``), rates as percent text (``initial_margin="10"``, ``trade_fee="0.01"`` …;
        SPEC §7's defaults for those left out), ``mark_price_source`` ``"last"`` or ``"feed"``."""
        u, q = await self.client.asset(underlying), await self.client.asset(quote)
        if u.id == q.id:
            raise ClientError(f"a futures product needs two assets, not {u.symbol}/{q.symbol}")
        parameters = await self._parameters(u, q, None, contract_size, mark_price_source, rates)
        return FuturesProductCreate(ZERO_FEE, await self._id(owner), u.id, q.id, parameters)

    async def futures_product_update(self, owner: str | None, product: str, *,
                                     contract_size: str | None = None,
                                     mark_price_source: str | None = None,
                                     **rates: str | None) -> FuturesProductUpdate:
        """New parameters for ``product``'s series listed from now on: its current ones with
        the given changes. ``owner`` defaults to the product's owner."""
        found = await self.client.futures_product(product)
        u = await self.client.asset(found["underlying"])
        q = await self.client.asset(found["quote"])
        try:
            current = from_json(FuturesParameters, found["parameters"])
        except (KeyError, JsonFormError) as exc:
            raise ClientError(f"product {product}: the node's parameters are not as expected: "
                              f"{exc}") from None
        parameters = await self._parameters(u, q, current, contract_size, mark_price_source,
                                            rates)
        owner_id = ObjectId.parse(found["owner"]) if owner is None else await self._id(owner)
        return FuturesProductUpdate(ZERO_FEE, owner_id, ObjectId.parse(found["id"]),
                                    parameters)

    async def margin_deposit(self, account: str, amount: str) -> MarginDeposit:
        """Move ``amount`` (``"500 USD"``) into the account's margin account in that asset."""
        return MarginDeposit(ZERO_FEE, await self._id(account), await self._positive(amount))

    async def margin_withdraw(self, account: str, amount: str) -> MarginWithdraw:
        """Move ``amount`` of free margin back to the account's balance."""
        return MarginWithdraw(ZERO_FEE, await self._id(account), await self._positive(amount))

    async def _positive(self, amount: str) -> Asset:
        value = await self.client.amount(amount)
        if value.amount <= 0:
            raise AmountError(f"amount {amount} must be positive")
        return value

    async def futures_order(self, account: str, series: str, side: str | int, lots: int,
                            price: str, *, month: str | int | None = None,
                            reduce_only: bool = False, post_only: bool = False,
                            ioc: bool = False, expiration_s: int | None = None
                            ) -> FuturesOrderCreate:
        """A limit order for ``lots`` of ``series`` (see :meth:`AsyncClient.futures_series_ref`)
        at ``price`` (decimal text, cut to six decimals: :func:`futures_price_ticks`);
        ``side`` long or short; ``expiration_s`` after the head block (never by default)."""
        if isinstance(lots, bool) or not isinstance(lots, int) or lots < 1:
            raise AmountError(f"lots {lots!r} must be a whole number of at least 1")
        if lots > INT64_MAX:
            raise AmountError(f"lots {lots} is too large")
        ticks, _cut = futures_price_ticks(price)
        product, delivery_month = await self.client.futures_series_ref(series, month)
        flags = futures_flags(reduce_only=reduce_only, post_only=post_only, ioc=ioc)
        expiration = MAX_EXPIRATION if expiration_s is None else \
            await self._head_time() + expiration_s
        return FuturesOrderCreate(ZERO_FEE, await self._id(account), product, delivery_month,
                                  futures_side(side), lots, ticks, expiration, flags)

    async def futures_cancel(self, account: str, order_id: str) -> FuturesOrderCancel:
        """Cancel futures order ``order_id`` (1.102.N)."""
        try:
            order = ObjectId.parse(order_id)
        except ValueError:
            order = None
        if order is None or (order.space, order.type) != (1, 102):
            raise ClientError(f"{order_id!r} is not a futures order id (1.102.N)")
        return FuturesOrderCancel(ZERO_FEE, await self._id(account), order)
