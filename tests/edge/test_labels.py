"""Generated labels carry valid identifiers and read back as what they claim."""

from __future__ import annotations

import numpy as np
import pytest
from stdnum import ean, iso6346

from edge import labels
from edge.barcodes import decode
from shekara.codes import read_body


@pytest.mark.parametrize("seed", range(5))
def test_identifiers_have_valid_check_digits(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sscc, gtin, item = labels.make_sscc(rng), labels.make_gtin(rng), labels.make_ean13(rng)
    container = labels.make_container_code(rng)
    assert (len(sscc), len(gtin), len(item)) == (18, 14, 13)
    # stdnum's EAN check is the same GS1 mod-10, computed by a different implementation
    assert ean.calc_check_digit(sscc[:-1]) == sscc[-1]
    assert ean.is_valid(gtin) and ean.is_valid(item)
    assert iso6346.is_valid(container)
    for key in (sscc, gtin, item):
        assert ean.calc_check_digit(labels.tamper(key)[:-1]) != labels.tamper(key)[-1]
    assert not iso6346.is_valid(labels.tamper(container))


@pytest.mark.parametrize("kind", labels.KINDS)
def test_each_kind_reads_back_as_its_text(kind: str) -> None:
    label = labels.random_label(np.random.default_rng(7), kind)
    bodies = [read_body(r) for r in decode(label.image)]
    assert [(b["symbology"], b["text"], b["invalid_check_digit"]) for b in bodies] == [
        (label.symbology, label.text, False)
    ]


@pytest.mark.parametrize("kind", ["sscc", "gs1-datamatrix", "container", "container-qr"])
def test_a_tampered_label_reads_and_is_flagged(kind: str) -> None:
    label = labels.random_label(np.random.default_rng(8), kind, bad_check=True)
    bodies = [read_body(r) for r in decode(label.image)]
    assert [(b["text"], b["invalid_check_digit"]) for b in bodies] == [(label.text, True)]


def test_gs1_labels_carry_their_fields() -> None:
    label = labels.random_label(np.random.default_rng(9), "gs1-datamatrix")
    (body,) = [read_body(r) for r in decode(label.image)]
    assert body["symbology_identifier"] == "]d2"
    assert body["gs1"]["gtin"] in label.text and body["gs1"]["batch"] in label.text
    assert body["gs1"]["expiry"] >= "2026-01-01"


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown label kind"):
        labels.random_label(np.random.default_rng(0), "pdf417")
