"""Device enrolment: a device asks and polls; an operator approves or rejects by code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from hub.api.deps import ClientLimit, EnrolmentDep, OperatorDep, OperatorOnly
from hub.api.lifecycle_schemas import EnrolmentOut, EnrolmentRow, ReasonIn
from hub.store import DeviceExists
from hub.store.enrol_sql import Enrolment, TooManyPending, UnknownEnrolment
from shekara.enrol import CODE_PATTERN, EnrolmentRequest
from shekara.errors import ShekaraError, WireError

router = APIRouter(prefix="/enrolments", tags=["enrolments"])
Code = Annotated[str, Path(pattern=CODE_PATTERN, description="The code the device printed")]


def refusal(exc: ShekaraError) -> HTTPException:
    """The HTTP answer to a lifecycle error."""
    code = status.HTTP_409_CONFLICT
    if isinstance(exc, UnknownEnrolment):
        code = status.HTTP_404_NOT_FOUND
    elif isinstance(exc, WireError):
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
    elif isinstance(exc, TooManyPending):
        code = status.HTTP_429_TOO_MANY_REQUESTS
    return HTTPException(code, str(exc))


@router.post("", response_model=EnrolmentOut, status_code=202, dependencies=[ClientLimit])
def request_enrolment(body: EnrolmentRequest, desk: EnrolmentDep, request: Request) -> EnrolmentOut:
    """Ask to be enrolled; poll GET /api/enrolments/{code} for the decision."""
    client = request.client.host if request.client else "?"
    try:
        kept = desk.submit(body.model_dump(), client)
    except (WireError, DeviceExists, TooManyPending) as exc:
        raise refusal(exc) from None
    return EnrolmentOut.of(kept, desk.ca_pem())


@router.get("/{code}", response_model=EnrolmentOut, dependencies=[ClientLimit])
def enrolment(code: Code, desk: EnrolmentDep) -> EnrolmentOut:
    """A request's state; once approved, the device's certificate and the CA."""
    try:
        return EnrolmentOut.of(desk.get(code), desk.ca_pem())
    except UnknownEnrolment as exc:
        raise refusal(exc) from None


@router.get("", response_model=list[EnrolmentRow], dependencies=[OperatorOnly])
def enrolments(
    desk: EnrolmentDep,
    state: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
) -> list[EnrolmentRow]:
    """Requests, newest first (operators)."""
    return [_row(e) for e in desk.tables.list(state)]


@router.post("/{code}/approve", response_model=EnrolmentOut)
def approve(code: Code, desk: EnrolmentDep, session: OperatorDep) -> EnrolmentOut:
    """Register the device whose screen shows this code, and issue its certificate."""
    try:
        return EnrolmentOut.of(desk.approve(code, f"api:{session.username}"), desk.ca_pem())
    except ShekaraError as exc:
        raise refusal(exc) from None


@router.post("/{code}/reject", response_model=EnrolmentOut)
def reject(code: Code, body: ReasonIn, desk: EnrolmentDep, session: OperatorDep) -> EnrolmentOut:
    """Refuse a request; the device is told why."""
    try:
        return EnrolmentOut.of(desk.reject(code, f"api:{session.username}", body.reason), None)
    except ShekaraError as exc:
        raise refusal(exc) from None


def _row(e: Enrolment) -> EnrolmentRow:
    return EnrolmentRow(**EnrolmentOut.of(e, None).model_dump(), requested_from=e.requested_from,
                        decided_by=e.decided_by)  # fmt: skip
