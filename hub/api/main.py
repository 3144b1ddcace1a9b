"""All routes of the hub, in one router."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.routes import (
    admin,
    auth,
    certificates,
    dashboard,
    dead_letters,
    devices,
    enrolments,
    events,
    health,
    lanes,
    notify,
    officer,
    queue,
)

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(events.router, prefix="/api")
api_router.include_router(devices.router, prefix="/api")
api_router.include_router(devices.audit_router, prefix="/api")
api_router.include_router(enrolments.router, prefix="/api")
api_router.include_router(dead_letters.router, prefix="/api")
api_router.include_router(dashboard.router, prefix="/api")
api_router.include_router(queue.router, prefix="/api")
api_router.include_router(officer.router, prefix="/api")
api_router.include_router(auth.router, prefix="/api")
api_router.include_router(notify.router, prefix="/api")
api_router.include_router(lanes.router, prefix="/api")
api_router.include_router(admin.router, prefix="/api")
api_router.include_router(certificates.router, prefix="/api")
api_router.include_router(certificates.witness_router)
