"""Certificates over the API: issued on release, bundled, verified; the log's public
proofs; the witness endpoint between a Kazakh and a Turkmen hub; 401/403/404 one by one."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from queue_helpers import Clock, password_hash
from terminal_helpers import hub_runtime, officer_login, truck_at_entry

from hub.app import create_app
from hub.cert import merkle, note
from hub.cert.bundle import parse_bundle
from hub.cert.verify import verify_bundle
from hub.config import HubSettings
from hub.notify.desk import new_token, token_hash
from shekara.keys import write_keypair

WITNESS_KEY = "shekara.garabogaz/log/witness"


def _keys(tmp_path: Path, name: str) -> tuple[Path, Path, str, str]:
    log_file, witness_file = tmp_path / f"{name}.log.key", tmp_path / f"{name}.witness.key"
    log_key, witness_key = write_keypair(log_file), write_keypair(witness_file)
    return (log_file, witness_file,
            note.verifier_key(f"shekara.{name}/log", log_key.public_key()),
            note.verifier_key(f"shekara.{name}/log/witness", witness_key.public_key(),
                              note.COSIGNATURE_V1))  # fmt: skip


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """Temirbaba (KZ) and Garabogaz (TM), each the other's witness."""
    kz_log, kz_wit, kz_log_vkey, kz_wit_vkey = _keys(tmp_path, "temirbaba")
    tm_log, tm_wit, tm_log_vkey, tm_wit_vkey = _keys(tmp_path, "garabogaz")
    kz = HubSettings(db_path=tmp_path / "kz.db", checkpoint="temirbaba", log_key_file=kz_log,
                     witness_key_file=kz_wit, witness_for=[tm_log_vkey],
                     witnesses=[f"{tm_wit_vkey} http://garabogaz.test/witness"])  # fmt: skip
    tm = HubSettings(db_path=tmp_path / "tm.db", checkpoint="garabogaz", log_key_file=tm_log,
                     witness_key_file=tm_wit, witness_for=[kz_log_vkey],
                     witnesses=[f"{kz_wit_vkey} http://temirbaba.test/witness"])  # fmt: skip
    with (TestClient(create_app(kz, start_worker=False, clock=Clock())) as kz_api,
          TestClient(create_app(tm, start_worker=False)) as tm_api):  # fmt: skip
        hub_runtime(kz_api).queue.store.add_user("officer1", password_hash(), "officer",
                                                 "2026-01-01")  # fmt: skip

        def to_tm(url: str, raw: bytes) -> tuple[int, str, str]:
            # TestClient has no socket: the Turkmen hub's real route answers in-process.
            resp = tm_api.post("/witness/add-checkpoint", content=raw)
            return resp.status_code, resp.text, resp.headers["content-type"].split(";")[0]

        hub_runtime(kz_api).certs.cosigner._post = to_tm
        yield kz_api, tm_api


