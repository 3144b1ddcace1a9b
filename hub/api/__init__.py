"""The hub's HTTP API (read-only)."""
