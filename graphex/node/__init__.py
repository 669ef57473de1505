"""The node layer: block production, fork database, pending pool, storage and p2p."""
