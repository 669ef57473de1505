"""Typed refusals of the chain layer.

Every expected bad input raises a :class:`ChainError` subclass whose message names the rule broken
and the values involved, e.g. ``insufficient balance: account 1.2.17 (alice) has 10.00000 GPX,
needs 12.00000 GPX``. The API maps ``api_code`` and the message into BitShares' error shape.
A ChainError raised while applying a transaction leaves no trace in state (the transaction's undo
session is rolled back).
"""

from __future__ import annotations


class ChainError(Exception):
    """Expected bad input: a transaction, operation or block that breaks a rule."""

    rule = "chain rule"
    api_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(ChainError):
    rule = "operation validation"


class TransactionError(ChainError):
    rule = "transaction"


class ExpiredTransaction(TransactionError):
    rule = "expiration"


class DuplicateTransaction(TransactionError):
    rule = "duplicate transaction"


class TaposError(TransactionError):
    rule = "TaPoS"


class OversizeTransaction(TransactionError):
    rule = "transaction size"


class AuthorityError(TransactionError):
    rule = "authority"


class MissingAuthority(AuthorityError):
    rule = "missing authority"


class IrrelevantSignature(AuthorityError):
    rule = "irrelevant signature"


class DuplicateSignature(AuthorityError):
    rule = "duplicate signature"


class InsufficientBalance(ChainError):
    rule = "insufficient balance"


class FeeError(ChainError):
    rule = "fee"


class UnknownObjectError(ChainError):
    rule = "unknown object"


class PermissionError_(ChainError):
    rule = "permission"


class NotSupported(ChainError):
    rule = "not supported"


class BlockError(ChainError):
    """A block that cannot be applied (wrong signer, schedule, merkle root, timestamp …)."""

    rule = "block"


class OrderError(ChainError):
    """A limit order operation refused by the market's rules (not filled under fill_or_kill,
    someone else's order, an update that would leave dust …)."""

    rule = "limit order"


def require(condition: bool, error: type[ChainError], message: str) -> None:
    """Raise ``error(message)`` unless ``condition`` holds (never stripped by ``python -O``)."""
    if not condition:
        raise error(message)
