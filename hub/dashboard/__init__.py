"""The operators' dashboard: queue figures, device health, charts, alerts and their webhook.

:mod:`~hub.dashboard.figures` (line, waits, throughput against capacity),
:mod:`~hub.dashboard.health` (presence, status, outbox trend),
:mod:`~hub.dashboard.charts` (inline SVG), :mod:`~hub.dashboard.alerts` (rules and
their evaluator), :mod:`~hub.dashboard.webhook` (delivery), :mod:`~hub.dashboard.setup`
(the running parts) and :mod:`~hub.dashboard.snapshot` (what the page and API show).
See docs/dashboard.md.
"""
