"""The Shekara wire contract, version 1: MQTT topics, signed messages, event bodies.

Both the edge agent and the hub import this module and nothing else defines the
contract.  ``docs/protocol.md`` explains it and ``docs/protocol.schema.json`` is
generated from the models here (see :func:`json_schema`).

Topics (each segment ``[A-Za-z0-9_-]{1,64}``)::

    shekara/v1/<checkpoint>/<lane>/<device>/events     device -> hub, QoS 1, chained events
    shekara/v1/<checkpoint>/<lane>/<device>/status     device -> hub, QoS 1, retained presence
                                                       (birth on connect, last will on loss)
    shekara/v1/<checkpoint>/<lane>/<device>/commands   hub -> device, QoS 1

Signature byte layout.  A message is a JSON object.  Remove its ``sig`` member, encode
the rest with RFC 8785 canonical JSON (:mod:`shekara.jcs`) and prefix a domain string
so a signature for one kind of message can never be replayed as another::

    signing_input = DOMAIN || JCS(message without "sig")
    DOMAIN        = b"shekara/v1/event\\n"    for events
                  = b"shekara/v1/presence\\n" for presence (status topic)
    sig           = base64(Ed25519-sign(device key, signing_input))   (RFC 8032, 64 bytes)

Each device's events form a hash chain::

    event_hash(e)  = lower-hex SHA-256(signing_input(e))
    e[n].prev_hash = event_hash(e[n-1]);  e[1].prev_hash = 64 x "0"

``seq`` starts at 1 and grows by exactly one per event of a device, across restarts.

Key rotation.  A ``device.key_rotated`` event at seq N, signed by the old key, names the
new key; events from N+1 on are signed by the new one.  Its ``proof`` is the new key's
signature over::

    ROTATION_DOMAIN || JCS({"device_id", "seq": N, "key_id": new, "previous_key_id": old})
    ROTATION_DOMAIN = b"shekara/v1/key-rotation\n"

so an event of either key verifies for ever at its place in the chain (the overlap).

Versioning: additive changes (a new optional field, a new event type) keep ``v: 1``;
anything else is a new version with a new topic root and domain strings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shekara import jcs
from shekara.errors import (
    BadSignature,
    BadTopic,
    InvalidEnvelope,
    KeyFileError,
    MalformedJSON,
    OversizedPayload,
    UnsupportedVersion,
)
from shekara.ids import ULID_PATTERN
from shekara.keys import key_id, public_key_b64, public_key_from_b64

SCHEMA_VERSION = 1
TOPIC_ROOT = "shekara/v1"
MAX_PAYLOAD_BYTES = 64 * 1024
EVENT_DOMAIN = b"shekara/v1/event\n"
PRESENCE_DOMAIN = b"shekara/v1/presence\n"
ROTATION_DOMAIN = b"shekara/v1/key-rotation\n"
GENESIS_HASH = "0" * 64
MAX_SEQ = jcs.MAX_SAFE_INTEGER

SEGMENT_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_SEGMENT_RE = re.compile(SEGMENT_PATTERN)
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"
HASH_PATTERN = r"^[0-9a-f]{64}$"
KEY_ID_PATTERN = r"^[0-9a-f]{16}$"
SIG_PATTERN = r"^[A-Za-z0-9+/]{86}==$"

Segment = Annotated[str, Field(pattern=SEGMENT_PATTERN)]
Timestamp = Annotated[str, Field(pattern=TIMESTAMP_PATTERN, description="RFC 3339 UTC, 'Z'")]


class Channel(StrEnum):
    """The last segment of a topic."""

    EVENTS = "events"
    STATUS = "status"
    COMMANDS = "commands"
    # v1, added: the JPEG bytes of an evidence crop, bound to its signed event by the
    # SHA-256 that event's body carries (no envelope, no signature of its own).
    EVIDENCE = "evidence"


@dataclass(frozen=True, slots=True)
class Address:
    """Where a device sits: checkpoint, lane and its own id."""

    checkpoint: str
    lane: str
    device: str

    def __post_init__(self) -> None:
        for name in ("checkpoint", "lane", "device"):
            value = getattr(self, name)
            if not _SEGMENT_RE.fullmatch(value):
                raise BadTopic(f"{name} {value!r} must match {SEGMENT_PATTERN}")

    def topic(self, channel: Channel) -> str:
        """The topic of this device for ``channel``."""
        return f"{TOPIC_ROOT}/{self.checkpoint}/{self.lane}/{self.device}/{channel.value}"


def subscription(channel: Channel, checkpoint: str = "+") -> str:
    """A wildcard filter for ``channel`` on every device (of one checkpoint)."""
    return f"{TOPIC_ROOT}/{checkpoint}/+/+/{channel.value}"


def parse_topic(topic: str) -> tuple[Address, Channel]:
    """Split a contract topic into its address and channel, or raise :class:`BadTopic`."""
    parts = topic.split("/")
    if len(parts) != 6 or f"{parts[0]}/{parts[1]}" != TOPIC_ROOT:
        raise BadTopic(
            f"topic {topic!r} is not {TOPIC_ROOT}/<checkpoint>/<lane>/<device>/<channel>"
        )
    try:
        channel = Channel(parts[5])
    except ValueError:
        raise BadTopic(f"topic {topic!r} ends in unknown channel {parts[5]!r}") from None
    return Address(parts[2], parts[3], parts[4]), channel


# --- event bodies -----------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GS1Element(_Body):
    """One GS1 Application Identifier and its value."""

    ai: str = Field(pattern=r"^\d{2,4}$", description="Application Identifier, e.g. '00'")
    title: str = Field(description="GS1 data title, e.g. 'SSCC'")
    value: str = Field(description="The element string value")


class GS1Data(_Body):
    """A GS1 element string interpreted (from GS1-128, GS1 DataMatrix, GS1 QR...)."""

    elements: list[GS1Element] = Field(description="Every AI in the order read")
    sscc: str | None = Field(None, description="AI 00, 18 digits")
    gtin: str | None = Field(None, description="AI 01, 14 digits")
    batch: str | None = Field(None, description="AI 10")
    expiry: str | None = Field(None, description="AI 17 as YYYY-MM-DD")
    check_digits_ok: bool = Field(description="Every mod-10 check digit (SSCC, GTIN) verified")


class ContainerCode(_Body):
    """An ISO 6346 freight-container identification."""

    code: str = Field(pattern=r"^[A-Z]{3}[UJZR][0-9]{7}$", description="11 characters, no spaces")
    owner: str = Field(description="Owner code, 3 letters")
    category: str = Field(description="Equipment category: U, J, Z (R for reefers in practice)")
    serial: str = Field(description="6-digit serial number")
    check_digit: str = Field(description="The check digit as printed")
    check_digit_ok: bool = Field(description="The printed check digit matches ISO 6346")


class BarcodeRead(_Body):
    """``barcode.read``: one code seen by a lane camera (once, however many frames)."""

    symbology: str = Field(description="Symbology name as zxing-cpp spells it, e.g. 'Code128'")
    symbology_identifier: str | None = Field(
        None, description="ISO/IEC 15424 identifier, e.g. ']C1' for GS1-128"
    )
    text: str = Field(description="Decoded content as text (GS1 shown with (AI) brackets)")
    raw_b64: str = Field(description="Decoded content bytes, base64")
    gs1: GS1Data | None = Field(None, description="GS1 interpretation when the content is GS1")
    iso6346: ContainerCode | None = Field(None, description="When the content is a container code")
    invalid_check_digit: bool = Field(
        False, description="A check digit (GS1 or ISO 6346) failed; the read is kept, flagged"
    )
    frames: int = Field(1, ge=1, description="Consecutive frames the code was seen in")
    decoder: str = Field(description="Library that read it: 'zxing-cpp' or 'pyzbar'")
    bbox: list[int] | None = Field(
        None, min_length=4, max_length=4, description="x, y, width, height in frame pixels"
    )


class DeviceStatus(_Body):
    """``device.status``: periodic heartbeat carried in the event chain."""

    fps: float = Field(ge=0, description="Frames processed per second over the last interval")
    outbox_depth: int = Field(ge=0, description="Events signed but not yet acknowledged")
    camera: Literal["ok", "connecting", "lost", "ended"] = Field(description="Capture state")
    software_version: str = Field(description="Edge agent version")
    uptime_s: int = Field(ge=0, description="Seconds since the agent started")
    reconnects: int = Field(0, ge=0, description="Camera reconnects since start")
    disk_free_mb: int | None = Field(None, description="Free space where the outbox lives")
    cpu_temp_c: float | None = Field(None, description="SoC temperature when readable")
    # v1, added: the disk-full alert and its cost (absent from older agents).
    disk_low: bool | None = Field(
        None,
        description="Free space where the outbox or the evidence lives is under the device's "
        "threshold: evidence crops are being shed so that events keep their room",
    )
    events_dropped: int | None = Field(
        None, ge=0, description="Events lost since start because the disk refused them too long"
    )


class PlateCandidate(_Body):
    """One possible reading of a plate."""

    text: str = Field(description="Normalised plate text (Latin letters, ASCII digits)")
    country: str | None = Field(description="ISO 3166 alpha-2 of the format it fits, or null")
    confidence: float = Field(ge=0, le=1, description="0..1")


class PlateRead(_Body):
    """``plate.read``: one plate reading in one frame (for the officer's live view)."""

    text: str = Field(description="Best normalised reading")
    country: str | None = Field(description="Country of the format it fits, or null")
    format: str | None = Field(None, description="Name of the format it fits")
    confidence: float = Field(ge=0, le=1, description="OCR confidence times format fit")
    candidates: list[PlateCandidate] = Field(description="Alternatives, best first (at most 5)")
    bbox: list[int] = Field(min_length=4, max_length=4, description="x, y, w, h in pixels")
    raw_text: str = Field(description="What the recognizer returned, before normalising")


class Evidence(_Body):
    """The evidence crop kept on the edge device."""

    sha256: str = Field(pattern=HASH_PATTERN, description="SHA-256 of the stored file's bytes")
    file: str = Field(description="File name in the device's evidence folder")
    media_type: str = Field(description="e.g. 'image/jpeg'")
    width: int = Field(ge=1, description="Pixels")
    height: int = Field(ge=1, description="Pixels")


class VehiclePassage(_Body):
    """``vehicle.passage``: one vehicle through the view, voted over all its frames."""

    plate: str = Field(description="Voted normalised plate text")
    country: str | None = Field(description="Country of the voted plate's format, or null")
    format: str | None = Field(None, description="Name of the format it fits")
    confidence: float = Field(ge=0, le=1, description="Share of the votes times their quality")
    candidates: list[PlateCandidate] = Field(description="Voted alternatives, best first")
    first_seen: Timestamp = Field(description="First frame with a reading")
    last_seen: Timestamp = Field(description="Last frame with a reading")
    frames: int = Field(ge=1, description="Frames with a reading of this vehicle")
    direction: Literal["toward", "away"] | None = Field(
        None, description="Motion relative to the camera, when the plate moved enough"
    )
    evidence: Evidence | None = Field(description="The best crop, stored on the edge")


class KeyRotation(_Body):
    """``device.key_rotated``: from the next seq on, the device signs with a new key.

    Signed, like every event, by the key it replaces; ``proof`` shows that the device
    also holds the new one (:func:`rotation_statement`).
    """

    key_id: str = Field(pattern=KEY_ID_PATTERN, description="Key id of the new key")
    public_key: str = Field(
        pattern=r"^[A-Za-z0-9+/]{43}=$", description="base64 of the new raw Ed25519 public key"
    )
    proof: str = Field(
        pattern=SIG_PATTERN, description="The new key's signature over the rotation statement"
    )


class EventType(StrEnum):
    """Event types of schema version 1."""

    BARCODE_READ = "barcode.read"
    DEVICE_STATUS = "device.status"
    DEVICE_KEY_ROTATED = "device.key_rotated"  # added in 0.1: additive, still v1
    PLATE_READ = "plate.read"
    VEHICLE_PASSAGE = "vehicle.passage"


BODY_MODELS: dict[str, type[_Body]] = {
    EventType.BARCODE_READ: BarcodeRead,
    EventType.DEVICE_STATUS: DeviceStatus,
    EventType.DEVICE_KEY_ROTATED: KeyRotation,
    EventType.PLATE_READ: PlateRead,
    EventType.VEHICLE_PASSAGE: VehiclePassage,
}


# --- envelopes --------------------------------------------------------------------


class Envelope(BaseModel):
    """A signed event, as published on ``.../events``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(description="Schema version")
    event_id: str = Field(pattern=ULID_PATTERN, description="ULID: time-sortable and unique")
    device_id: Segment = Field(description="The device that saw and signed it")
    checkpoint: Segment = Field(description="Checkpoint id, e.g. 'temirbaba'")
    lane: Segment = Field(description="Lane or zone id at the checkpoint")
    seq: int = Field(ge=1, le=MAX_SEQ, description="Per-device counter, +1 per event")
    prev_hash: str = Field(pattern=HASH_PATTERN, description="event_hash of the previous event")
    captured_at: Timestamp = Field(description="When the frame was captured (device clock)")
    type: str = Field(description="Event type, e.g. 'barcode.read'")
    body: dict[str, Any] = Field(description="Type-specific content")
    key_id: str = Field(pattern=KEY_ID_PATTERN, description="Key id of the signing key")
    sig: str = Field(pattern=SIG_PATTERN, description="base64 Ed25519 signature")

    @property
    def address(self) -> Address:
        """The device address this event claims."""
        return Address(self.checkpoint, self.lane, self.device_id)


class Presence(BaseModel):
    """A device's presence on ``.../status`` (retained): birth, or last will."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(description="Schema version")
    device_id: Segment = Field(description="Device id")
    checkpoint: Segment = Field(description="Checkpoint id")
    lane: Segment = Field(description="Lane id")
    state: Literal["online", "offline"] = Field(description="'offline' is the last will")
    session: int = Field(
        ge=1, description="Connection counter; a will of an older session is stale"
    )
    at: Timestamp = Field(description="When the message was composed")
    software_version: str = Field(description="Edge agent version")
    last_seq: int = Field(ge=0, description="Highest seq signed when composed")
    acked_seq: int | None = Field(
        None,
        ge=0,
        description="Every seq up to this one was acknowledged by the broker; the hub "
        "treats any of them it lacks as a gap (this is how a lost tail is found)",
    )
    key_id: str = Field(pattern=KEY_ID_PATTERN, description="Key id of the signing key")
    sig: str = Field(pattern=SIG_PATTERN, description="base64 Ed25519 signature")


class Command(BaseModel):
    """A hub request on ``.../commands``.

    ``resend`` asks the device to publish again the events ``from_seq..to_seq`` that it
    still holds (the hub found a gap).  Resent events are the original signed bytes,
    so a forged command can only cause duplicates, which the hub stores once.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(description="Schema version")
    cmd: Literal["resend"] = Field(description="What to do")
    from_seq: int = Field(ge=1, le=MAX_SEQ, description="First seq to resend")
    to_seq: int = Field(
        ge=1, le=MAX_SEQ, description="Last seq to resend, inclusive (MAX_SEQ: all)"
    )
    issued_at: Timestamp = Field(description="When the hub issued it")


# --- encoding, signing, verification ----------------------------------------------


def utc_timestamp(moment: datetime | None = None) -> str:
    """RFC 3339 UTC with milliseconds, the contract's timestamp form."""
    moment = moment or datetime.now(UTC)
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def signing_input(domain: bytes, message: dict[str, Any]) -> bytes:
    """The exact bytes a signature covers: ``domain || JCS(message minus 'sig')``."""
    unsigned = {k: v for k, v in message.items() if k != "sig"}
    return domain + jcs.canonical_bytes(unsigned)


def event_hash(message: dict[str, Any]) -> str:
    """Chain hash of an event: hex SHA-256 of its signing input."""
    return hashlib.sha256(signing_input(EVENT_DOMAIN, message)).hexdigest()


def sign(domain: bytes, message: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """Return ``message`` with ``key_id`` and ``sig`` set."""
    out = dict(message)
    out["key_id"] = key_id(private_key.public_key())
    out["sig"] = base64.b64encode(private_key.sign(signing_input(domain, out))).decode("ascii")
    return out


def verify(domain: bytes, message: dict[str, Any], public_key: Ed25519PublicKey) -> None:
    """Raise :class:`BadSignature` unless ``message['sig']`` verifies under ``public_key``."""
    if message.get("key_id") != key_id(public_key):
        raise BadSignature(
            f"key_id {message.get('key_id')!r} is not the registered key {key_id(public_key)}"
        )
    try:
        sig = base64.b64decode(str(message.get("sig", "")), validate=True)
        public_key.verify(sig, signing_input(domain, message))
    except (binascii.Error, InvalidSignature):
        raise BadSignature("Ed25519 signature does not verify over the canonical bytes") from None


def make_event(
    private_key: Ed25519PrivateKey,
    address: Address,
    *,
    seq: int,
    prev_hash: str,
    event_type: str,
    body: dict[str, Any],
    captured_at: str,
    event_id: str,
) -> dict[str, Any]:
    """Build and sign one chained event (the edge outbox and tests both use this)."""
    validate_body(event_type, body)
    message = {
        "v": SCHEMA_VERSION,
        "event_id": event_id,
        "device_id": address.device,
        "checkpoint": address.checkpoint,
        "lane": address.lane,
        "seq": seq,
        "prev_hash": prev_hash,
        "captured_at": captured_at,
        "type": event_type,
        "body": body,
    }
    return sign(EVENT_DOMAIN, message, private_key)


def rotation_statement(device_id: str, seq: int, new_key_id: str, previous_key_id: str) -> bytes:
    """What a rotation's ``proof`` signs: the device, the rotation's seq and both key ids."""
    return ROTATION_DOMAIN + jcs.canonical_bytes(
        {"device_id": device_id, "seq": seq, "key_id": new_key_id,
         "previous_key_id": previous_key_id}
    )  # fmt: skip


def rotation_body(
    new_key: Ed25519PrivateKey, device_id: str, seq: int, previous_key_id: str
) -> dict[str, Any]:
    """The body of a ``device.key_rotated`` event at ``seq``, proof included."""
    public = new_key.public_key()
    statement = rotation_statement(device_id, seq, key_id(public), previous_key_id)
    return {
        "key_id": key_id(public),
        "public_key": public_key_b64(public),
        "proof": base64.b64encode(new_key.sign(statement)).decode("ascii"),
    }


def verify_rotation(
    body: dict[str, Any], device_id: str, seq: int, previous_key_id: str
) -> Ed25519PublicKey:
    """The new key of a validated rotation body; :class:`BadSignature` if its proof fails."""
    try:
        public = public_key_from_b64(str(body["public_key"]))
        proof = base64.b64decode(str(body["proof"]), validate=True)
    except (KeyFileError, binascii.Error, KeyError) as exc:
        raise BadSignature(f"key rotation: unreadable new key or proof ({exc})") from None
    if key_id(public) != body.get("key_id"):
        raise BadSignature(f"key rotation: key_id {body.get('key_id')!r} is not the new key's")
    statement = rotation_statement(device_id, seq, key_id(public), previous_key_id)
    try:
        public.verify(proof, statement)
    except InvalidSignature:
        raise BadSignature("key rotation: the new key's proof does not verify") from None
    return public


def encode(message: dict[str, Any]) -> bytes:
    """The payload published on the wire: the canonical JSON of the signed message."""
    return jcs.canonical_bytes(message)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise MalformedJSON(f"duplicate member {key!r}")
        out[key] = value
    return out


def decode_json(payload: bytes) -> dict[str, Any]:
    """Parse a payload into a JSON object, refusing oversize, non-UTF-8 and duplicates."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise OversizedPayload(f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(
            payload.decode("utf-8"), object_pairs_hook=_reject_duplicates, parse_int=jcs.parse_int
        )
    except UnicodeDecodeError as exc:
        raise MalformedJSON(f"payload is not UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise MalformedJSON(f"payload is not JSON: {exc.msg} at char {exc.pos}") from None
    except RecursionError:
        # 64 KiB of "[" nests far deeper than the C decoder's recursion guard allows.
        raise MalformedJSON("payload nests arrays or objects too deeply") from None
    except (ValueError, OverflowError) as exc:
        # From parse_int: more digits than int() converts (4300), or beyond a double.
        raise MalformedJSON(f"payload has an integer out of range: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedJSON(f"payload is a JSON {type(data).__name__}, not an object")
    if "v" in data and data["v"] != SCHEMA_VERSION:
        raise UnsupportedVersion(
            f"schema version {data['v']!r}; this build speaks {SCHEMA_VERSION}"
        )
    return data


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "message"
    return f"{where}: {err['msg']}"


def parse_envelope(payload: bytes) -> tuple[Envelope, dict[str, Any]]:
    """Decode and validate an event payload (not its signature).

    Returns the model and the raw JSON object (needed to recompute the signing input
    exactly as received).
    """
    data = decode_json(payload)
    try:
        env = Envelope.model_validate(data)
    except ValidationError as exc:
        raise InvalidEnvelope(f"envelope {_first_error(exc)}") from None
    validate_body(env.type, env.body)
    return env, data


def validate_body(event_type: str, body: dict[str, Any]) -> None:
    """Check ``body`` against the model of ``event_type``."""
    if event_type not in BODY_MODELS:
        raise InvalidEnvelope(f"unknown event type {event_type!r}")
    try:
        BODY_MODELS[event_type].model_validate(body)
    except ValidationError as exc:
        raise InvalidEnvelope(f"{event_type} body {_first_error(exc)}") from None


def parse_presence(payload: bytes) -> tuple[Presence, dict[str, Any]]:
    """Decode and validate a presence payload (not its signature)."""
    data = decode_json(payload)
    try:
        return Presence.model_validate(data), data
    except ValidationError as exc:
        raise InvalidEnvelope(f"presence {_first_error(exc)}") from None


def parse_command(payload: bytes) -> Command:
    """Decode and validate a command payload."""
    data = decode_json(payload)
    try:
        return Command.model_validate(data)
    except ValidationError as exc:
        raise InvalidEnvelope(f"command {_first_error(exc)}") from None


def json_schema() -> dict[str, Any]:
    """JSON Schema of every message and body, as written to docs/protocol.schema.json."""
    models: dict[str, type[BaseModel]] = {
        "Envelope": Envelope,
        "Presence": Presence,
        "Command": Command,
        "body:barcode.read": BarcodeRead,
        "body:device.status": DeviceStatus,
        "body:device.key_rotated": KeyRotation,
        "body:plate.read": PlateRead,
        "body:vehicle.passage": VehiclePassage,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Shekara wire contract v{SCHEMA_VERSION}",
        "$defs": {name: model.model_json_schema() for name, model in models.items()},
    }
