"""graphex: a decentralized exchange-and-clearing blockchain in the line of BitShares."""

__version__ = "0.1.0"
