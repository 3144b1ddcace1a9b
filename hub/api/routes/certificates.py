"""The certificate log's API: checkpoints, proofs, bundles, verification, the witness.

Checkpoints and proofs are public: they hold only hashes.  Bundles carry the body
(plates, the officer's login) and go to officers, and to the carrier that notified.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from hub.api.deps import ArrivalId, CarrierDep, OfficerDep, OperatorDep, RuntimeDep, SessionDep
from hub.cert.errors import LogError
from hub.cert.verify import check_text
from hub.cert.witness import MAX_BODY as MAX_WITNESS_BODY
from hub.runtime import HubRuntime
from hub.store.log_sql import StoredCertificate

router = APIRouter(tags=["certificates"])
witness_router = APIRouter(tags=["witness"])
MAX_BUNDLE = 256 * 1024
Size = Annotated[int, Query(ge=0, le=2**62)]


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes before it is all read."""
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                f"more than {limit} bytes")  # fmt: skip
        parts.append(chunk)
    return b"".join(parts)


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


@router.get("/log/checkpoint", response_class=PlainTextResponse)
def checkpoint(runtime: RuntimeDep) -> str:
    """The latest signed checkpoint with its cosignatures (C2SP tlog-checkpoint)."""
    return runtime.certs.log.checkpoint().full_note()


@router.post("/log/checkpoint", response_class=PlainTextResponse)
def sign_checkpoint(runtime: RuntimeDep, session: OperatorDep) -> str:
    """Sign a checkpoint now (when the log grew) and ask the witnesses at once."""
    runtime.certs.cosigner.wake()
    return runtime.certs.log.checkpoint().full_note()


@router.get("/log/proof/inclusion")
def inclusion(runtime: RuntimeDep, index: Size, size: Size) -> dict[str, object]:
    """RFC 9162 §2.1.3 inclusion proof of leaf ``index`` in the tree of ``size``."""
    try:
        hashes = runtime.certs.log.inclusion(index, size)
    except LogError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return {"index": index, "size": size, "hashes": _b64(hashes)}


@router.get("/log/proof/consistency")
def consistency(runtime: RuntimeDep, first: Size, second: Size) -> dict[str, object]:
    """RFC 9162 §2.1.4 consistency proof from the tree of ``first`` to ``second``."""
    try:
        hashes = runtime.certs.log.consistency(first, second)
    except LogError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return {"first": first, "second": second, "hashes": _b64(hashes)}


def _certificate(runtime: HubRuntime, cert_id: str) -> StoredCertificate:
    found = runtime.certs.desk.find(cert_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no certificate {cert_id!r}")
    return found


def _listed(certs: list[StoredCertificate]) -> list[dict[str, object]]:
    return [{"id": c.cert_id, "index": c.idx, "issued_at": c.issued_at, "digest": c.digest}
            for c in certs]  # fmt: skip


def _download(runtime: HubRuntime, cert: StoredCertificate) -> Response:
    return Response(
        runtime.certs.desk.bundle(cert).to_json(indent=2), media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{cert.cert_id}.json"'},
    )  # fmt: skip


@router.get("/certificates/{cert_id}")
def bundle(cert_id: str, runtime: RuntimeDep, session: SessionDep) -> Response:
    """The certificate's offline-verifiable bundle (JSON download)."""
    return _download(runtime, _certificate(runtime, cert_id))


@router.get("/carrier/certificates/{cert_id}")
def carrier_bundle(cert_id: str, runtime: RuntimeDep, carrier: CarrierDep) -> Response:
    """The bundle of a certificate on one of the carrier's own notifications."""
    cert = _certificate(runtime, cert_id)
    if cert.submitter != carrier:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not a certificate of your notifications")
    return _download(runtime, cert)


@router.get("/arrivals/{arrival_id}/certificates")
def of_arrival(
    arrival_id: ArrivalId, runtime: RuntimeDep, session: SessionDep
) -> list[dict[str, object]]:
    """The certificates issued on an arrival's release."""
    return _listed(runtime.certs.log.tables.certificates_of(arrival_id))


@router.post("/arrivals/{arrival_id}/certificates")
def certify(
    arrival_id: ArrivalId, runtime: RuntimeDep, session: OfficerDep
) -> list[dict[str, object]]:
    """Issue the certificates of a released arrival if its release did not."""
    return _listed(runtime.terminal.certify(arrival_id))


@router.post("/certificates/verify")
async def verify(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Verify a bundle (the request body) with the keys this hub trusts for its log."""
    raw = await _body(request, MAX_BUNDLE)
    outcome = await run_in_threadpool(check_text, raw, runtime.certs.policy)
    return JSONResponse({"verified": outcome.ok, "reason": outcome.reason,
                         "detail": outcome.detail, "body": outcome.body})  # fmt: skip


@witness_router.post("/witness/add-checkpoint")
async def add_checkpoint(request: Request, runtime: RuntimeDep) -> Response:
    """C2SP tlog-witness: cosign a neighbour's checkpoint that extends what we cosigned."""
    raw = await _body(request, MAX_WITNESS_BODY)
    reply = await run_in_threadpool(runtime.certs.witness.add_checkpoint, raw)
    return Response(reply.body, status_code=reply.status, media_type=reply.content_type)
