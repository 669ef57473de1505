"""The price-feed publisher a witness runs (``graphex feed``), a client of a node's JSON-RPC API.

One round: fetch quotes from the configured sources (:mod:`.sources`: ccxt exchanges, the chain's
own DEX, manual prices, a JSON file), combine them exactly per asset (:mod:`.pricing`: inverted
pairs, derivation across one or two intermediate assets, volume weighting), turn the result into
an integer on-chain price rounded to the smartcoin's precision and reduced by the gcd
(:mod:`.onchain`), decide whether it moved enough since this publisher's last feed
(:mod:`.policy`), print a table (:mod:`.report`) and publish an ``asset_publish_feed``
(:mod:`.publish`, over :mod:`.rpc`). :mod:`.runner` ties the round together; :mod:`.config` reads
the TOML file.

Layering: this package imports only :mod:`graphex.protocol` (to build and sign the operation);
everything it knows about the chain comes through the API. It is not consensus code, but what
goes on chain is computed with :class:`fractions.Fraction` only — floats from exchanges are
converted at the boundary through their decimal text.
"""