def _release(api: TestClient) -> tuple[int, list[str]]:
    _, arrival = truck_at_entry(api)
    headers = officer_login(api)
    resp = api.post(f"/api/arrivals/{arrival}/decision", headers=headers,
                    json={"action": "release", "seals": "intact"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    return arrival, resp.json()["certificates"]


def test_a_release_issues_a_certificate_that_verifies_offline(
    hubs: tuple[TestClient, TestClient],
) -> None:
    kz, tm = hubs
    arrival, certs = _release(kz)
    assert len(certs) == 1 and certs[0].startswith("TEMIRBABA-")
    listed = kz.get(f"/api/arrivals/{arrival}/certificates").json()
    assert [c["id"] for c in listed] == certs and listed[0]["index"] == 0
    hub_runtime(kz).certs.cosigner.step()  # what the cosigner thread does each second
    resp = kz.get(f"/api/certificates/{certs[0]}")
    assert resp.status_code == 200
    assert resp.headers["content-disposition"] == f'attachment; filename="{certs[0]}.json"'
    bundle = parse_bundle(resp.content)
    body = bundle.body
    assert body["decision"]["action"] == "release" and body["decision"]["officer"] == "officer1"
    assert body["vehicle"]["tractor"] == "123ABC12" and len(body["evidence"]["events"]) == 4
    assert body["notification"]["submitter"] == "KZ-CARRIER-1"
    # Personal data is in the body the holder keeps, not in anything the log publishes.
    assert "Aidos" not in resp.text and "+7701" not in resp.text
    log_key = note.parse_verifier_key(hub_runtime(kz).certs.log.verifier_key)
    witness_key = note.parse_verifier_key(hub_runtime(tm).certs.witness.verifier_key)
    assert verify_bundle(bundle, log_key, [witness_key]).index == 0
    # The Turkmen hub verifies it with what it trusts, no call to Temirbaba.
    verdict = tm.post("/api/certificates/verify", content=resp.content).json()
    assert verdict["verified"] is True and verdict["body"]["id"] == certs[0]
    forged = resp.content.replace(b"123ABC12", b"123ABC13")
    verdict = kz.post("/api/certificates/verify", content=forged)
    assert verdict.json()["reason"] == "body_hash_mismatch"


def test_certify_is_idempotent_and_refuses_what_was_not_released(
    hubs: tuple[TestClient, TestClient],
) -> None:
    kz, _ = hubs
    arrival, certs = _release(kz)
    headers = officer_login(kz)
    again = kz.post(f"/api/arrivals/{arrival}/certificates", headers=headers)
    assert [c["id"] for c in again.json()] == certs
    assert kz.post("/api/arrivals/999/certificates", headers=headers).status_code == 404


def test_an_inspection_is_not_a_release(hubs: tuple[TestClient, TestClient]) -> None:
    kz, _ = hubs
    _, arrival = truck_at_entry(kz)
    headers = officer_login(kz)
    resp = kz.post(f"/api/arrivals/{arrival}/decision", headers=headers,
                   json={"action": "inspect"})  # fmt: skip
    assert resp.json()["certificates"] == []
    refused = kz.post(f"/api/arrivals/{arrival}/certificates", headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "not_released"


def test_public_checkpoint_and_proofs_agree(hubs: tuple[TestClient, TestClient]) -> None:
    kz, _ = hubs
    _release(kz)
    log = hub_runtime(kz).certs.log
    text = kz.get("/api/log/checkpoint").text
    checkpoint = note.parse_checkpoint(note.split(text)[0])
    assert (checkpoint.origin, checkpoint.size) == ("shekara.temirbaba/log", 1)
    proof = kz.get("/api/log/proof/inclusion", params={"index": 0, "size": 1}).json()
    assert proof == {"index": 0, "size": 1, "hashes": []}
    cert = log.tables.recent(1)[0]
    merkle.verify_inclusion(0, 1, merkle.leaf_hash(bytes.fromhex(cert.digest)), [],
                            checkpoint.root)  # fmt: skip
    consistency = kz.get("/api/log/proof/consistency", params={"first": 0, "second": 1})
    assert consistency.json()["hashes"] == []
    bad = kz.get("/api/log/proof/inclusion", params={"index": 3, "size": 1})
    assert bad.status_code == 400 and "outside" in bad.json()["detail"]


def test_the_witness_route_speaks_the_c2sp_protocol(hubs: tuple[TestClient, TestClient]) -> None:
    kz, tm = hubs
    _release(kz)
    signed = hub_runtime(kz).certs.log.checkpoint().note
    ok = tm.post("/witness/add-checkpoint", content=f"old 0\n\n{signed}".encode())
    assert ok.status_code == 200 and ok.text.startswith(f"\u2014 {WITNESS_KEY} ")
    stale = tm.post("/witness/add-checkpoint", content=f"old 0\n\n{signed}".encode())
    assert stale.status_code == 409 and stale.text == "1\n"
    assert stale.headers["content-type"].startswith("text/x.tlog.size")
    own = hub_runtime(tm).certs.log
    foreign = f"old 0\n\n{own.checkpoint().note}".encode()
    assert tm.post("/witness/add-checkpoint", content=foreign).status_code == 404
    huge = tm.post("/witness/add-checkpoint", content=b"x" * 20_000)
    assert huge.status_code == 413


def test_bundles_are_for_officers_and_the_notifying_carrier(
    hubs: tuple[TestClient, TestClient],
) -> None:
    kz, _ = hubs
    _, certs = _release(kz)
    store = hub_runtime(kz).notify.store
    mine, theirs = new_token(), new_token()
    store.add_token(token_hash(mine), "KZ-CARRIER-1", "2026-01-01T00:00:00.000Z")
    store.add_token(token_hash(theirs), "KZ-CARRIER-2", "2026-01-01T00:00:00.000Z")
    url = f"/api/carrier/certificates/{certs[0]}"
    assert kz.get(url).status_code == 401
    assert kz.get(url, headers={"Authorization": f"Bearer {theirs}"}).status_code == 403
    got = kz.get(url, headers={"Authorization": f"Bearer {mine}"})
    assert got.status_code == 200 and json.loads(got.content)["body"]["id"] == certs[0]
    missing = "/api/carrier/certificates/TEMIRBABA-2026-NOPE0000"
    assert kz.get(missing, headers={"Authorization": f"Bearer {mine}"}).status_code == 404
    assert kz.get("/api/certificates/TEMIRBABA-2026-NOPE0000").status_code == 404
    kz.post("/api/auth/logout")
    assert kz.get(f"/api/certificates/{certs[0]}").status_code == 401


def test_the_hubs_keys_are_in_the_checkpoints(hubs: tuple[TestClient, TestClient]) -> None:
    kz, _ = hubs
    vkey = hub_runtime(kz).certs.log.verifier_key
    raw = base64.b64decode(vkey.split("+", 2)[2])  # the base64 may hold "+"
    assert raw[0] == note.ED25519 and vkey.startswith("shekara.temirbaba/log+")
