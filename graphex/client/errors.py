"""The client's typed errors: each carries a message meant to be printed as it is."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Anything the client refuses or reports (a tool prints it without a traceback)."""


class NodeError(ClientError):
    """The node refused a call, or could not be reached, or answered garbage.

    ``method`` is the API method, ``node_message`` the node's own text (``Execution error: …``
    for a chain refusal), ``code`` and ``data`` the JSON-RPC error's, when the node sent them."""

    def __init__(self, method: str, message: str, *, code: int | None = None,
                 data: Any = None) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.node_message = message
        self.code = code
        self.data = data


class AmountError(ClientError):
    """An amount or price that cannot be expressed exactly in the asset's precision."""


class KeyMissing(ClientError):
    """No key at hand satisfies an authority a transaction needs."""


class WalletError(ClientError):
    """A wallet file that cannot be created, opened (wrong password, tampered) or changed."""
