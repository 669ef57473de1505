"""The feed tool's typed errors: each carries a message meant to be printed as it is."""

from __future__ import annotations


class FeedError(Exception):
    """Anything the feed tool reports and refuses, without a traceback."""


class ConfigError(FeedError):
    """A config file that cannot be used; the message names the file and the key."""


class SourceError(FeedError):
    """A price source that failed or answered something unusable."""


class PricingError(FeedError):
    """No usable price for an asset (no route, no volume, too few sources, rounds to zero)."""


class RpcError(FeedError):
    """The node refused a call or could not be reached; ``method`` is the API method."""

    def __init__(self, method: str, message: str) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.node_message = message
