"""The electronic queue of one checkpoint: the booking desk and the lanes over one core.

Every rule of the issue lives in :mod:`hub.queue.core`, :mod:`hub.queue.booking` and
:mod:`hub.queue.lanes`, on top of :class:`~hub.store.queue_sql.QueueStore` (atomic
checks) and :mod:`hub.queue.order` (who is called next).
"""

from __future__ import annotations

from hub.queue.booking import BookingDesk
from hub.queue.core import SlotView, Status, clean_reference, journal_key, new_reference
from hub.queue.lanes import LaneDesk

__all__ = [
    "QueueService",
    "SlotView",
    "Status",
    "clean_reference",
    "journal_key",
    "new_reference",
]


class QueueService(BookingDesk, LaneDesk):
    """The queue of one checkpoint."""
