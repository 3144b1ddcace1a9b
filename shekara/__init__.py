"""Shekara: code shared by edge agents and the hub (wire contract, signing, identifiers)."""

__version__ = "0.1.0"
