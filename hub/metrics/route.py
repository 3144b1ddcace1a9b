"""GET /metrics: the Prometheus exposition, behind an optional bearer token.

With ``metrics_token`` set, a scrape must send ``Authorization: Bearer <token>``
(401 otherwise).  Without one, development serves ``/metrics`` to anyone and
production does not serve it at all (404): a production hub exposes its figures only
to a scraper it gave a token.  The route is left out of the OpenAPI schema: it is for
Prometheus, not for API clients.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from prometheus_client.exposition import choose_encoder

from hub.api.deps import SettingsDep
from hub.metrics.registry import HubMetrics

router = APIRouter(include_in_schema=False)


def scrape_allowed(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Refuse a scrape without the configured bearer token (404 when production has none)."""
    token = settings.metrics_token
    if token is None:
        if settings.env == "production":
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
        return
    scheme, _, given = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "the metrics bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip


ScrapeAllowed = Depends(scrape_allowed)


@router.get("/metrics", dependencies=[ScrapeAllowed])
def metrics(request: Request) -> Response:
    """The hub's metrics in the text format the scraper asked for."""
    registry: HubMetrics = request.app.state.metrics
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(registry.registry), media_type=content_type)
