"""The spot exchange: limit orders, their book, matching, market fees and expiry.

As BitShares' ``db_market.cpp`` after the hard forks that fixed its rounding (core-342, core-184,
core-555, core-625): price–time priority, every fill at the maker's price, BSIP35 rounding in
favour of the bigger order, dust remainders culled, deferred creation fees.

- :mod:`.price`: integer price arithmetic (round down / up) and the book's sort key;
- :mod:`.objects`: the limit order object (1.7.x) and its indexes;
- :mod:`.fees`: market fees (maker/taker, network share, referral reward);
- :mod:`.orders`: filling and cancelling one order;
- :mod:`.matching`: matching a new or updated order against the book;
- :mod:`.expiry`: cancelling expired orders every block.
"""
