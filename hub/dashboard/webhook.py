"""Posts queued alert deliveries to the operators' webhook, in its own thread.

The evaluator only queues a delivery (a row, :mod:`hub.store.alert_sql`) and rings
this sender, so a slow or dead receiver never holds up the evaluation.  Each delivery
is posted as it was queued (the same bytes every time) with::

    Content-Type: application/json
    X-Shekara-Event: alert.raised | alert.cleared
    X-Shekara-Delivery: <delivery id>      (a receiver drops repeats by it)
    X-Shekara-Signature: sha256=<hex HMAC-SHA256 of the body with alert_webhook_secret>

A 2xx answer delivers it.  Anything else (another status, a redirect, a timeout, a
refused connection) is retried after ``alert_webhook_backoff_s``, doubling per failure
up to :data:`MAX_PAUSE_S`; after ``alert_webhook_max_attempts`` it is marked failed.
Attempts and the next try are written before the next post, so a restart resumes them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from hub.loop import BackgroundLoop
from hub.store.alert_sql import AlertTables, Delivery
from shekara import __version__
from shekara.wire import utc_timestamp

log = logging.getLogger(__name__)

MAX_PAUSE_S = 600.0
BATCH = 20
SIGNATURE = "X-Shekara-Signature"
# (url, body, headers, timeout) -> None on a 2xx, else what went wrong.
Post = Callable[[str, bytes, Mapping[str, str], float], str | None]


def signature(secret: bytes, body: bytes) -> str:
    """The value of the signature header of ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it would turn the POST into a GET."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def http_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> str | None:
    """POST ``body``; None on a 2xx answer, else the status or error in a line."""
    # The URL is the operator's setting, checked to be http(s) (HubSettings).
    request = urllib.request.Request(url, body, dict(headers), method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as reply:
            status = int(reply.status)
            if 200 <= status < 300:
                return None
            return f"HTTP {status}"
    except urllib.error.HTTPError as exc:
        text = exc.read(200).decode("utf-8", errors="replace").strip()
        return f"HTTP {exc.code}" + (f": {text}" if text else "")
    except (OSError, ValueError) as exc:  # refused, unreachable, timed out, bad URL
        cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return f"{type(cause).__name__}: {cause}"


class WebhookSender(BackgroundLoop):
    """Delivers what is due, then sleeps until woken or ``poll_s`` passes."""

    name = "alert-webhook"

    def __init__(
        self,
        tables: AlertTables,
        url: str,
        secret: bytes | None,
        clock: Callable[[], datetime],
        *,
        timeout_s: float = 5.0,
        backoff_s: float = 5.0,
        max_attempts: int = 50,
        post: Post = http_post,
    ) -> None:
        super().__init__(min(backoff_s, 5.0))
        self.tables = tables
        self.url = url
        self.secret = secret
        self.clock = clock
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.max_attempts = max_attempts
        self._post = post

    def tick(self) -> bool:
        """Post every due delivery once; True when a full batch was due (more may be)."""
        due = self.tables.due(utc_timestamp(self.clock()), BATCH)
        for delivery in due:
            if self._stop.is_set():
                break
            self.attempt(delivery)
        return len(due) == BATCH

    def attempt(self, delivery: Delivery) -> bool:
        """Post one delivery and record the outcome; True when delivered."""
        body = delivery.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"shekara-hub/{__version__}",
            "X-Shekara-Event": f"alert.{delivery.kind}",
            "X-Shekara-Delivery": str(delivery.id),
        }
        if self.secret:
            headers[SIGNATURE] = signature(self.secret, body)
        error = self._post(self.url, body, headers, self.timeout_s)
        now = self.clock()
        if error is None:
            self.tables.delivered(delivery.id, utc_timestamp(now))
            log.info("alert %d %s delivered to the webhook", delivery.alert, delivery.kind)
            return True
        attempts = delivery.attempts + 1
        retry_at = None
        if attempts < self.max_attempts:
            pause = min(MAX_PAUSE_S, self.backoff_s * 2 ** min(attempts - 1, 30))
            retry_at = utc_timestamp(now + timedelta(seconds=pause))
        self.tables.retry(delivery.id, error, retry_at, utc_timestamp(now))
        log.warning("alert webhook post %d failed (attempt %d): %s; %s", delivery.id, attempts,
                    error, f"next try at {retry_at}" if retry_at else "giving up")  # fmt: skip
        return False
