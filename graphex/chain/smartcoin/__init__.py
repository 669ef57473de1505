"""Smartcoins (market-pegged assets): feeds, debt positions, margin calls and settlement, as
BitShares today (``reference/bitshares.md`` §3). :mod:`.objects` holds the state objects."""
