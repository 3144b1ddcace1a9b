"""The hub's persistence: records, schema migrations, and the SQLite store.

Only the modules of this package contain SQL (:mod:`hub.store.sqlite`, and the queue's
``queue_sql``, ``journal_sql``, ``login_sql``); a PostgreSQL store would implement the same
methods and leave every other module untouched.
"""

from hub.store.models import (
    ChainLink,
    DeadLetter,
    Device,
    DeviceExists,
    DeviceKey,
    DeviceUpdate,
    EventFilter,
    Gap,
    NewDeadLetter,
    NewEvent,
    NewEvidence,
    PresenceUpdate,
    StoredEvent,
    StoreError,
    WriteBatch,
)
from hub.store.sqlite import Store

__all__ = [
    "ChainLink",
    "DeadLetter",
    "Device",
    "DeviceExists",
    "DeviceKey",
    "DeviceUpdate",
    "EventFilter",
    "Gap",
    "NewDeadLetter",
    "NewEvent",
    "NewEvidence",
    "PresenceUpdate",
    "Store",
    "StoreError",
    "StoredEvent",
    "WriteBatch",
]
