"""The async client: reads a graphex node's API and signs and broadcasts operations.

``AsyncClient(url, keys=[...])`` talks to one node (``http://`` or ``ws://``):

- ``call(api, method, *args)`` is any API call; typed helpers cover the common reads (chain
  properties, dynamic globals, accounts, balances, objects, assets, order book, ticker, limit and
  call orders, feeds). Refusals raise :class:`~graphex.client.errors.NodeError`.
- ``broadcast(ops)`` sets each operation's fee from ``get_required_fees`` (proposed operations'
  fees too), references the head block (TaPoS), expires ``expiration_s`` after the head block's
  time, signs with the keys that satisfy the authorities the operations need, and sends it with
  ``broadcast_transaction_synchronous`` (waits for the block; a :class:`Receipt`) or, with
  ``wait=False``, ``broadcast_transaction`` (accepted into the node's pending pool).
- ``ops`` (:class:`~graphex.client.builders.OperationBuilder`) builds operations from names and
  decimal amounts (``"12.5 GPX"``); the shortcuts (``transfer``, ``buy``, ``sell``, ``cancel``,
  ``borrow``, ``settle``, ``publish_feed``, ``register``, ``propose``, ``approve``) build and
  broadcast in one step.
- Futures (SPEC §7): reads of the node's ``futures`` API set (``futures_products``,
  ``futures_series``, ``futures_order_book``, ``futures_orders``, ``futures_positions``,
  ``margin_account``, ``futures_fee_pool``, ``futures_trades``, ``futures_ohlcv``,
  ``delivery_prices``), name resolution (``futures_product``, ``futures_series_ref``,
  ``futures_series_object``) and the shortcuts ``list_futures_product``,
  ``update_futures_product``, ``margin_deposit``, ``margin_withdraw``, ``futures_order``,
  ``futures_cancel``. Replies are passed on as the node sends them (extra fields kept).

Only ``graphex.protocol`` is imported from graphex: the node is known through its API alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import msgspec

from ..protocol.codec import JsonFormError, parse_time
from ..protocol.ids import ObjectId
from ..protocol.keys import PrivateKey
from ..protocol.operations import OPERATION, Operation, OpWrapper, ProposalCreate
from ..protocol.struct import to_json
from ..protocol.transaction import (
    SignedTransaction,
    Transaction,
    ref_block_fields,
    sign,
    transaction_id,
)
from ..protocol.types import Asset
from .amounts import format_units, split_amount, to_units
from .builders import OperationBuilder
from .errors import ClientError, KeyMissing, NodeError
from .futures_text import (
    SERIES_ID,
    check_product_name,
    format_month,
    parse_month,
    parse_series_name,
)
from .rpc import DEFAULT_TIMEOUT_S, RpcTransport
from .signing import keys_for

DEFAULT_EXPIRATION_S = 60
"""How long after the head block's time a transaction stays valid."""
CONFIRMATION_SLACK_S = 30
"""A synchronous broadcast waits the transaction's lifetime plus this for its block."""
NETWORK_BROADCAST = "network_broadcast"
FUTURES_API = "futures"
OpLike = Operation | list[Any]


@dataclass(frozen=True)
class AssetInfo:
    id: ObjectId
    symbol: str
    precision: int
    bitasset_data_id: str | None
    issuer: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class Receipt:
    """What became of a broadcast: the transaction id and, once in a block, where and results."""

    id: str
    block_num: int | None
    trx_num: int | None
    operation_results: list[Any]
    trx: dict[str, Any]

    @property
    def new_object_id(self) -> str | None:
        """The first operation's result when it is an object id (an order, an account …)."""
        for which, value in self.operation_results[:1]:
            if which == 1:
                return str(value)
        return None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "block_num": self.block_num, "trx_num": self.trx_num,
                "operation_results": self.operation_results}


