"""The node's history service: operation and account history, market history (fills, OHLCV
buckets, tickers), persisted in SQLite and kept in step with the head chain (see
:mod:`.service`)."""

from .market import DEFAULT_BUCKET_SIZES_S, MarketHistoryConfig
from .service import HISTORY_FILE, HistoryService, HistoryUnavailable

__all__ = [
    "DEFAULT_BUCKET_SIZES_S",
    "HISTORY_FILE",
    "HistoryService",
    "HistoryUnavailable",
    "MarketHistoryConfig",
]
