"""``graphex wallet futures``: the futures market (SPEC §7) from the command line.

Reads (``products``, ``series``, ``book``, ``orders``, ``positions``, ``account``, ``fee-pool``)
print tables; actions (``list-product``, ``update-product``, ``deposit``, ``withdraw``, ``long``,
``short``, ``cancel``) are built, signed with the wallet's keys and broadcast by
:class:`graphex.client.Client`, which waits for the block. The acting account is ``--account``
(``GRAPHEX_ACCOUNT``), or the wallet's only labelled key. Prices are decimal text of quote per
whole underlying; decimals beyond six are cut (seed rule) and the command says so on stderr.
Options as every wallet command: ``--wallet``, ``--node``, ``--json``; refusals (the node's
message included) print one line and exit 1.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..client import Client, ClientError, Receipt, format_units
from ..client.futures_text import (
    format_month,
    format_ppm_percent,
    format_price_ticks,
    futures_price_ticks,
    price_cut_notice,
)
from .wallet import _common, _emit, _open, wallet

ACCOUNT_ENV = "GRAPHEX_ACCOUNT"
MAX_TABLE_WIDTH = 1000
F = TypeVar("F", bound=Callable[..., Any])
RATE_OPTIONS = (
    ("initial_margin", "Initial margin, percent of notional (default 10)."),
    ("maintenance_margin", "Maintenance margin, percent (default 5)."),
    ("trade_fee", "Trade fee per side, percent (default 0.01)."),
    ("liquidation_fee", "Liquidation fee, percent (default 0.5)."),
    ("delivery_fee", "Delivery fee, percent (default 0.01)."),
)


@wallet.group()
def futures() -> None:
    """Futures: products, series, the book, margin, orders and positions."""


# -- helpers ------------------------------------------------------------------------------------
def _account_option(command: F) -> F:
    return click.option("--account", "-a", default=None, envvar=ACCOUNT_ENV,
                        help="The acting account (default: the wallet's only labelled key).")(
        command)


def _rate_options(command: F) -> F:
    for name, text in reversed(RATE_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, default=None,
                               metavar="PCT", help=text)(command)
    return click.option("--mark-price-source", type=click.Choice(["last", "feed"]),
                        default=None, help="Mark price: last trade (default) or the feed.")(
        command)


def _default_account(labels: list[str]) -> str:
    names = sorted({label for label in labels if label})
    if len(names) != 1:
        held = ", ".join(names) or "none"
        raise ClientError(f"name the account with --account (or {ACCOUNT_ENV}); the wallet "
                          f"holds keys labelled: {held}")
    return names[0]


def _act(wallet_path: Path, node: str, as_json: bool, account: str | None,
         action: Callable[[Client, str], Receipt], what: Callable[[str], str],
         extra: dict[str, Any] | None = None) -> None:
    """Open the wallet, run ``action(client, account)`` with its keys, print the receipt."""
    opened = _open(wallet_path)
    acting = account or _default_account([e["label"] for e in opened.listing()])
    with Client(node, keys=opened.private_keys()) as client:
        receipt = action(client, acting)
    created = receipt.new_object_id
    text = f"{what(acting)}: transaction {receipt.id} included in block {receipt.block_num}"
    _emit(as_json, {**receipt.to_json(), **(extra or {})},
          text + (f" (new object {created})" if created else ""))


def _reader(wallet_path: Path, account: str | None) -> str:
    """The account a read is about (the wallet is opened only when none is named)."""
    if account:
        return account
    return _default_account([e["label"] for e in _open(wallet_path).listing()])


def _render(*items: Any) -> str:
    """Tables as plain text at their natural width: numbers are never cut to fit a terminal."""
    console = Console(file=io.StringIO(), width=MAX_TABLE_WIDTH, highlight=False,
                      color_system=None, soft_wrap=False)
    for item in items:
        console.print(item)
    out = str(console.file.getvalue())  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in out.splitlines())


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=escape(title), title_justify="left")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    return table


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _price(value: Any) -> str:
    ticks = _int(value)
    return "-" if not ticks else format_price_ticks(ticks)


def _units(value: Any, precision: int | None) -> str:
    units = _int(value)
    if units is None:
        return "-"
    return str(units) if precision is None else format_units(units, precision)


def _ratio(ppm: Any) -> str:
    value = _int(ppm)
    return "-" if value is None else format_units(value * 100 // 10_000, 2) + "%"


def _duration(seconds: Any) -> str:
    left = _int(seconds)
    if left is None:
        return "-"
    days, rest = divmod(left, 86_400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _side(value: Any) -> str:
    return {0: "long", 1: "short"}.get(_int(value) or 0, "?")


def _position_side(lots: Any) -> str:
    n = _int(lots) or 0
    return "long" if n > 0 else "short" if n < 0 else "flat"


def _quote_of(client: Client, name: str) -> tuple[int | None, str]:
    """The quote asset's precision and symbol from a series name ``"GPX/USD 2026-12"``."""
    try:
        info = client.asset(name.split()[0].split("/")[1])
        return int(info.precision), str(info.symbol)
    except (IndexError, ClientError):
        return None, ""


