"""Schemathesis over the hub's OpenAPI, against a hub served over HTTP.

Every documented operation gets generated requests, valid and invalid.  Two properties
must hold for each: no response is a 5xx, and an operation behind a login or a carrier
token never answers 2xx to a request that carries neither.  Which operations are
protected is read from the routes' dependency trees (``get_session``, ``get_carrier``),
not from a list that could fall behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import HealthCheck, given, settings
from live_hub import live_hub

from hub.api.deps import get_carrier, get_session
from hub.config import HubSettings

AUTH_DEPENDENCIES: set[Callable[..., Any]] = {get_session, get_carrier}
PROTECTED: set[tuple[str, str]] = set()  # (METHOD, path template)


def _needs_credentials(dependant: Any) -> bool:
    return any(d.call in AUTH_DEPENDENCIES or _needs_credentials(d) for d in dependant.dependencies)


def protected_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route that some credential dependency guards."""
    return {
        (method, context.path_format)
        for context in iter_route_contexts(app.routes)
        if isinstance(route := context.original_route, APIRoute)
        and _needs_credentials(route.dependant)
        for method in route.methods
    }


@pytest.fixture(scope="module")
def hub_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder: Path = tmp_path_factory.mktemp("fuzzed-hub")
    settings_ = HubSettings(db_path=folder / "hub.db", checkpoint="temirbaba")
    with live_hub(settings_, lambda: datetime.now(UTC)) as (url, app):
        PROTECTED.update(protected_operations(app))
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


def test_the_protected_set_is_what_it_should_be(hub_schema: Any) -> None:
    assert ("GET", "/api/devices") in PROTECTED
    assert ("POST", "/api/enrolments/{code}/approve") in PROTECTED
    assert ("POST", "/api/notifications") in PROTECTED  # a carrier's token
    assert ("POST", "/api/enrolments") not in PROTECTED  # a new device has no login
    assert ("GET", "/healthz") not in PROTECTED


def check(case: Any) -> None:
    """The two properties, for one generated request."""
    response = case.call()
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{where} -> {response.status_code}: {response.text[:500]}"
    if (case.method.upper(), case.operation.path) in PROTECTED:
        assert not 200 <= response.status_code < 300, (
            f"{where} answered {response.status_code} without credentials"
        )


def test_no_server_error_and_no_anonymous_success(hub_schema: Any) -> None:
    # schemathesis's own pytest plugin does not run on pytest 9 (it sets Function._nodeid),
    # so each operation's strategy is driven by hypothesis here.
    operations = [result.ok() for result in hub_schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def fuzz(case: Any) -> None:
            check(case)

        fuzz()
