"""The lanes: officers call, skip, inspect and decide; plate reads move trucks along."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.queue.core import QueueCore, clean_reason, parse_stamp, serialised, system_cause
from hub.queue.policy import State, Stream
from hub.queue.records import Booking, JournalNote
from shekara.plates import confusion_key
from shekara.wire import utc_timestamp


class LaneDesk(QueueCore):
    """What happens once a truck is at the checkpoint."""

    @serialised
    def call_next(self, direction: str, lane: str, officer: str | None) -> Booking | None:
        """Call the truck the policy picks to ``lane``; None when nobody waits."""
        self._check_lane(direction, lane)
        line = self.waiting_order(direction, limit=1)
        if not line:
            return None
        head = line[0]
        now = utc_timestamp(self.now())
        cause = self._officer(officer) if officer else system_cause("lane free")
        note = JournalNote("called", {"lane": lane, "direction": direction}, cause)
        return self.store.update_booking(
            head.booking, [State.ARRIVED], {"state": State.CALLED, "called_at": now, "lane": lane},
            now, note,
        )  # fmt: skip

    @serialised
    def skip(self, booking: str, reason: str, officer: str) -> Booking:
        """An officer passes over a waiting truck; it joins the end of the live stream."""
        reason = clean_reason(reason)
        now = utc_timestamp(self.now())
        note = JournalNote("skipped", {"reason": reason}, self._officer(officer))
        return self.store.update_booking(
            booking, [State.ARRIVED], {"stream": Stream.LIVE, "queued_at": now}, now, note
        )

    @serialised
    def inspect(self, booking: str, officer: str) -> Booking:
        """Send a truck at control to inspection."""
        note = JournalNote("inspection", {}, self._officer(officer))
        return self.store.update_booking(
            booking, [State.CALLED, State.AT_CONTROL], {"state": State.INSPECTION},
            utc_timestamp(self.now()), note,
        )  # fmt: skip

    @serialised
    def decide(self, booking: str, cleared: bool, reason: str, officer: str) -> Booking:
        """The officer's decision; a freed lane calls the next truck automatically."""
        state = State.CLEARED if cleared else State.REFUSED
        reason = reason.strip()[:200] if cleared else clean_reason(reason)
        note = JournalNote(state.value, {"reason": reason}, self._officer(officer))
        done = self.store.update_booking(
            booking, [State.CALLED, State.AT_CONTROL, State.INSPECTION], {"state": state},
            utc_timestamp(self.now()), note,
        )  # fmt: skip
        if done.lane:
            self.call_next(done.direction, done.lane, None)
        return done

    # --- lane events ----------------------------------------------------------------

    @serialised
    def on_passage(
        self, event_id: str, lane: str, plates: list[str], country: str | None, at: datetime
    ) -> str:
        """Move a booking along on a signed plate read; returns what happened.

        ``plates`` are the voted plate and its candidates, best first.  A read that no
        active booking explains is kept as an unmatched read.
        """
        role = self.config.lane_role(lane)
        if role is None:
            return "lane plays no part in the queue"
        direction, kind = role
        cause = {"event_id": event_id}
        booking = self._match(plates)
        stamp = utc_timestamp(at)
        if booking is None or booking.direction != direction.id:
            why = "no active booking" if booking is None else "booked for the other direction"
            self.store.add_unmatched(event_id, lane, kind, plates[0] if plates else "",
                                     country, why, stamp)  # fmt: skip
            return f"unmatched: {why}"
        if kind == "waiting":
            return self._arrive(booking, at, cause)
        if kind == "entry" and booking.state in (State.CALLED, State.ARRIVED):
            if booking.state is State.ARRIVED:
                # Drove up without being called: recorded, and the order check will show it.
                self.store.add_unmatched(event_id, lane, kind, booking.tractor.text, country,
                                         "at control without a call", stamp)  # fmt: skip
                return "unmatched: not called"
            self.store.update_booking(
                booking.booking, [State.CALLED], {"state": State.AT_CONTROL, "lane": lane},
                stamp, JournalNote("at_control", {"lane": lane}, cause),
            )  # fmt: skip
            return "at_control"
        if kind == "exit" and booking.state in (State.CLEARED, State.REFUSED, State.AT_CONTROL):
            self.store.update_booking(
                booking.booking, [booking.state], {"state": State.EXITED}, stamp,
                JournalNote("exited", {"lane": lane}, cause),
            )  # fmt: skip
            return "exited"
        return f"ignored: {kind} read while {booking.state.value}"

    def _arrive(self, booking: Booking, at: datetime, cause: dict[str, str]) -> str:
        if booking.state is not State.BOOKED:
            return f"ignored: already {booking.state.value}"
        slot = parse_stamp(booking.slot)
        opens = slot - timedelta(hours=self.config.arrive_before_hours)
        closes = slot + timedelta(hours=self.config.arrive_after_hours)
        if at < opens:
            return "early: check-in opens " + utc_timestamp(opens)
        stream = Stream.BOOKED if at <= closes else Stream.LIVE
        stamp = utc_timestamp(at)
        self.store.update_booking(
            booking.booking, [State.BOOKED],
            {"state": State.ARRIVED, "stream": stream, "queued_at": stamp},
            stamp, JournalNote("arrived", {"stream": stream.value, "late": at > closes}, cause),
        )  # fmt: skip
        return "arrived" + (" late: live queue" if at > closes else "")

    def _match(self, plates: list[str]) -> Booking | None:
        for text in plates:
            found = self.store.active_by_plate(confusion_key(text))
            if found is not None:
                return found
        return None
