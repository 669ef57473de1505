"""Prometheus metrics of one API server, served at ``GET /metrics`` (text exposition format).

Each :class:`ApiMetrics` has its own ``CollectorRegistry`` (never the process-global one), so
several servers in one process — tests, a devnet with two nodes — keep separate series.

Series (all prefixed ``graphex_``):
- ``api_calls_total{api,method,outcome}`` (counter; outcome ``ok`` or ``error``) and
  ``api_call_seconds{api,method}`` (histogram) — one per call of an exposed method, so the
  label values are bounded by the registered methods;
- ``api_open_connections`` — open WebSockets (gauge, read at scrape time);
- ``api_subscriptions{kind}`` — subscriptions held over all connections, by kind (objects,
  accounts, markets, blocks, pending_transactions), when a node is watched;
- ``head_block_number``, ``pending_transactions`` (gauges, read at scrape time) and
  ``transactions_applied_total`` (counter of transactions in blocks joining the head chain
  after the metrics began watching the node).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..node.node import Node
from ..protocol.block import SignedBlock

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                     5.0, 10.0)


class _Gauges(Collector):
    """Gauges read when scraped, from the callables given."""

    def __init__(self) -> None:
        self.plain: list[tuple[str, str, Callable[[], int]]] = []
        self.labelled: list[tuple[str, str, str, Callable[[], dict[str, int]]]] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, doc, read in self.plain:
            yield GaugeMetricFamily(name, doc, value=read())
        for name, doc, label, read_all in self.labelled:
            family = GaugeMetricFamily(name, doc, labels=[label])
            for value_label, value in sorted(read_all().items()):
                family.add_metric([value_label], value)
            yield family


class ApiMetrics:
    """The metrics of one API server (and, once :meth:`watch_node` is called, of its node)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter("graphex_api_calls", "API method calls.",
                             ["api", "method", "outcome"], registry=self.registry)
        self.latency = Histogram("graphex_api_call_seconds", "API method call latency.",
                                 ["api", "method"], buckets=LATENCY_BUCKETS_S,
                                 registry=self.registry)
        self.transactions = Counter("graphex_transactions_applied",
                                    "Transactions in blocks that joined the head chain.",
                                    registry=self.registry)
        self._gauges = _Gauges()
        self.registry.register(self._gauges)

    def observe_call(self, api: str, method: str, seconds: float, failed: bool) -> None:
        """A :data:`~graphex.api.rpc.CallObserver`."""
        self.calls.labels(api, method, "error" if failed else "ok").inc()
        self.latency.labels(api, method).observe(seconds)

    def gauge(self, name: str, doc: str, read: Callable[[], int]) -> None:
        self._gauges.plain.append((name, doc, read))

    def labelled_gauge(self, name: str, doc: str, label: str,
                       read: Callable[[], dict[str, int]]) -> None:
        self._gauges.labelled.append((name, doc, label, read))

    def watch_node(self, node: Node, subscriptions: Callable[[], dict[str, int]]) -> None:
        """Add the node's series; ``subscriptions`` counts subscriptions by kind."""
        self.gauge("graphex_head_block_number", "Head block number.",
                   lambda: node.state.head_num)
        self.gauge("graphex_pending_transactions", "Transactions in the pending pool.",
                   lambda: len(node.pending))
        self.labelled_gauge("graphex_api_subscriptions", "Subscriptions held, by kind.", "kind",
                            subscriptions)
        node.block_listeners.append(self._on_block)

    def _on_block(self, block: SignedBlock, block_id: bytes) -> None:
        self.transactions.inc(len(block.transactions))

    def exposition(self) -> bytes:
        """The text exposition of every series."""
        return bytes(generate_latest(self.registry))
