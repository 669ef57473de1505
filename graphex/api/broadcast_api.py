"""The ``network_broadcast`` API: hand a signed transaction to the node, optionally wait for its
block.

As bitshares-core's ``network_broadcast_api`` (libraries/app/api.cpp):

- ``broadcast_transaction(trx)`` → ``null`` once the node has accepted the transaction into its
  pending pool (it is applied to the pending state; a refusal comes back as the chain's error).
- ``broadcast_transaction_synchronous(trx)`` → ``{id, block_num, trx_num, trx}`` once a block
  includes it; ``trx`` is the processed transaction with its ``operation_results``.
- ``broadcast_transaction_with_callback(cb, trx)`` → ``null`` at once; the same object is sent
  as a ``notice`` to callback ``cb`` when a block includes the transaction.
- A futures pre-order (its series not listed yet) waits in the node's waiting pool: the first
  and third accept it; ``broadcast_transaction_synchronous`` refuses at once with code 1,
  ``transaction_waiting`` and the node's message, leaving it waiting.

Confirmations come from the node's block listeners (which run on the event loop's thread).
A waiter ends when its transaction is in a block, when a block's time passes the transaction's
expiration without it (refused as expired), or after :data:`MAX_CONFIRMATION_WAIT_S`.
At most :data:`MAX_PENDING_CONFIRMATIONS` waiters exist at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..chain.errors import ExpiredTransaction
from ..chain.tx_apply import transaction_id_of
from ..node.node import Node, TransactionWaiting
from ..protocol.block import SignedBlock, block_num
from ..protocol.codec import Json, format_time
from ..protocol.struct import codec_of, from_json
from ..protocol.transaction import ProcessedTransaction, SignedTransaction
from .errors import ExecutionError
from .queries import ApiLimitExceeded
from .rpc import Session

log = logging.getLogger(__name__)

MAX_PENDING_CONFIRMATIONS = 10_000
"""Transactions whose inclusion callers may be waiting for at once (all connections)."""
MAX_CONFIRMATION_WAIT_S = 600.0
"""Longest a ``broadcast_transaction_synchronous`` call waits for its block."""

_PROCESSED = codec_of(ProcessedTransaction)


class ConfirmationTimeout(ExecutionError):
    """A synchronous broadcast whose transaction was not in a block within the wait limit."""


@dataclass
class _Waiter:
    expiration_s: int
    on_included: Callable[[Json], None]
    on_failed: Callable[[Exception], None]
    session: Session | None = None


def confirmation(block: SignedBlock, trx_num: int, tx_id: bytes) -> Json:
    """The ``{id, block_num, trx_num, trx}`` object for transaction ``trx_num`` of ``block``."""
    return {
        "id": tx_id.hex(),
        "block_num": block_num(block),
        "trx_num": trx_num,
        "trx": _PROCESSED.to_json(block.transactions[trx_num]),
    }


def _notify(callback: Callable[[Any], None], value: Any) -> None:
    """Run a waiter's callback; a failing one is logged and never disturbs block production."""
    try:
        callback(value)
    except Exception:
        log.exception("broadcast confirmation callback failed")


class NetworkBroadcastApi:
    """BitShares' ``network_broadcast_api`` over one :class:`~graphex.node.node.Node`."""

    methods: ClassVar[frozenset[str]] = frozenset({
        "broadcast_transaction", "broadcast_transaction_synchronous",
        "broadcast_transaction_with_callback",
    })

    def __init__(self, node: Node) -> None:
        self.node = node
        self._waiters: dict[bytes, _Waiter] = {}
        self._cleaned_sessions: set[int] = set()  # id() of sessions with a cleanup registered
        node.block_listeners.append(self._on_block)

    @property
    def waiting(self) -> int:
        """Transactions currently awaited (for tests and metrics)."""
        return len(self._waiters)

    def broadcast_transaction(self, trx: dict[str, Any]) -> None:
        self._push(trx)

    async def broadcast_transaction_synchronous(self, trx: dict[str, Any]) -> Json:
        """Push ``trx`` and wait until a block includes it; returns its confirmation."""
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()

        def included(result: Json) -> None:
            if not future.done():
                future.set_result(result)

        def failed(exc: Exception) -> None:
            if not future.done():
                future.set_exception(exc)

        tx_id = self._push(trx, included, failed)
        try:
            return await asyncio.wait_for(future, timeout=MAX_CONFIRMATION_WAIT_S)
        except TimeoutError:
            raise ConfirmationTimeout(
                f"transaction {tx_id.hex()} was not included in a block within "
                f"MAX_CONFIRMATION_WAIT_S = {MAX_CONFIRMATION_WAIT_S:g} s "
                f"(head block {self.node.state.head_num})"
            ) from None
        finally:
            self._waiters.pop(tx_id, None)

    def broadcast_transaction_with_callback(self, callback_id: int, trx: dict[str, Any], *,
                                            session: Session) -> None:
        """Push ``trx``; notify ``callback_id`` on this connection when a block includes it.

        Nothing is sent if the transaction expires first (as in BitShares)."""
        if id(session) not in self._cleaned_sessions:
            session.on_close(lambda: self._forget_session(session))
            self._cleaned_sessions.add(id(session))
        self._push(trx, lambda result: session.notify(callback_id, result), lambda exc: None,
                   session)

    # -- internals -----------------------------------------------------------------------------
    def _forget_session(self, session: Session) -> None:
        self._cleaned_sessions.discard(id(session))
        for tx_id in [t for t, w in self._waiters.items() if w.session is session]:
            del self._waiters[tx_id]

    def _push(self, trx: dict[str, Any], on_included: Callable[[Json], None] | None = None,
              on_failed: Callable[[Exception], None] | None = None,
              session: Session | None = None) -> bytes:
        """Decode ``trx``, push it to the node and (with callbacks) await its block."""
        tx = from_json(SignedTransaction, trx)
        tx_id = transaction_id_of(tx)
        if on_included is not None and len(self._waiters) >= MAX_PENDING_CONFIRMATIONS:
            raise ApiLimitExceeded("broadcast", "awaited confirmations",
                                   len(self._waiters) + 1, "MAX_PENDING_CONFIRMATIONS",
                                   MAX_PENDING_CONFIRMATIONS)
        try:
            self.node.push_transaction(tx)
        except TransactionWaiting:
            # a futures pre-order kept in the node's waiting pool (SPEC §7): accepted like a
            # pending one, except by broadcast_transaction_synchronous, which refuses at once
            # with the node's message (the transaction stays waiting all the same)
            if on_included is not None and session is None:
                raise
        if on_included is not None and on_failed is not None:
            self._waiters[tx_id] = _Waiter(tx.expiration, on_included, on_failed, session)
        return tx_id

    def _on_block(self, block: SignedBlock, block_id: bytes) -> None:
        if not self._waiters:
            return
        for trx_num, tx in enumerate(block.transactions):
            tx_id = transaction_id_of(tx)
            waiter = self._waiters.pop(tx_id, None)
            if waiter is not None:
                _notify(waiter.on_included, confirmation(block, trx_num, tx_id))
        expired = [tx_id for tx_id, w in self._waiters.items()
                   if w.expiration_s <= block.timestamp]
        for tx_id in expired:
            waiter = self._waiters.pop(tx_id)
            _notify(waiter.on_failed, ExpiredTransaction(
                f"transaction {tx_id.hex()} expired at {format_time(waiter.expiration_s)} "
                f"before a block included it (block {block_num(block)} at "
                f"{format_time(block.timestamp)})"
            ))
