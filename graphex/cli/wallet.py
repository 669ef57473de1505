"""``graphex wallet``: a command-line wallet over an encrypted key file and a node's API.

Keys live in :mod:`graphex.client.wallet_file` (scrypt + AES-GCM); operations are built, signed
and broadcast by :class:`graphex.client.Client`, which waits for the block that includes them.
Every command takes ``--wallet`` (``GRAPHEX_WALLET``), ``--node`` (``GRAPHEX_NODE``) and
``--json``; the password comes from ``GRAPHEX_WALLET_PASSWORD`` or a prompt. Expected failures
(a wrong password, a refusal by the chain, a bad amount) print one readable line and exit 1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ..client import Client, ClientError, Receipt
from ..client.wallet_file import Wallet

DEFAULT_NODE = "http://127.0.0.1:8090"
DEFAULT_WALLET = "~/.graphex/wallet.json"
PASSWORD_ENV = "GRAPHEX_WALLET_PASSWORD"
F = TypeVar("F", bound=Callable[..., Any])


def _common(command: F) -> F:
    """``--wallet``, ``--node`` and ``--json``, and ClientError → a one-line error."""

    @click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
    @click.option("--node", default=DEFAULT_NODE, envvar="GRAPHEX_NODE", show_default=True,
                  help="The node's API (http://, ws://).")
    @click.option("--wallet", "wallet_path", default=DEFAULT_WALLET, envvar="GRAPHEX_WALLET",
                  show_default=True, help="The wallet file.")
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        kwargs["wallet_path"] = Path(kwargs["wallet_path"]).expanduser()
        try:
            return command(*args, **kwargs)
        except ClientError as exc:
            raise click.ClickException(str(exc)) from None

    return run  # type: ignore[return-value]


def _password(confirm: bool = False) -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    return str(click.prompt("Wallet password", hide_input=True, confirmation_prompt=confirm))


def _open(path: Path) -> Wallet:
    return Wallet.open(path, _password())


def _emit(as_json: bool, payload: Any, text: str) -> None:
    click.echo(json.dumps(payload, indent=1, sort_keys=True) if as_json else text)


def _send(wallet_path: Path, node: str, as_json: bool,
          action: Callable[[Client], Receipt], what: str) -> None:
    """Open the wallet, run ``action`` with its keys, print the receipt."""
    wallet = _open(wallet_path)
    with Client(node, keys=wallet.private_keys()) as client:
        receipt = action(client)
    created = receipt.new_object_id
    text = f"{what}: transaction {receipt.id} included in block {receipt.block_num}"
    _emit(as_json, receipt.to_json(), text + (f" (new object {created})" if created else ""))


@click.group()
def wallet() -> None:
    """An encrypted key file and the operations signed with it."""


# -- the key file ------------------------------------------------------------------------------
@wallet.command()
@_common
def create(wallet_path: Path, node: str, as_json: bool) -> None:
    """Create an empty wallet file (asks for a new password)."""
    Wallet.create(wallet_path, _password(confirm=True))
    _emit(as_json, {"wallet": str(wallet_path)}, f"created wallet {wallet_path}")


@wallet.command("import-key")
@click.argument("name")
@click.argument("wif")
@_common
def import_key(name: str, wif: str, wallet_path: Path, node: str, as_json: bool) -> None:
    """Hold the private key WIF (of account NAME)."""
    opened = _open(wallet_path)
    key = opened.add(name, wif)
    opened.save()
    public = key.public_key.to_text()
    _emit(as_json, {"label": name, "public_key": public}, f"imported {public} as {name}")


@wallet.command("new-key")
@click.option("--label", default="", help="A name to remember the key by.")
@_common
def new_key(label: str, wallet_path: Path, node: str, as_json: bool) -> None:
    """Generate and hold a new random key; print its public key."""
    opened = _open(wallet_path)
    key = opened.new_key(label)
    opened.save()
    public = key.public_key.to_text()
    _emit(as_json, {"label": label, "public_key": public}, f"new key {public}")


@wallet.command("list")
@_common
def list_keys(wallet_path: Path, node: str, as_json: bool) -> None:
    """List the held keys (labels and public keys only)."""
    listing = _open(wallet_path).listing()
    _emit(as_json, listing, "\n".join(f"{e['label'] or '-':20} {e['public_key']}"
                                      for e in listing) or "(no keys)")


# -- reads -------------------------------------------------------------------------------------
@wallet.command()
@click.argument("name")
@_common
def balance(name: str, wallet_path: Path, node: str, as_json: bool) -> None:
    """The balances of account NAME (no wallet needed)."""
    with Client(node) as client:
        balances = client.balances_text(name)
    _emit(as_json, balances, "\n".join(f"{v} {k}" for k, v in balances.items()) or "(none)")


# -- operations --------------------------------------------------------------------------------
@wallet.command()
@click.argument("new_name")
@click.option("--registrar", required=True, help="The paying account (a lifetime member).")
@click.option("--key", "public_key", default=None,
              help="Owner/active/memo public key; a new wallet key by default.")
@_common
def register(new_name: str, registrar: str, public_key: str | None, wallet_path: Path,
             node: str, as_json: bool) -> None:
    """Register account NEW_NAME, paid by the registrar."""
    opened = _open(wallet_path)
    if public_key is None:
        public_key = opened.new_key(new_name).public_key.to_text()
        opened.save()
    key_text = public_key
    with Client(node, keys=opened.private_keys()) as client:
        receipt = client.register(registrar, new_name, key_text)
    payload = {**receipt.to_json(), "account": new_name, "public_key": key_text}
    _emit(as_json, payload, f"registered {new_name} ({receipt.new_object_id}) with key "
                            f"{key_text} in block {receipt.block_num}")


@wallet.command()
@click.argument("from_account")
@click.argument("to_account")
@click.argument("amount", nargs=-1, required=True)
@click.option("--memo", default=None, help="A memo, encrypted to the recipient.")
@_common
def transfer(from_account: str, to_account: str, amount: tuple[str, ...], memo: str | None,
             wallet_path: Path, node: str, as_json: bool) -> None:
    """Transfer AMOUNT: a number and a symbol, as 12.5 GPX."""
    text = " ".join(amount)
    _send(wallet_path, node, as_json,
          lambda c: c.transfer(from_account, to_account, text, memo),
          f"sent {text} to {to_account}")


def _order_command(side: str) -> Callable[..., None]:
    @click.argument("account")
    @click.argument("amount")
    @click.argument("quote")
    @click.argument("price")
    @click.argument("base")
    @click.option("--expiration", type=int, default=None, help="Seconds until it expires.")
    @click.option("--fill-or-kill", is_flag=True)
    @_common
    def order(account: str, amount: str, quote: str, price: str, base: str,
              expiration: int | None, fill_or_kill: bool, wallet_path: Path, node: str,
              as_json: bool) -> None:
        _send(wallet_path, node, as_json,
              lambda c: getattr(c, side)(account, f"{amount} {quote}", f"{price} {base}",
                                         expiration_s=expiration, fill_or_kill=fill_or_kill),
              f"{side} {amount} {quote} at {price} {base}/{quote}")

    order.__doc__ = (f"{side.capitalize()} AMOUNT QUOTE at PRICE BASE per QUOTE "
                     f"(as: {side} alice 0.3 BTC 33333 GPX)")
    return order


wallet.command("buy")(_order_command("buy"))
wallet.command("sell")(_order_command("sell"))


@wallet.command()
@click.argument("order_id")
@click.option("--account", default=None, help="The order's owner (read from the chain).")
@_common
def cancel(order_id: str, account: str | None, wallet_path: Path, node: str,
           as_json: bool) -> None:
    """Cancel limit order ORDER_ID (1.7.N)."""
    def action(client: Client) -> Receipt:
        owner = account
        if owner is None:
            found = client.objects(order_id)[0]
            if found is None:
                raise ClientError(f"order {order_id} does not exist (filled or cancelled?)")
            owner = found["seller"]
        receipt: Receipt = client.cancel(owner, order_id)
        return receipt

    _send(wallet_path, node, as_json, action, f"cancelled {order_id}")


@wallet.command()
@click.argument("account")
@click.argument("amount")
@click.argument("symbol")
@click.option("--ratio", default=None, help="Bring the position to this collateral ratio.")
@click.option("--collateral", default=None, help="Collateral to add, e.g. '5000 GPX'.")
@click.option("--target-ratio", default=None, help="Target collateral ratio on margin call.")
@_common
def borrow(account: str, amount: str, symbol: str, ratio: str | None, collateral: str | None,
           target_ratio: str | None, wallet_path: Path, node: str, as_json: bool) -> None:
    """Borrow AMOUNT of smartcoin SYMBOL (negative repays)."""
    _send(wallet_path, node, as_json,
          lambda c: c.borrow(account, f"{amount} {symbol}", collateral=collateral, ratio=ratio,
                             target_ratio=target_ratio),
          f"borrowed {amount} {symbol}")


@wallet.command()
@click.argument("account")
@click.argument("amount")
@click.argument("symbol")
@_common
def settle(account: str, amount: str, symbol: str, wallet_path: Path, node: str,
           as_json: bool) -> None:
    """Settle AMOUNT of smartcoin SYMBOL for its backing asset."""
    _send(wallet_path, node, as_json, lambda c: c.settle(account, f"{amount} {symbol}"),
          f"settlement of {amount} {symbol} requested")


@wallet.command("publish-feed")
@click.argument("publisher")
@click.argument("symbol")
@click.argument("price")
@click.option("--mcr", default="1.75", show_default=True)
@click.option("--mssr", default="1.10", show_default=True)
@click.option("--cer", default=None, help="Core exchange rate (default: the price).")
@click.option("--icr", default=None, help="Initial collateral ratio.")
@_common
def publish_feed(publisher: str, symbol: str, price: str, mcr: str, mssr: str,
                 cer: str | None, icr: str | None, wallet_path: Path, node: str,
                 as_json: bool) -> None:
    """Publish a feed for SYMBOL; PRICE like '0.05 USD/GPX' (quote it)."""
    _send(wallet_path, node, as_json,
          lambda c: c.publish_feed(publisher, symbol, price, mcr=mcr, mssr=mssr, cer=cer,
                                   icr=icr),
          f"published {price} for {symbol}")


@wallet.command()
@click.argument("fee_payer")
@click.argument("operations")
@click.option("--lifetime", type=int, default=3600, show_default=True, help="Seconds.")
@click.option("--review-period", type=int, default=None, help="Seconds.")
@_common
def propose(fee_payer: str, operations: str, lifetime: int, review_period: int | None,
            wallet_path: Path, node: str, as_json: bool) -> None:
    """Propose OPERATIONS: a JSON list of [op_id, {fields}] (fees may be left out)."""
    ops = _json_operations(operations)
    _send(wallet_path, node, as_json,
          lambda c: c.propose(fee_payer, ops, lifetime_s=lifetime, review_period_s=review_period),
          "proposed")


def _json_operations(operations: str) -> list[Any]:
    try:
        ops = json.loads(operations)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="OPERATIONS") from None
    if not isinstance(ops, list) or not ops:
        raise click.BadParameter("expected a non-empty JSON list", param_hint="OPERATIONS")
    return ops


@wallet.command()
@click.argument("operations")
@_common
def send(operations: str, wallet_path: Path, node: str, as_json: bool) -> None:
    """Sign with the wallet's keys and broadcast OPERATIONS, a JSON list of [op_id, {fields}]
    (fees may be left out): any operation graphex has, including those without a command."""
    ops = _json_operations(operations)
    _send(wallet_path, node, as_json, lambda c: c.broadcast(ops), "sent")


@wallet.command()
@click.argument("account")
@click.argument("proposal_id")
@click.option("--remove", is_flag=True, help="Withdraw the approval instead.")
@_common
def approve(account: str, proposal_id: str, remove: bool, wallet_path: Path, node: str,
            as_json: bool) -> None:
    """Approve proposal PROPOSAL_ID (1.10.N) with ACCOUNT's active authority."""
    _send(wallet_path, node, as_json,
          lambda c: c.approve(account, proposal_id, approve=not remove),
          f"{'withdrew approval of' if remove else 'approved'} {proposal_id}")
from . import wallet_futures  # noqa: F401 — registers `graphex wallet futures`
