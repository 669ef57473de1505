"""The node's API registry: which API sets a node serves, and how its errors reach clients.

:func:`build_registry` exposes ``database`` (id 0), ``network_broadcast``, ``history`` and
``futures`` over one node; the market-data and history reads need the node's history service
(else they refuse).
:func:`node_metrics` adds the node's series (head block, pending pool, transactions applied,
subscriptions) to an app's metrics; :func:`build_app` is the node's whole API application.
:func:`map_error` turns the node's typed errors into JSON-RPC errors: a chain refusal
(:class:`~graphex.chain.errors.ChainError`) or a node refusal (full pending pool …) becomes
code 1 ``Execution error: <message>`` (named ``transaction_waiting`` for a transaction the node
keeps in its waiting pool: see ``broadcast_api.py``); JSON that is not a valid
transaction, operation, object id or key becomes -32602 invalid params with the parser's message.
"""

from __future__ import annotations

from aiohttp import web

from ..chain.errors import ChainError
from ..node.history import HistoryService
from ..node.node import Node, NodeError, TransactionWaiting
from ..protocol.codec import DecodeError, JsonFormError
from ..protocol.ids import ObjectIdError
from ..protocol.keys import KeyError_
from .broadcast_api import NetworkBroadcastApi
from .database_api import DatabaseApi
from .errors import ApiError, ExecutionError, InvalidParams, snake_case
from .futures_api import FuturesApi
from .history_api import HistoryApi
from .metrics import ApiMetrics
from .rpc import ApiRegistry
from .server import ApiLimits, Handler, make_app

NETWORK_BROADCAST_API = "network_broadcast"
HISTORY_API = "history"
FUTURES_API = "futures"

_MALFORMED_INPUT = (JsonFormError, DecodeError, ObjectIdError, KeyError_)


def map_error(exc: Exception) -> ApiError | None:
    """The API error for an exception raised by an API method (None: not an expected one)."""
    if isinstance(exc, ChainError):
        return ExecutionError(str(exc), code=exc.api_code, name=snake_case(type(exc).__name__))
    if isinstance(exc, TransactionWaiting):
        return ExecutionError(str(exc), name="transaction_waiting")
    if isinstance(exc, NodeError):
        return ExecutionError(str(exc), name="node_error")
    if isinstance(exc, _MALFORMED_INPUT):
        return InvalidParams(f"invalid parameter: {exc}")
    return None


def build_registry(node: Node, history: HistoryService | None = None) -> ApiRegistry:
    """The API sets of ``node``: ``database``, ``network_broadcast``, ``history`` and
    ``futures`` (history reads served from ``history``, the node's :class:`HistoryService`,
    when given)."""
    registry = ApiRegistry(DatabaseApi(node, history), error_mapper=map_error)
    registry.register(NETWORK_BROADCAST_API, NetworkBroadcastApi(node))
    registry.register(HISTORY_API, HistoryApi(node, history))
    registry.register(FUTURES_API, FuturesApi(node, history))
    return registry


def node_metrics(node: Node, registry: ApiRegistry) -> ApiMetrics:
    """Metrics for an app serving ``registry`` over ``node``, with the node's series."""
    metrics = ApiMetrics()
    database = registry.get("database").obj
    if not isinstance(database, DatabaseApi):
        raise TypeError(f"registry's database API is a {type(database).__name__}")
    metrics.watch_node(node, database.subscription_counts)
    return metrics


def build_app(node: Node, history: HistoryService | None = None, *,
              limits: ApiLimits | None = None, http_get: Handler | None = None
              ) -> web.Application:
    """The node's API application: every API set, the transport limits and ``/metrics``."""
    registry = build_registry(node, history)
    return make_app(registry, limits=limits, http_get=http_get,
                    metrics=node_metrics(node, registry))
