"""Carriers' pre-arrival notifications: submit, amend, upload a JSON file, read back."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from hub.api.deps import CarrierDep, NotifyDep
from hub.notify.model import NotificationIn
from hub.notify.records import StoredVersion

router = APIRouter(prefix="/notifications", tags=["notifications"])
MAX_UPLOAD = 1 << 20  # a notification with 500 SSCCs is about 40 kB


class VersionOut(BaseModel):
    """One stored version of a notification."""

    notification_id: str
    amendment: int
    received_at: str = Field(description="By the hub's clock")
    submitted_at: str = Field(description="By the carrier's clock, as sent")
    state: str
    latest: bool = Field(description="The version in force now")
    digest: str = Field(description="SHA-256 of the stored body's JCS bytes")

    @classmethod
    def of(cls, v: StoredVersion) -> VersionOut:
        """From a stored version."""
        return cls(notification_id=v.notification, amendment=v.amendment,
                   received_at=v.received_at, submitted_at=v.submitted_at,
                   state=v.state.value, latest=v.latest, digest=v.digest)  # fmt: skip


class NotificationOut(BaseModel):
    """A notification: the version in force with its body, and every version's summary."""

    current: VersionOut
    body: dict[str, object]
    history: list[VersionOut]


@router.post("", response_model=VersionOut, status_code=201)
def submit(body: NotificationIn, notify: NotifyDep, carrier: CarrierDep) -> VersionOut:
    """Submit a notification (amendment 0) or its next amendment."""
    return VersionOut.of(notify.submit(body, carrier))


@router.post("/upload", response_model=VersionOut, status_code=201)
def upload(
    file: Annotated[UploadFile, File(description="The notification as a JSON file")],
    notify: NotifyDep,
    carrier: CarrierDep,
) -> VersionOut:
    """Submit a notification as a JSON file (the same document as POST /notifications)."""
    raw = file.file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the file is over 1 MiB")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the file is not JSON: {exc}") from None
    try:
        notification = NotificationIn.model_validate(document)
    except ValidationError as exc:
        # The same per-field 422 as a JSON body gets, located under "file".
        raise RequestValidationError(
            [{**e, "loc": ("file", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    return VersionOut.of(notify.submit(notification, carrier))


@router.get("/{notification_id}", response_model=NotificationOut)
def read(notification_id: str, notify: NotifyDep, carrier: CarrierDep) -> NotificationOut:
    """One of the caller's notifications with its history (404 for anyone else's)."""
    history = notify.store.history(carrier, notification_id)
    if not history:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "you have no notification with this id")
    current = next(v for v in history if v.latest)
    return NotificationOut(current=VersionOut.of(current), body=current.body,
                           history=[VersionOut.of(v) for v in history])  # fmt: skip
