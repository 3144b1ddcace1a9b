"""Request and response models of the queue's REST API (what /docs shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hub.queue.policy import Category, State, Stream
from hub.queue.records import Booking
from hub.queue.service import SlotView, Status


class PlateIn(BaseModel):
    """A plate as the driver types it."""

    model_config = ConfigDict(extra="forbid")

    plate: str = Field(
        max_length=20, description="Spaces, dashes and Cyrillic look-alikes are fine"
    )
    country: str = Field(max_length=3, description="ISO 3166 alpha-2 (KZ, TM, RU, UZ, ...)")


class HoldIn(BaseModel):
    """Step 1: hold a slot while the driver fills in the rest."""

    model_config = ConfigDict(extra="forbid")

    direction: str = Field(description="Direction id, see GET /api/queue/directions")
    category: Category
    slot: AwareDatetime = Field(description="Start of the hour wanted (any zone)")
    tractor: PlateIn
    trailers: list[PlateIn] = Field(default_factory=list, max_length=3)


class DriverIn(BaseModel):
    """Step 2: the driver's details."""

    model_config = ConfigDict(extra="forbid")

    driver_name: str = Field(max_length=100)
    phone: str = Field(max_length=30, description="International form, e.g. +7 701 555 0101")
    carrier: str = Field("", max_length=100)


class BookingIn(HoldIn, DriverIn):
    """Both steps in one call."""


class RescheduleIn(BaseModel):
    """Move to another hour."""

    model_config = ConfigDict(extra="forbid")

    slot: AwareDatetime


class DriverChangeIn(BaseModel):
    """Hand the booking to another driver; the truck stays the same."""

    model_config = ConfigDict(extra="forbid")

    driver_name: str = Field(max_length=100)
    phone: str = Field(max_length=30)


class BookingOut(BaseModel):
    """A booking as its driver sees it."""

    direction: str
    category: Category
    slot: str | None = Field(description="Start of the booked hour (UTC); null for walk-ins")
    stream: Stream
    state: State
    tractor: str
    trailers: list[str]
    driver_name: str
    carrier: str
    hold_expires: str | None
    lane: str | None = Field(description="The entry lane it was called to")
    reschedules: int

    @classmethod
    def of(cls, b: Booking) -> BookingOut:
        """From the stored record (no phone number: the page may be on a shared screen)."""
        return cls(
            direction=b.direction, category=b.category, slot=b.slot, stream=b.stream,
            state=b.state, tractor=f"{b.tractor.text} {b.tractor.country}",
            trailers=[f"{t.text} {t.country}" for t in b.trailers], driver_name=b.driver_name,
            carrier=b.carrier, hold_expires=b.hold_expires, lane=b.lane,
            reschedules=b.reschedules,
        )  # fmt: skip


class Reference(BaseModel):
    """A new booking's reference: the only key to it; keep it."""

    reference: str = Field(description="16 characters in groups of four")
    booking: BookingOut


class StatusOut(BaseModel):
    """A booking, its place in the line and the estimated call time."""

    booking: BookingOut
    position: int | None = Field(description="1 = next; null when not waiting in line")
    estimated_call: datetime | None
    waiting_total: int

    @classmethod
    def of(cls, s: Status) -> StatusOut:
        """From the service's status."""
        return cls(booking=BookingOut.of(s.booking), position=s.position,
                   estimated_call=s.estimated_call, waiting_total=s.waiting_total)  # fmt: skip


class SlotOut(BaseModel):
    """One hour of one category."""

    hour: datetime
    category: Category
    capacity: int
    taken: int
    free: int

    @classmethod
    def of(cls, v: SlotView) -> SlotOut:
        """From the service's view."""
        return cls(hour=v.hour, category=v.category, capacity=v.capacity, taken=v.taken,
                   free=v.free)  # fmt: skip


class DirectionOut(BaseModel):
    """A direction of traffic and its lanes."""

    id: str
    name: str
    entry_lanes: list[str]


class CalledOut(BaseModel):
    """A truck called forward, for the board."""

    tractor: str
    lane: str | None
    called_at: str | None
    state: State


class BoardOut(BaseModel):
    """What the big screen shows for one direction."""

    direction: str
    called: list[CalledOut]
    waiting_by_category: dict[str, int]
    current_wait_minutes: float | None = Field(
        description="How long the truck waiting longest has waited"
    )


class StatsOut(BaseModel):
    """The public queue page's figures."""

    direction: str
    waiting: int
    free_by_hour: dict[str, int] = Field(description="Free slots per hour today (UTC keys)")
    average_wait_minutes_today: float | None


class WaitingOut(BaseModel):
    """A truck in line, as the officer sees it."""

    booking: str = Field(description="Journal id; the officer actions take it")
    tractor: str
    category: Category
    stream: Stream
    slot: str | None
    queued_at: str | None


class CallIn(BaseModel):
    """Call the next truck to a lane."""

    model_config = ConfigDict(extra="forbid")

    direction: str
    lane: str


class ReasonIn(BaseModel):
    """An officer's reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=200)


class DecisionIn(BaseModel):
    """Cleared or refused."""

    model_config = ConfigDict(extra="forbid")

    cleared: bool
    reason: str = Field("", max_length=200, description="Required when refused")


class CapacityIn(BaseModel):
    """Slots for one hour of one category."""

    model_config = ConfigDict(extra="forbid")

    direction: str
    category: Category
    hour: AwareDatetime
    slots: int = Field(ge=0, le=10_000)


class WalkInIn(DriverIn):
    """A truck registered at the waiting zone without a booking."""

    direction: str
    category: Category
    tractor: PlateIn
    trailers: list[PlateIn] = Field(default_factory=list, max_length=3)


class ChurnOut(BaseModel):
    """One tractor's cancellations and driver changes (see docs/queue.md on resale)."""

    tractor: str
    cancellations: int
    driver_changes: int


class LoginIn(BaseModel):
    """Officer or operator credentials."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
    password: str = Field(max_length=200)


class LoginOut(BaseModel):
    """A session: echo ``csrf`` as X-CSRF-Token on every change."""

    username: str
    role: str
    csrf: str


class VerifyOut(BaseModel):
    """The journal check."""

    ok: bool
    entries: int
    calls: int
    head: str | None
    error: str | None = None
    policy: dict[str, Any] | None = None
