"""Enrolment, revocation and audit over the API: the device's calls, the operator's,
and every refusal (401, 403, 404, 409, 422) one by one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from queue_helpers import password_hash
from terminal_helpers import hub_runtime

from hub.app import create_app
from hub.config import HubSettings
from shekara import enrol, pki
from shekara.pki_cli import main as pki_main
from shekara.wire import Address

ADDRESS = Address("temirbaba", "entry-1", "tmb-entry-9")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    folder = tmp_path / "pki"
    pki_main(["ca", "--dir", str(folder)])
    settings = HubSettings(db_path=tmp_path / "hub.db", checkpoint="temirbaba", pki_dir=folder,
                           broker_acl_file=tmp_path / "broker.acl")  # fmt: skip
    with TestClient(create_app(settings, start_worker=False)) as client:
        store = hub_runtime(client).queue.store
        for user, role in (("ops", "operator"), ("officer1", "officer")):
            store.add_user(user, password_hash(), role, "2026-01-01")
        yield client


def login(api: TestClient, user: str = "ops") -> dict[str, str]:
    resp = api.post("/api/auth/login", json={"username": user, "password": "long enough pw"})
    assert resp.status_code == 200, resp.text
    return {"X-CSRF-Token": resp.json()["csrf"]}


@pytest.fixture
def asked(api: TestClient) -> dict[str, Any]:
    request = enrol.make_request(Ed25519PrivateKey.generate(), pki.new_key(), ADDRESS)
    resp = api.post("/api/enrolments", json=request)
    assert resp.status_code == 202, resp.text
    return {"request": request, **resp.json()}


def test_a_device_asks_an_operator_approves_and_the_device_gets_its_certificate(
    api: TestClient, asked: dict[str, Any], tmp_path: Path
) -> None:
    code = asked["code"]
    assert code == enrol.code_of(asked["request"]) and asked["state"] == "pending"
    assert api.get(f"/api/enrolments/{code}").json()["certificate"] is None
    done = api.post(f"/api/enrolments/{code}/approve", headers=login(api))
    assert done.status_code == 200, done.text
    polled = api.get(f"/api/enrolments/{code}").json()
    cert = x509.load_pem_x509_certificate(polled["certificate"].encode())
    ca = x509.load_pem_x509_certificate(polled["ca_certificate"].encode())
    cert.verify_directly_issued_by(ca)
    assert pki.common_name(cert) == "tmb-entry-9"
    assert polled["fingerprint"] == pki.fingerprint(cert)
    device = api.get("/api/devices/tmb-entry-9").json()
    assert (device["checkpoint"], device["lane"]) == ("temirbaba", "entry-1")
    assert device["public_key_b64"] == asked["request"]["public_key"]
    assert "user tmb-entry-9\n" in (tmp_path / "broker.acl").read_text()
    (entry,) = api.get("/api/audit").json()
    assert (entry["action"], entry["actor"], entry["detail"]["fingerprint"]) == (
        "device.enrol", "api:ops", polled["fingerprint"],
    )  # fmt: skip


def test_the_same_request_again_keeps_its_code(api: TestClient, asked: dict[str, Any]) -> None:
    again = api.post("/api/enrolments", json=asked["request"])
    assert again.status_code == 202 and again.json()["code"] == asked["code"]


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        ({"lane": "exit-1"}, 422, "proof does not verify"),
        ({"checkpoint": "garabogaz"}, 422, "serves checkpoint 'temirbaba'"),
        ({"csr": "nonsense"}, 422, "csr is not a PEM"),
    ],
)
def test_a_bad_request_is_refused_with_the_reason(
    api: TestClient, change: dict[str, Any], status: int, detail: str
) -> None:
    key = Ed25519PrivateKey.generate()
    request = enrol.make_request(key, pki.new_key(), ADDRESS)
    if "checkpoint" in change:  # properly signed, for the wrong checkpoint
        request = enrol.make_request(key, pki.new_key(), Address("garabogaz", "entry-1", "x"))
    else:
        request.update(change)
    resp = api.post("/api/enrolments", json=request)
    assert resp.status_code == status and detail in resp.text


def test_a_registered_id_cannot_be_asked_for(api: TestClient, asked: dict[str, Any]) -> None:
    api.post(f"/api/enrolments/{asked['code']}/approve", headers=login(api))
    other = enrol.make_request(Ed25519PrivateKey.generate(), pki.new_key(), ADDRESS)
    resp = api.post("/api/enrolments", json=other)
    assert resp.status_code == 409 and "already registered" in resp.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/enrolments"), ("POST", "/api/enrolments/AAAAA-BBBBB/approve"),
     ("POST", "/api/enrolments/AAAAA-BBBBB/reject"), ("POST", "/api/devices/x/revoke"),
     ("GET", "/api/audit")],
)  # fmt: skip
def test_operator_routes_are_401_without_a_session(api: TestClient, method: str, path: str) -> None:
    assert api.request(method, path, json={"reason": "because"}).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/enrolments"), ("POST", "/api/enrolments/AAAAA-BBBBB/approve"),
     ("POST", "/api/devices/x/revoke"), ("GET", "/api/audit")],
)  # fmt: skip
def test_operator_routes_are_403_for_an_officer(api: TestClient, method: str, path: str) -> None:
    headers = login(api, "officer1")
    resp = api.request(method, path, json={"reason": "because"}, headers=headers)
    assert resp.status_code == 403


def test_an_approval_without_the_csrf_token_is_403(api: TestClient, asked: dict[str, Any]) -> None:
    login(api)
    assert api.post(f"/api/enrolments/{asked['code']}/approve").status_code == 403
    assert api.get(f"/api/enrolments/{asked['code']}").json()["state"] == "pending"


def test_unknown_and_malformed_codes(api: TestClient) -> None:
    headers = login(api)
    assert api.get("/api/enrolments/AAAAA-BBBBB").status_code == 404
    assert api.post("/api/enrolments/AAAAA-BBBBB/approve", headers=headers).status_code == 404
    assert api.get("/api/enrolments/not-a-code").status_code == 422
    assert api.get("/api/enrolments/IIIII-OOOOO").status_code == 422  # not Crockford


def test_a_rejected_device_is_told_why_and_cannot_then_be_approved(
    api: TestClient, asked: dict[str, Any]
) -> None:
    headers = login(api)
    code = asked["code"]
    resp = api.post(f"/api/enrolments/{code}/reject", json={"reason": "unknown hardware"},
                    headers=headers)  # fmt: skip
    assert resp.status_code == 200
    polled = api.get(f"/api/enrolments/{code}").json()
    assert (polled["state"], polled["reason"], polled["certificate"]) == (
        "rejected", "unknown hardware", None,
    )  # fmt: skip
    again = api.post(f"/api/enrolments/{code}/approve", headers=headers)
    assert again.status_code == 409 and "already rejected" in again.text
    listed = api.get("/api/enrolments?state=rejected", headers=headers).json()
    assert [(e["code"], e["decided_by"]) for e in listed] == [(code, "api:ops")]


def test_revoke_over_the_api(api: TestClient, asked: dict[str, Any]) -> None:
    headers = login(api)
    api.post(f"/api/enrolments/{asked['code']}/approve", headers=headers)
    assert api.post("/api/devices/nobody/revoke", json={"reason": "stolen"},
                    headers=headers).status_code == 404  # fmt: skip
    assert api.post("/api/devices/tmb-entry-9/revoke", json={"reason": ""},
                    headers=headers).status_code == 422  # fmt: skip
    resp = api.post("/api/devices/tmb-entry-9/revoke", json={"reason": "pole hit by truck"},
                    headers=headers)  # fmt: skip
    assert resp.status_code == 200 and resp.json()["actor"] == "api:ops"
    again = api.post("/api/devices/tmb-entry-9/revoke", json={"reason": "again"},
                     headers=headers)  # fmt: skip
    assert again.status_code == 409
    actions = [e["action"] for e in api.get("/api/audit").json()]
    assert actions == ["device.enrol", "device.revoke"]
    assert [e["action"] for e in api.get("/api/audit?after=1").json()] == ["device.revoke"]


def test_an_id_taken_while_the_request_waited_is_409_and_issues_no_certificate(
    api: TestClient, asked: dict[str, Any], tmp_path: Path
) -> None:
    store = hub_runtime(api).store
    store.add_device("tmb-entry-9", Ed25519PrivateKey.generate().public_key(), "temirbaba", "x")
    resp = api.post(f"/api/enrolments/{asked['code']}/approve", headers=login(api))
    assert resp.status_code == 409 and "already registered" in resp.text
    assert not (tmp_path / "pki" / "clients" / "tmb-entry-9.crt").exists()
    assert api.get(f"/api/enrolments/{asked['code']}").json()["state"] == "pending"
