"""Protocol layer: types, binary codec, JSON forms, keys and signatures. Imports nothing above it."""
