"""The queue's published rules and the checkpoint's layout, as validated data.

One :class:`QueueConfig` per hub (``queue_config`` in the hub settings, a TOML file;
:data:`DEFAULT_CONFIG` is Temirbaba's).  The whole policy is journalled when the hub
starts and whenever it changes, so a verifier replays calls against the rules that
were in force (:mod:`hub.queue.journal`).  Unknown keys fail loudly.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shekara import wire
from shekara.errors import ConfigError


class Category(StrEnum):
    """What a truck carries, as far as the queue cares."""

    GENERAL = "general"
    PERISHABLE = "perishable"
    DANGEROUS = "dangerous"
    HUMANITARIAN = "humanitarian"
    EMPTY = "empty"
    TRANSIT = "transit"


class State(StrEnum):
    """Where a booking stands.  ACTIVE states lock the plates against a second booking."""

    HELD = "held"  # a slot held while the driver completes the form
    BOOKED = "booked"
    ARRIVED = "arrived"  # read at the waiting-zone camera
    CALLED = "called"
    AT_CONTROL = "at_control"  # read at an entry lane
    INSPECTION = "inspection"  # sent to inspection by an officer
    CLEARED = "cleared"
    REFUSED = "refused"
    EXITED = "exited"  # read at an exit lane
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    EXPIRED = "expired"  # a hold nobody completed


# Cleared and refused trucks are still inside until the exit camera reads them.
ACTIVE = frozenset(
    {State.HELD, State.BOOKED, State.ARRIVED, State.CALLED, State.AT_CONTROL, State.INSPECTION,
     State.CLEARED, State.REFUSED}
)  # fmt: skip


class Stream(StrEnum):
    """Booked trucks and walk-ins queue in separate streams."""

    BOOKED = "booked"
    LIVE = "live"  # walk-ins, and booked trucks that came after their window


class Direction(BaseModel):
    """One direction of traffic through the checkpoint, and the lanes that serve it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=wire.SEGMENT_PATTERN, description="Short id used in URLs and the API")
    name: str = Field(description="Shown to drivers, e.g. 'Kazakhstan → Turkmenistan'")
    waiting_lanes: tuple[str, ...] = Field(
        description="Lanes (device lane names) whose plate reads check a truck in"
    )
    entry_lanes: tuple[str, ...] = Field(description="Lanes whose reads put a truck at control")
    exit_lanes: tuple[str, ...] = Field(description="Lanes whose reads mark a truck as gone")
    default_capacity: dict[Category, int] = Field(
        description="Slots per hour per category until an operator sets otherwise"
    )


class QueueConfig(BaseModel):
    """The checkpoint's layout and every rule of its queue (defaults: the issue's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checkpoint: str = Field("temirbaba", pattern=wire.SEGMENT_PATTERN, description="Checkpoint id")
    name: str = Field("Temirbaba", description="Shown on the pages")
    timezone: str = Field("Asia/Aqtau", description="IANA zone the pages show times in")
    directions: tuple[Direction, ...] = Field(description="Directions of traffic, at least one")
    hold_minutes: int = Field(10, ge=1, le=60, description="How long a slot is held unfinished")
    reschedule_cutoff_hours: float = Field(
        3, ge=0, description="No rescheduling or cancelling this close to the slot"
    )
    arrive_before_hours: float = Field(3, ge=0, description="Check-in opens this long before")
    arrive_after_hours: float = Field(
        1, ge=0, description="Check-in closes this long after; later goes to the live queue"
    )
    no_show_limit: int = Field(2, ge=1, description="No-shows within the window that bring a ban")
    no_show_window_days: int = Field(30, ge=1, description="Window no-shows are counted over")
    ban_days: int = Field(14, ge=0, description="How long a banned tractor cannot book")
    exit_timeout_hours: float = Field(
        12, gt=0, description="A decided truck no exit camera read is closed after this long"
    )
    booking_horizon_days: int = Field(14, ge=1, description="How far ahead slots can be booked")
    priority_categories: tuple[Category, ...] = Field(
        (Category.PERISHABLE, Category.HUMANITARIAN),
        description="Called ahead of others booked for the same hour",
    )
    priority_share: float = Field(
        0.3, ge=0, le=1, description="At most this share of an hour's capacity called by priority"
    )
    rate_per_minute: int = Field(
        20, ge=1, description="Booking requests per client address (and per phone) per minute"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("directions")
    @classmethod
    def _directions(cls, value: tuple[Direction, ...]) -> tuple[Direction, ...]:
        if not value:
            raise ValueError("at least one direction is needed")
        ids = [d.id for d in value]
        if len(set(ids)) != len(ids):
            raise ValueError(f"direction ids repeat: {ids}")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The checkpoint's time zone."""
        return ZoneInfo(self.timezone)

    def direction(self, direction_id: str) -> Direction | None:
        """The direction with this id, or None."""
        return next((d for d in self.directions if d.id == direction_id), None)

    def lane_role(self, lane: str) -> tuple[Direction, str] | None:
        """(direction, "waiting" | "entry" | "exit") of a lane, or None if it plays no part."""
        for d in self.directions:
            for role, lanes in (
                ("waiting", d.waiting_lanes),
                ("entry", d.entry_lanes),
                ("exit", d.exit_lanes),
            ):
                if lane in lanes:
                    return d, role
        return None


_CAPACITY = {
    Category.GENERAL: 20,
    Category.PERISHABLE: 4,
    Category.DANGEROUS: 2,
    Category.HUMANITARIAN: 2,
    Category.EMPTY: 6,
    Category.TRANSIT: 8,
}
DEFAULT_CONFIG = QueueConfig(
    directions=(
        Direction(
            id="kz-tm",
            name="Kazakhstan → Turkmenistan",
            waiting_lanes=("wait-out",),
            entry_lanes=("entry-1", "entry-2"),
            exit_lanes=("exit-1",),
            default_capacity=_CAPACITY,
        ),
        Direction(
            id="tm-kz",
            name="Turkmenistan → Kazakhstan",
            waiting_lanes=("wait-in",),
            entry_lanes=("entry-3",),
            exit_lanes=("exit-2",),
            default_capacity=_CAPACITY,
        ),
    )
)


def load_queue_config(path: Path | None) -> QueueConfig:
    """The queue config in ``path`` (TOML), or :data:`DEFAULT_CONFIG` when None."""
    if path is None:
        return DEFAULT_CONFIG
    try:
        with path.open("rb") as fh:
            return QueueConfig.model_validate(tomllib.load(fh))
    except OSError as exc:
        raise ConfigError(f"cannot read queue config {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: {where}: {err['msg']}") from None