def _money(value: Any, precision: int | None, symbol: str) -> str:
    text = _units(value, precision)
    return text if text == "-" or not symbol else f"{text} {symbol}"


def _flags(value: Any) -> str:
    bits = _int(value) or 0
    names = [n for bit, n in ((1, "reduce-only"), (2, "post-only"), (4, "ioc")) if bits & bit]
    return ",".join(names) or "-"


# -- reads ----------------------------------------------------------------------------------------
@futures.command()
@_common
def products(wallet_path: Path, node: str, as_json: bool) -> None:
    """The futures products and their parameters (no wallet needed)."""
    with Client(node) as client:
        found = client.futures_products()
        rows = []
        for p in found:
            u, q = client.asset(p["underlying"]), client.asset(p["quote"])
            params = p.get("parameters", {})
            rows.append([
                f"{u.symbol}/{q.symbol}", str(p.get("id")),
                f"{_units(params.get('contract_size'), u.precision)} {u.symbol}",
                f"{_units(p.get('tick_value'), q.precision)} {q.symbol}",
                *(format_ppm_percent(int(params.get(f"{name}_ppm", 0)))
                  for name, _ in RATE_OPTIONS),
                "feed" if _int(params.get("mark_price_source")) == 1 else "last trade",
                str(client.account(str(p.get("owner")))["name"])])
    table = _table("futures products", ["product", "id", "contract", "tick value", "initial",
                                        "maintenance", "trade fee", "liq. fee", "delivery fee",
                                        "mark", "owner"], rows)
    _emit(as_json, found, _render(table) if rows else "(no futures products)")


@futures.command()
@click.argument("product")
@click.option("--all", "include_delivered", is_flag=True, help="Delivered series too.")
@_common
def series(product: str, include_delivered: bool, wallet_path: Path, node: str,
           as_json: bool) -> None:
    """The series of PRODUCT (GPX/USD or 1.100.N): status, marks, countdowns."""
    with Client(node) as client:
        found = client.futures_series(product, include_delivered)
    rows = [[str(s.get("name") or format_month(int(s["delivery_month"]))), str(s.get("id")),
             str(s.get("status", "-")), _price(s.get("mark_price")), _price(s.get("last_price")),
             str(s.get("open_interest", "-")), f"{s.get('cutoff_time', '-')} UTC",
             _duration(s.get("seconds_to_cutoff")), _duration(s.get("seconds_to_delivery")),
             _price(s.get("delivery_price"))] for s in found]
    table = _table(f"{product} series", ["series", "id", "status", "mark", "last",
                                         "open interest", "trading closes", "closes in",
                                         "delivery in", "delivery price"], rows)
    _emit(as_json, found, _render(table) if rows else f"(no series of {product})")


@futures.command()
@click.argument("series_name", metavar="SERIES")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True,
              help="Price levels per side.")
@_common
def book(series_name: str, limit: int, wallet_path: Path, node: str, as_json: bool) -> None:
    """The order book of SERIES ('GPX/USD 2026-12', 'GPX/USD:202612' or 1.101.N)."""
    with Client(node) as client:
        found = client.futures_order_book(series_name, limit)
    asks, bids = found.get("asks", []), found.get("bids", [])
    rows = [["ask (short)", _price(a.get("price")), str(a.get("lots")), str(a.get("orders"))]
            for a in reversed(asks)]
    rows += [["bid (long)", _price(b.get("price")), str(b.get("lots")), str(b.get("orders"))]
             for b in bids]
    table = _table(f"{series_name} ({found.get('series')})",
                   ["side", "price", "lots", "orders"], rows)
    _emit(as_json, found, _render(table) if rows else f"(the book of {series_name} is empty)")


@futures.command()
@_account_option
@_common
def orders(account: str | None, wallet_path: Path, node: str, as_json: bool) -> None:
    """The account's open futures orders."""
    who = _reader(wallet_path, account)
    with Client(node) as client:
        found = client.futures_orders(who)
        rows = []
        for o in found:
            name = str(o.get("name", o.get("series")))
            precision, symbol = _quote_of(client, name)
            rows.append([str(o.get("id")), name, _side(o.get("side")), str(o.get("lots")),
                         _price(o.get("price")), str(o.get("open_lots", "-")),
                         _money(o.get("locked"), precision, symbol), _flags(o.get("flags")),
                         str(o.get("expiration", "-"))])
    table = _table(f"{who}'s futures orders", ["order", "series", "side", "lots", "price",
                                               "opening lots", "margin locked", "flags",
                                               "expires"], rows)
    _emit(as_json, found, _render(table) if rows else f"({who} has no open futures orders)")


