"""Aggregates the Prometheus scrape reads from the database (``hub/metrics/``).

Kept apart from the request paths: a scrape runs every 15 s or so on its own thread
(reader connection), and these queries use covering indexes only.
"""

from __future__ import annotations

from hub.store.sqlite import Store


def dead_letters_by_reason(store: Store) -> dict[str, int]:
    """How many dead letters the database keeps, per reason (index ``dead_letters_reason``)."""
    rows = store._reader().execute("SELECT reason, COUNT(*) FROM dead_letters GROUP BY reason")
    return {str(reason): int(count) for reason, count in rows}
