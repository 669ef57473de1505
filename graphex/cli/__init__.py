"""Command-line interface: ``graphex devnet | node | check | bench``."""
