"""The tlog-proof text and the bundle JSON: the C2SP example, round trips, refusals."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cert_helpers import pair

from hub.cert.bundle import TlogProof, parse_bundle, parse_tlog_proof
from hub.cert.errors import MalformedBundle, MalformedProof

# The example of c2sp.org/tlog-proof (tlog-proof.md), signatures elided as there.
C2SP_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

\u2014 example.com/fancylog hI2DJw[...]1roloI=
"""


def test_the_c2sp_example_parses_and_prints_back() -> None:
    proof = parse_tlog_proof(C2SP_EXAMPLE)
    assert proof.index == 73894 and len(proof.hashes) == 5
    assert proof.hashes[0] == base64.b64decode("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
    assert proof.extra is not None and proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert proof.checkpoint.startswith("example.com/fancylog\n109482\n")
    assert proof.text() == C2SP_EXAMPLE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("c2sp.org/tlog-proof@v2\nindex 1\n\ncp\n", "starts with"),
        ("c2sp.org/tlog-proof@v1\nindex 01\n\ncp\n", "no 'index"),
        ("c2sp.org/tlog-proof@v1\nindex 1\n%%%\n\ncp\n", "proof hash 1 is not base64"),
        ("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\ncp\n", "not 32 bytes"),
        ("c2sp.org/tlog-proof@v1\nindex 1\n", "empty line before its checkpoint"),
    ],
)
def test_malformed_proofs_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(MalformedProof, match=message):
        parse_tlog_proof(text)


def test_a_bundle_round_trips_through_json(tmp_path: Path) -> None:
    p = pair(tmp_path)
    p.issue(5)
    bundle = p.bundle(3)
    assert parse_bundle(bundle.to_json()) == bundle
    assert parse_bundle(bundle.to_json(indent=2)) == bundle
    assert isinstance(bundle.proof, TlogProof) and bundle.proof.index == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v: v.update(format="x"), "not a shekara-certificate/v1"),
        (lambda v: v.update(body=[]), "'body' is not an object"),
        (lambda v: v.update(body_sha256="AB"), "64 lower-case hex"),
        (lambda v: v.update(tlog_proof=1), "'tlog_proof' is not a string"),
        (lambda v: v.update(extra=1), "unknown bundle fields: extra"),
    ],
)
def test_malformed_bundles_say_what_is_wrong(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    p = pair(tmp_path)
    p.issue(1)
    value = json.loads(p.bundle(0).to_json())
    change(value)
    with pytest.raises(MalformedBundle, match=message):
        parse_bundle(json.dumps(value))
    with pytest.raises(MalformedBundle, match="not JSON"):
        parse_bundle(b"\xff{")