class AsyncClient:
    """``async with AsyncClient(url, keys=[wif, ...]) as client: ...``."""

    def __init__(self, url: str, *, keys: Iterable[PrivateKey | str] = (),
                 expiration_s: int = DEFAULT_EXPIRATION_S, fee_asset: str = "1.3.0",
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.url = url
        self.rpc = RpcTransport(url, timeout_s)
        self.expiration_s = expiration_s
        self.fee_asset = fee_asset
        self.keys: dict[bytes, PrivateKey] = {}
        for key in keys:
            self.add_key(key)
        self._assets: dict[str, AssetInfo] = {}
        self._chain_id: bytes | None = None
        self._prefix: str | None = None
        self.ops = OperationBuilder(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        await self.rpc.close()

    def add_key(self, key: PrivateKey | str) -> PrivateKey:
        """Add a signing key (a :class:`PrivateKey` or WIF text)."""
        private = PrivateKey.from_wif(key) if isinstance(key, str) else key
        self.keys[private.public_key.data] = private
        return private

    # -- generic calls -------------------------------------------------------------------------
    async def call(self, api: str | int, method: str, *args: Any) -> Any:
        return await self.rpc.call(api, method, *args)

    async def db(self, method: str, *args: Any) -> Any:
        return await self.rpc.call("database", method, *args)

    async def history(self, method: str, *args: Any) -> Any:
        return await self.rpc.call("history", method, *args)

    async def futures(self, method: str, *args: Any) -> Any:
        return await self.rpc.call(FUTURES_API, method, *args)

    # -- chain ---------------------------------------------------------------------------------
    async def chain_properties(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.db("get_chain_properties")
        return result

    async def chain_id(self) -> bytes:
        if self._chain_id is None:
            self._chain_id = bytes.fromhex(await self.db("get_chain_id"))
        return self._chain_id

    async def dynamic_globals(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.db("get_dynamic_global_properties")
        return result

    async def global_properties(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.db("get_global_properties")
        return result

    async def prefix(self) -> str:
        """The chain's public-key prefix (``GPX`` on graphex)."""
        if self._prefix is None:
            config = await self.db("get_config")
            self._prefix = str(config.get("GRAPHENE_ADDRESS_PREFIX", "GPX"))
        return self._prefix

    async def objects(self, *object_ids: str) -> list[Any]:
        result: list[Any] = await self.db("get_objects", list(object_ids))
        return result

    # -- accounts and balances -----------------------------------------------------------------
    async def account(self, name_or_id: str) -> dict[str, Any]:
        """The account object; a missing account raises :class:`ClientError`."""
        found = (await self.db("get_accounts", [name_or_id]))[0]
        if found is None:
            raise ClientError(f"account {name_or_id!r} does not exist on this chain")
        account: dict[str, Any] = found
        return account

    async def account_id(self, name_or_id: str) -> ObjectId:
        if name_or_id.startswith("1.2."):
            return ObjectId.parse(name_or_id)
        return ObjectId.parse((await self.account(name_or_id))["id"])

    async def accounts_by_name(self, *names: str) -> list[dict[str, Any] | None]:
        result: list[dict[str, Any] | None] = await self.db("lookup_account_names", list(names))
        return result

    async def balances(self, account: str, *assets: str) -> list[dict[str, Any]]:
        """``[{amount, asset_id}]`` of ``account`` in ``assets`` (symbols or ids; all its assets
        when none are named)."""
        asset_ids = [str((await self.asset(a)).id) for a in assets]
        result: list[dict[str, Any]] = await self.db("get_account_balances", account, asset_ids)
        return result

    async def balances_text(self, account: str) -> dict[str, str]:
        """``{symbol: "12.5"}``: the account's balances as exact decimal text."""
        out = {}
        for entry in await self.balances(account):
            asset = await self.asset(entry["asset_id"])
            out[asset.symbol] = format_units(int(entry["amount"]), asset.precision)
        return out

    # -- assets and amounts --------------------------------------------------------------------
    async def asset(self, symbol_or_id: str) -> AssetInfo:
        """The asset (cached by symbol and id); a missing one raises :class:`ClientError`."""
        key = symbol_or_id if symbol_or_id.startswith("1.3.") else symbol_or_id.upper()
        if key not in self._assets:
            found = (await self.db("get_assets", [key]))[0]
            if found is None:
                raise ClientError(f"asset {symbol_or_id} does not exist on this chain")
            info = AssetInfo(ObjectId.parse(found["id"]), found["symbol"],
                             int(found["precision"]), found.get("bitasset_data_id"),
                             found["issuer"], found)
            self._assets[info.symbol] = self._assets[str(info.id)] = info
        return self._assets[key]

    async def amount(self, text: str, *, signed: bool = False) -> Asset:
        """``"12.5 GPX"`` → ``Asset(1250000, 1.3.0)``, exactly (too many decimals refused)."""
        number, symbol = split_amount(text)
        asset = await self.asset(symbol)
        return Asset(to_units(number, asset.precision, symbol=asset.symbol, signed=signed),
                     asset.id)

    async def amount_text(self, amount: dict[str, Any] | Asset) -> str:
        """``{amount, asset_id}`` → ``"12.5 GPX"``."""
        if isinstance(amount, Asset):
            units, asset_id = amount.amount, str(amount.asset_id)
        else:
            units, asset_id = int(amount["amount"]), amount["asset_id"]
        asset = await self.asset(asset_id)
        return f"{format_units(units, asset.precision)} {asset.symbol}"

    # -- markets and smartcoins ----------------------------------------------------------------
    async def order_book(self, base: str, quote: str, limit: int = 50) -> dict[str, Any]:
        result: dict[str, Any] = await self.db("get_order_book", base, quote, limit)
        return result

    async def ticker(self, base: str, quote: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.db("get_ticker", base, quote)
        return result

    async def limit_orders(self, a: str, b: str, limit: int = 100) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.db("get_limit_orders", a, b, limit)
        return result

    async def account_limit_orders(self, account: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.db("get_limit_orders_by_account", account)
        return result

    async def call_orders(self, asset: str, limit: int = 100) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.db("get_call_orders", asset, limit)
        return result

    async def account_call_orders(self, account: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.db("get_call_orders_by_account", account)
        return result

    async def bitasset(self, asset: str) -> dict[str, Any]:
        """The smartcoin's bitasset data (2.4.x): options, feeds, current feed."""
        info = await self.asset(asset)
        if info.bitasset_data_id is None:
            raise ClientError(f"asset {info.symbol} is not a smartcoin (market-pegged asset)")
        data: dict[str, Any] = (await self.objects(info.bitasset_data_id))[0]
        return data

    async def feeds(self, asset: str) -> dict[str, Any]:
        """``{current_feed, feeds}`` of the smartcoin: the median feed and every publisher's."""
        data = await self.bitasset(asset)
        return {"current_feed": data.get("current_feed"), "feeds": data.get("feeds", []),
                "current_feed_publication_time": data.get("current_feed_publication_time")}

    # -- futures -------------------------------------------------------------------------------
    async def futures_products(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.futures("get_futures_products")
        return result

    async def futures_product(self, product: str) -> dict[str, Any]:
        """The product named by its id (``1.100.N``) or pair (``"GPX/USD"``)."""
        name = check_product_name(product)
        products = await self.futures_products()
        if name.startswith("1.100."):
            found = [p for p in products if p.get("id") == name]
        else:
            underlying, quote = name.split("/")
            u, q = await self.asset(underlying), await self.asset(quote)
            found = [p for p in products
                     if (p.get("underlying"), p.get("quote")) == (str(u.id), str(q.id))]
        if not found:
            listed = ", ".join(await self._product_names(products)) or "none"
            raise ClientError(f"no futures product {product} on this chain (listed: {listed})")
        return found[0]

    async def _product_names(self, products: list[dict[str, Any]]) -> list[str]:
        names = []
        for p in products:
            u, q = await self.asset(p["underlying"]), await self.asset(p["quote"])
            names.append(f"{u.symbol}/{q.symbol}")
        return names

    async def product_name(self, product: dict[str, Any]) -> str:
        """``"GPX/USD"`` for a product object."""
        return (await self._product_names([product]))[0]

    async def futures_series(self, product: str, include_delivered: bool = False
                             ) -> list[dict[str, Any]]:
        """The series of ``product`` (id or pair): trading and closed, delivered ones too on
        request."""
        product_id = (await self.futures_product(product))["id"]
        result: list[dict[str, Any]] = await self.futures("get_futures_series", product_id,
                                                          include_delivered)
        return result

    async def futures_series_ref(self, series: str, month: str | int | None = None
                                 ) -> tuple[ObjectId, int]:
        """(product id, delivery month) of a series named ``"GPX/USD 2026-12"``,
        ``"GPX/USD:202612"``, by a product and ``month`` apart, or by its id ``1.101.N``. A
        month not listed yet is fine (an order for it waits in the node until it lists)."""
        if month is None and SERIES_ID.match(series.strip()):
            found = await self.futures_series_object(series)
            return ObjectId.parse(found["product"]), int(found["delivery_month"])
        if month is None:
            name, delivery_month = parse_series_name(series)
        else:
            name = check_product_name(series)
            delivery_month = month if isinstance(month, int) else parse_month(month)
        if name.startswith("1.100."):
            return ObjectId.parse(name), delivery_month
        return ObjectId.parse((await self.futures_product(name))["id"]), delivery_month

    async def futures_series_object(self, series: str, month: str | int | None = None
                                    ) -> dict[str, Any]:
        """The listed series (as ``get_futures_series`` gives it), named as in
        :meth:`futures_series_ref`; one not listed raises :class:`ClientError`."""
        if month is None and SERIES_ID.match(series.strip()):
            sid = series.strip()
            for each in await self.futures_products():
                for found in await self.futures("get_futures_series", each["id"], True):
                    if found.get("id") == sid:
                        result: dict[str, Any] = found
                        return result
            raise ClientError(f"futures series {sid} does not exist")
        product, delivery_month = await self.futures_series_ref(series, month)
        listed = await self.futures("get_futures_series", str(product), True)
        for found in listed:
            if int(found.get("delivery_month", 0)) == delivery_month:
                return dict(found)
        months = ", ".join(format_month(int(s["delivery_month"])) for s in listed) or "none"
        raise ClientError(f"series {series}{'' if month is None else ' ' + str(month)} is not "
                          f"listed (months listed: {months})")

    async def _series_id(self, series: str) -> str:
        if SERIES_ID.match(series.strip()):
            return series.strip()
        return str((await self.futures_series_object(series))["id"])

    async def futures_order_book(self, series: str, limit: int = 50) -> dict[str, Any]:
        """``{series, bids, asks}``, levels ``{price, lots, orders}`` best first."""
        result: dict[str, Any] = await self.futures("get_futures_order_book",
                                                    await self._series_id(series), limit)
        return result

    async def futures_orders(self, account: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.futures(
            "get_futures_orders", str(await self.account_id(account)))
        return result

    async def futures_positions(self, account: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.futures(
            "get_futures_positions", str(await self.account_id(account)))
        return result

    async def margin_account(self, account: str, asset: str) -> dict[str, Any]:
        """Balance, locked, equity, requirements, free margin, margin ratio and positions of
        ``account``'s margin in ``asset``."""
        result: dict[str, Any] = await self.futures(
            "get_margin_account", str(await self.account_id(account)),
            str((await self.asset(asset)).id))
        return result

    async def futures_fee_pool(self, asset: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.futures("get_futures_fee_pool",
                                                    str((await self.asset(asset)).id))
        return result

    async def futures_trades(self, series: str, limit: int = 100) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.futures(
            "get_futures_trades", await self._series_id(series), limit)
        return result

    async def futures_ohlcv(self, series: str, bucket_seconds: int, start: Any, end: Any
                            ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.futures(
            "get_futures_ohlcv", await self._series_id(series), bucket_seconds, start, end)
        return result

    async def delivery_prices(self, product: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.futures(
            "get_delivery_prices", (await self.futures_product(product))["id"])
        return result

    # -- transactions --------------------------------------------------------------------------
    async def with_fees(self, ops: Sequence[OpLike], fee_asset: str | None = None
                        ) -> list[Operation]:
        """``ops`` with the fees the node requires (proposed operations' fees too)."""
        parsed = [_operation(op) for op in ops]
        results = await self.db("get_required_fees", [OPERATION.to_json(op) for op in parsed],
                                fee_asset or self.fee_asset)
        return [_with_fee(op, result) for op, result in zip(parsed, results, strict=True)]

    async def build(self, ops: Sequence[OpLike], fee_asset: str | None = None) -> Transaction:
        """An unsigned transaction of ``ops`` with fees set, on the current head (TaPoS)."""
        paid = await self.with_fees(ops, fee_asset)
        head = await self.dynamic_globals()
        try:
            ref_num, ref_prefix = ref_block_fields(bytes.fromhex(head["head_block_id"]))
            expiration = parse_time(head["time"]) + self.expiration_s
        except (KeyError, ValueError, JsonFormError) as exc:
            raise NodeError("get_dynamic_global_properties",
                            f"the head block is not as expected: {exc}") from None
        return Transaction(ref_num, ref_prefix, expiration, tuple(paid))

    async def sign(self, tx: Transaction, keys: Sequence[PrivateKey] | None = None
                   ) -> SignedTransaction:
        """``tx`` signed with ``keys`` or, by default, the held keys its authorities need."""
        if keys is None:
            keys = await keys_for(self, tx.operations)
        if not keys:
            raise KeyMissing("no key to sign the transaction with")
        return sign(tx, list(keys), await self.chain_id())

    async def broadcast(self, ops: OpLike | Sequence[OpLike], *, wait: bool = True,
                        keys: Sequence[PrivateKey] | None = None,
                        fee_asset: str | None = None) -> Receipt:
        """Build, sign and send ``ops`` (one operation or several, structs or ``[id, {...}]``).

        With ``wait`` the receipt has the block and the operation results."""
        batch: list[Any] = [ops] if isinstance(ops, Operation) or _is_json_op(ops) \
            else list(ops)
        tx = await self.sign(await self.build(batch, fee_asset), keys)
        return await self.send(tx, wait=wait)

    async def send(self, tx: SignedTransaction, *, wait: bool = True) -> Receipt:
        """Send a signed transaction (see :meth:`broadcast`)."""
        body = to_json(tx)
        tx_id = transaction_id(tx).hex()
        if not wait:
            await self.call(NETWORK_BROADCAST, "broadcast_transaction", body)
            return Receipt(tx_id, None, None, [], body)
        result = await self.rpc.call(NETWORK_BROADCAST, "broadcast_transaction_synchronous", body,
                                     timeout_s=self.expiration_s + CONFIRMATION_SLACK_S)
        trx = result.get("trx", {})
        return Receipt(result.get("id", tx_id), result.get("block_num"), result.get("trx_num"),
                       trx.get("operation_results", []), trx)

    # -- shortcuts: build with ``ops`` and broadcast (same arguments as the builders) -----------
    async def transfer(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.transfer(*args, **kwargs))

    async def buy(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.buy(*args, **kwargs))

    async def sell(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.sell(*args, **kwargs))

    async def cancel(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.cancel(*args, **kwargs))

    async def borrow(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.borrow(*args, **kwargs))

    async def settle(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.settle(*args, **kwargs))

    async def publish_feed(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.publish_feed(*args, **kwargs))

    async def register(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.account_create(*args, **kwargs))

    async def propose(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.proposal_create(*args, **kwargs))

    async def approve(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.proposal_update(*args, **kwargs))

    async def list_futures_product(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.futures_product_create(*args, **kwargs))

    async def update_futures_product(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.futures_product_update(*args, **kwargs))

    async def margin_deposit(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.margin_deposit(*args, **kwargs))

    async def margin_withdraw(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.margin_withdraw(*args, **kwargs))

    async def futures_order(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.futures_order(*args, **kwargs))

    async def futures_cancel(self, *args: Any, **kwargs: Any) -> Receipt:
        return await self.broadcast(await self.ops.futures_cancel(*args, **kwargs))


def _is_json_op(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)


def _operation(op: OpLike) -> Operation:
    """An operation struct from a struct or its JSON form (a missing fee is taken as zero)."""
    if isinstance(op, Operation):
        return op
    if not _is_json_op(op) or not isinstance(op[1], dict):
        raise ClientError(f"not an operation: {op!r:.120}")
    fields = {"fee": {"amount": 0, "asset_id": "1.3.0"}, **op[1]}
    try:
        return OPERATION.from_json([op[0], fields])
    except (JsonFormError, ValueError, TypeError) as exc:
        raise ClientError(f"operation {op[0]}: {exc}") from None


def _with_fee(op: Operation, result: Any) -> Operation:
    """``op`` with the fee from ``get_required_fees`` (``[fee, [inner…]]`` for proposals)."""
    if isinstance(result, list):
        fee, inner = result
        if isinstance(op, ProposalCreate):
            wrappers = tuple(OpWrapper(_with_fee(w.op, r))
                             for w, r in zip(op.proposed_ops, inner, strict=True))
            op = msgspec.structs.replace(op, proposed_ops=wrappers)
        result = fee
    return msgspec.structs.replace(
        op, fee=Asset(int(result["amount"]), ObjectId.parse(result["asset_id"])))

