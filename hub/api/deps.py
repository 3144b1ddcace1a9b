"""Dependencies of the route handlers, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.config import HubSettings
from hub.runtime import HubRuntime
from hub.store import Store


def get_runtime(request: Request) -> HubRuntime:
    """The running hub's parts (set by the lifespan)."""
    runtime: HubRuntime = request.app.state.hub
    return runtime


def get_store(request: Request) -> Store:
    """The database."""
    return get_runtime(request).store


def get_settings(request: Request) -> HubSettings:
    """The settings the hub runs with."""
    return get_runtime(request).settings


RuntimeDep = Annotated[HubRuntime, Depends(get_runtime)]
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[HubSettings, Depends(get_settings)]
