"""Test and benchmark harnesses (used by the test suite and `graphex bench`; never by consensus)."""