def _position_rows(client: Client, positions: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for p in positions:
        name = str(p.get("name", p.get("series")))
        precision, symbol = _quote_of(client, name)
        lots = _int(p.get("lots")) or 0
        rows.append([name, _position_side(lots), str(abs(lots)),
                     str(p.get("average_entry_price_text") or _price(p.get("average_entry_price"))),
                     _price(p.get("mark_price")), _money(p.get("notional"), precision, symbol),
                     _money(p.get("unrealized_pnl"), precision, symbol),
                     _money(p.get("realized_pnl"), precision, symbol),
                     _price(p.get("estimated_liquidation_price"))])
    return rows


POSITION_COLUMNS = ["series", "side", "lots", "avg. entry", "mark", "notional", "unrealized PnL",
                    "realized PnL", "est. liquidation"]


@futures.command()
@_account_option
@_common
def positions(account: str | None, wallet_path: Path, node: str, as_json: bool) -> None:
    """The account's futures positions with their estimated liquidation prices."""
    who = _reader(wallet_path, account)
    with Client(node) as client:
        found = client.futures_positions(who)
        rows = _position_rows(client, found)
    table = _table(f"{who}'s futures positions", POSITION_COLUMNS, rows)
    _emit(as_json, found, _render(table) if rows else f"({who} has no futures positions)")


@futures.command("account")
@click.argument("asset")
@_account_option
@_common
def margin_account(asset: str, account: str | None, wallet_path: Path, node: str,
                   as_json: bool) -> None:
    """The account's margin in ASSET: equity, used and free margin, maintenance requirement,
    margin ratio, and its positions with estimated liquidation prices."""
    who = _reader(wallet_path, account)
    with Client(node) as client:
        info = client.asset(asset)
        found = client.margin_account(who, asset)
        rows = _position_rows(client, found.get("positions", []))

    def amount(key: str) -> str:
        return f"{_units(found.get(key), info.precision)} {info.symbol}"

    summary = _table(f"{who}'s margin in {info.symbol}", ["", "value"], [
        ["balance", amount("balance")],
        ["equity (balance + unrealized PnL)", amount("equity")],
        ["unrealized PnL", amount("unrealized_pnl")],
        ["used margin (initial requirement)", amount("initial_requirement")],
        ["locked by open orders", amount("locked")],
        ["free margin", amount("free_margin")],
        ["maintenance requirement", amount("maintenance_requirement")],
        ["notional", amount("notional")],
        ["margin ratio (equity / notional)", _ratio(found.get("margin_ratio_ppm"))],
        ["being liquidated", "yes" if found.get("liquidating") else "no"],
    ])
    items: list[Any] = [summary]
    if rows:
        items.append(_table("positions", POSITION_COLUMNS, rows))
    _emit(as_json, found, _render(*items))


@futures.command("fee-pool")
@click.argument("asset")
@_common
def fee_pool(asset: str, wallet_path: Path, node: str, as_json: bool) -> None:
    """The futures fee pool of ASSET and its flows (no wallet needed)."""
    with Client(node) as client:
        info = client.asset(asset)
        found = client.futures_fee_pool(asset)
    rows = [[label, f"{_units(found.get(key), info.precision)} {info.symbol}"]
            for key, label in (("balance", "balance"), ("trade_fees", "trade fees"),
                               ("liquidation_fees", "liquidation fees"),
                               ("delivery_fees", "delivery fees"))]
    _emit(as_json, found, _render(_table(f"futures fee pool in {info.symbol}", ["", "amount"],
                                         rows)))


# -- actions --------------------------------------------------------------------------------------
@futures.command("list-product")
@click.argument("underlying")
@click.argument("quote")
@click.option("--contract-size", required=True, metavar="DECIMAL",
              help="Whole UNDERLYING per lot, e.g. 1000.")
@_rate_options
@_account_option
@_common
def list_product(underlying: str, quote: str, contract_size: str, account: str | None,
                 mark_price_source: str | None, wallet_path: Path, node: str, as_json: bool,
                 **rates: str | None) -> None:
    """List a futures product on UNDERLYING/QUOTE (pays the listing fee)."""
    _act(wallet_path, node, as_json, account,
         lambda c, who: c.list_futures_product(who, underlying, quote, contract_size,
                                               mark_price_source=mark_price_source, **rates),
         lambda who: f"{who} listed futures on {underlying.upper()}/{quote.upper()}")


@futures.command("update-product")
@click.argument("product")
@click.option("--contract-size", default=None, metavar="DECIMAL",
              help="Whole underlying per lot.")
@_rate_options
@_account_option
@_common
def update_product(product: str, contract_size: str | None, account: str | None,
                   mark_price_source: str | None, wallet_path: Path, node: str, as_json: bool,
                   **rates: str | None) -> None:
    """Change PRODUCT's parameters for series listed from now on (by its owner, the default)."""
    opened = _open(wallet_path)
    with Client(node, keys=opened.private_keys()) as client:
        receipt = client.update_futures_product(account, product, contract_size=contract_size,
                                                mark_price_source=mark_price_source, **rates)
    _emit(as_json, receipt.to_json(), f"updated futures product {product}: transaction "
                                      f"{receipt.id} included in block {receipt.block_num}")


def _margin_command(kind: str) -> Callable[..., None]:
    @click.argument("amount")
    @click.argument("asset")
    @_account_option
    @_common
    def move(amount: str, asset: str, account: str | None, wallet_path: Path, node: str,
             as_json: bool) -> None:
        text = f"{amount} {asset.upper()}"
        _act(wallet_path, node, as_json, account,
             lambda c, who: getattr(c, f"margin_{kind}")(who, text),
             lambda who: f"{who} {'deposited' if kind == 'deposit' else 'withdrew'} {text} "
                         f"{'into' if kind == 'deposit' else 'from'} margin")

    move.__doc__ = ("Move AMOUNT of ASSET into the margin account." if kind == "deposit" else
                    "Move AMOUNT of ASSET of free margin back to the balance.")
    return move


futures.command("deposit")(_margin_command("deposit"))
futures.command("withdraw")(_margin_command("withdraw"))


def _order_command(side: str) -> Callable[..., None]:
    @click.argument("series_name", metavar="SERIES")
    @click.argument("lots", type=click.IntRange(min=1))
    @click.argument("price")
    @click.option("--month", default=None, help="Delivery month, when SERIES is a product.")
    @click.option("--reduce-only", is_flag=True, help="Only reduce the position.")
    @click.option("--post-only", is_flag=True, help="Refused if it would take liquidity.")
    @click.option("--ioc", is_flag=True, help="Immediate or cancel: the rest is cancelled.")
    @click.option("--expiration", type=click.IntRange(min=1), default=None,
                  help="Seconds until it expires (never by default).")
    @_account_option
    @_common
    def order(series_name: str, lots: int, price: str, month: str | None, reduce_only: bool,
              post_only: bool, ioc: bool, expiration: int | None, account: str | None,
              wallet_path: Path, node: str, as_json: bool) -> None:
        ticks, cut = futures_price_ticks(price)
        if cut:
            click.echo(price_cut_notice(price, ticks), err=True)
        label = series_name if month is None else f"{series_name} {month}"
        _act(wallet_path, node, as_json, account,
             lambda c, who: c.futures_order(who, series_name, side, lots, price, month=month,
                                            reduce_only=reduce_only, post_only=post_only,
                                            ioc=ioc, expiration_s=expiration),
             lambda who: f"{who}: {side} {lots} lot{'s' if lots != 1 else ''} of {label} at "
                         f"{format_price_ticks(ticks)}",
             {"price": ticks, "price_text": format_price_ticks(ticks), "price_cut": cut})

    order.__doc__ = (f"Go {side} LOTS lots of SERIES ('GPX/USD 2026-12') at PRICE quote per "
                     f"whole underlying (decimals beyond 6 are cut).")
    return order


futures.command("long")(_order_command("long"))
futures.command("short")(_order_command("short"))


@futures.command()
@click.argument("order_id")
@_account_option
@_common
def cancel(order_id: str, account: str | None, wallet_path: Path, node: str,
           as_json: bool) -> None:
    """Cancel futures order ORDER_ID (1.102.N)."""
    opened = _open(wallet_path)
    labels = [e["label"] for e in opened.listing()]
    with Client(node, keys=opened.private_keys()) as client:
        owner = account or _order_owner(client, order_id, labels)
        receipt = client.futures_cancel(owner, order_id)
    _emit(as_json, receipt.to_json(), f"{owner} cancelled {order_id}: transaction {receipt.id} "
                                      f"included in block {receipt.block_num}")


def _order_owner(client: Client, order_id: str, labels: list[str]) -> str:
    """Whose order ``order_id`` is: among the wallet's accounts' open orders."""
    for name in sorted({label for label in labels if label}):
        try:
            held = client.futures_orders(name)
        except ClientError:
            continue
        if any(o.get("id") == order_id for o in held):
            return name
    raise ClientError(f"futures order {order_id} is not an open order of the wallet's accounts "
                      "(filled, cancelled, or name its owner with --account)")
