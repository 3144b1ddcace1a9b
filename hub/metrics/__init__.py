"""Prometheus metrics of the hub (docs/observability.md).

:class:`HubMetrics` holds one hub's registry: counters the ingest pipeline feeds as it
commits (:mod:`hub.metrics.ingest`) and figures read from the database when scraped
(:mod:`hub.metrics.collectors`).  :data:`router` serves them at ``/metrics``.
"""

from hub.metrics.registry import HubMetrics
from hub.metrics.route import router

__all__ = ["HubMetrics", "router"]
