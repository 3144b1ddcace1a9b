"""One base error for everything Shekara rejects, and a few named kinds.

Each message says what was malformed, so that a dead-letter record or a CLI error is
enough to fix the sender without reading the source.
"""

from __future__ import annotations


class ShekaraError(Exception):
    """Base of every error Shekara raises on purpose."""


class ConfigError(ShekaraError):
    """A configuration file is missing, unreadable or invalid."""


class WireError(ShekaraError):
    """A message does not follow the wire contract.

    ``reason`` is a short, stable machine word (it becomes the dead-letter reason);
    the message text says what exactly is wrong.
    """

    reason = "invalid_envelope"


class CanonicalizationError(WireError):
    """A value cannot be encoded canonically (NaN, lone surrogate, huge integer...)."""

    reason = "not_canonical"


class MalformedJSON(WireError):
    """The payload is not UTF-8 JSON."""

    reason = "malformed_json"


class InvalidEnvelope(WireError):
    """The JSON is well formed but the envelope fields are wrong."""

    reason = "invalid_envelope"


class UnsupportedVersion(WireError):
    """The envelope declares a schema version this code does not speak."""

    reason = "unsupported_version"


class OversizedPayload(WireError):
    """The payload is larger than the contract allows."""

    reason = "oversized"


class BadTopic(WireError):
    """The MQTT topic is not one of the contract's topics."""

    reason = "bad_topic"


class BadSignature(WireError):
    """The Ed25519 signature does not verify under the key it claims."""

    reason = "bad_signature"


class KeyFileError(ShekaraError):
    """A key file is missing, unreadable, has unsafe permissions or the wrong type."""
