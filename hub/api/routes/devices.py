"""GET /api/devices and /api/devices/{device_id}."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from hub.api.deps import OperatorOnly, StoreDep
from hub.api.schemas import DeviceOut

router = APIRouter(prefix="/devices", tags=["devices"], dependencies=[OperatorOnly])


@router.get("", response_model=list[DeviceOut])
def list_devices(store: StoreDep) -> list[DeviceOut]:
    """Every registered device with its presence, chain position and gaps."""
    return [DeviceOut.of(d) for d in store.list_devices()]


@router.get("/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, store: StoreDep) -> DeviceOut:
    """One device (404 when it is not registered)."""
    device = store.get_device(device_id)
    if device is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail=f"device {device_id!r} is not registered",
        )
    return DeviceOut.of(device)
