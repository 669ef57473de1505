"""The node API: JSON-RPC over WebSocket and HTTP, in the BitShares call convention."""
