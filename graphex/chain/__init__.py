"""graphex.chain package."""
