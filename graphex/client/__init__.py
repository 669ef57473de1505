"""graphex's Python client: reads a node's JSON-RPC API, builds, signs and broadcasts operations.

- :class:`AsyncClient` (aiohttp; ``http://`` or ``ws://``) and its blocking twin :class:`Client`
  (the async client on a loop in a helper thread).
- :mod:`.builders` (``client.ops``): operations from names and exact decimal amounts.
- :mod:`.wallet_file`: the encrypted key file of ``graphex wallet``.

Like ``graphex.feed`` it knows the chain only through the API: it imports ``graphex.protocol``
alone (``tests/lint/test_layers.py``).
"""

from .amounts import format_units, parse_decimal, to_units
from .client import AssetInfo, AsyncClient, Receipt
from .errors import AmountError, ClientError, KeyMissing, NodeError, WalletError
from .sync import Client

__all__ = [
    "AmountError",
    "AssetInfo",
    "AsyncClient",
    "Client",
    "ClientError",
    "KeyMissing",
    "NodeError",
    "Receipt",
    "WalletError",
    "format_units",
    "parse_decimal",
    "to_units",
]
