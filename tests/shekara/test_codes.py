"""GS1 and ISO 6346 interpretation: known answers, tampering, and properties."""

from __future__ import annotations

import base64
import re
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shekara import wire
from shekara.codes import (
    barcode_body,
    gs1_check_digit,
    gs1_check_digit_ok,
    interpret_container,
    interpret_gs1,
)

# Published examples: the SSCC and GTIN of the GS1 General Specifications' figures,
# and the container code used to illustrate ISO 6346 (BIC, Wikipedia).
GS1_EXAMPLE_SSCC = "106141411234567897"
GS1_EXAMPLE_GTIN = "09506000134352"
ISO6346_EXAMPLE = "CSQU3054383"


def mod10(data: str) -> str:
    """GS1 General Specifications §7.9.1, written out as the spec's table does.

    Positions are counted from the right of the data (check digit excluded); odd
    positions weigh 3, even ones 1; the check digit is the distance to the next ten.
    """
    total = 0
    for position, digit in enumerate(reversed(data), start=1):
        total += int(digit) * (3 if position % 2 == 1 else 1)
    return str((10 - total % 10) % 10)


def iso6346_check(first10: str) -> str:
    """ISO 6346 Annex A: letters 10..38 skipping multiples of 11, weights 2**i, mod 11."""
    values, value = {}, 10
    for letter in string.ascii_uppercase:
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    total = sum((values.get(c) or int(c)) * 2**i for i, c in enumerate(first10))
    return str(total % 11 % 10)


def change_digit(key: str, position: int, new: int) -> str:
    return key[:position] + str(new) + key[position + 1 :]


# --- check digits -----------------------------------------------------------------


def test_published_examples_satisfy_the_independent_algorithms() -> None:
    assert mod10(GS1_EXAMPLE_SSCC[:-1]) == GS1_EXAMPLE_SSCC[-1]
    assert mod10(GS1_EXAMPLE_GTIN[:-1]) == GS1_EXAMPLE_GTIN[-1]
    assert iso6346_check(ISO6346_EXAMPLE[:-1]) == ISO6346_EXAMPLE[-1]


@given(st.text(alphabet=string.digits, min_size=1, max_size=20))
def test_check_digit_matches_the_spec_table(data: str) -> None:
    assert gs1_check_digit(data) == mod10(data)
    assert gs1_check_digit_ok(data + mod10(data))


# --- GS1 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "00" + GS1_EXAMPLE_SSCC,
        b"00" + GS1_EXAMPLE_SSCC.encode(),
        "(00)" + GS1_EXAMPLE_SSCC,
        "]C100" + GS1_EXAMPLE_SSCC,
        "\x1d00" + GS1_EXAMPLE_SSCC,
    ],
)
def test_sscc_in_every_transmitted_form(content: str | bytes) -> None:
    data = interpret_gs1(content)
    assert data is not None
    assert data.sscc == GS1_EXAMPLE_SSCC
    assert data.check_digits_ok
    assert [(e.ai, e.title, e.value) for e in data.elements] == [("00", "SSCC", GS1_EXAMPLE_SSCC)]


def test_gtin_batch_expiry_with_gs_separator() -> None:
    raw = f"01{GS1_EXAMPLE_GTIN}10ABC123\x1d17261231".encode()
    data = interpret_gs1(raw)
    assert data is not None
    assert (data.gtin, data.batch, data.expiry) == (GS1_EXAMPLE_GTIN, "ABC123", "2026-12-31")
    assert [e.ai for e in data.elements] == ["01", "10", "17"]
    assert data.check_digits_ok


def test_expiry_day_00_is_the_last_day_of_the_month() -> None:
    data = interpret_gs1("(17)240200")
    assert data is not None and data.expiry == "2024-02-29"


@pytest.mark.parametrize(
    "content",
    [f"(00){GS1_EXAMPLE_SSCC[:-1]}8", f"(01){GS1_EXAMPLE_GTIN[:-1]}3(10)X", f"(02){'1' * 14}"],
)
def test_wrong_check_digit_is_flagged_not_rejected(content: str) -> None:
    data = interpret_gs1(content)
    assert data is not None
    assert data.check_digits_ok is False
    assert data.elements[0].value == content[4:].split("(")[0]


@pytest.mark.parametrize(
    "content", ["", "hello", "]C1", "(17)261399", "01123", b"\xff\xfe\x00", "(9999)x"]
)
def test_not_an_element_string(content: str | bytes) -> None:
    assert interpret_gs1(content) is None


# --- ISO 6346 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "printed",
    ["CSQU3054383", "CSQU 305438 3", "csqu-305438-3", "CSQU 3054383", "CSQU 305438 3 22G1"],
)
def test_container_code_as_printed(printed: str) -> None:
    code = interpret_container(printed)
    assert code is not None
    assert (code.code, code.owner, code.category, code.serial, code.check_digit) == (
        "CSQU3054383",
        "CSQ",
        "U",
        "305438",
        "3",
    )
    assert code.check_digit_ok


def test_container_wrong_check_digit_is_flagged() -> None:
    code = interpret_container("CSQU3054384")
    assert code is not None
    assert code.check_digit_ok is False
    assert code.check_digit == "4"


@pytest.mark.parametrize(
    "text", ["", "CSQU305438", "CSQX3054383", "CSQU30543831", "XCSQU3054383", "12345678901"]
)
def test_not_a_container_code(text: str) -> None:
    assert interpret_container(text) is None


@given(
    st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3),
    st.sampled_from("UJZ"),
    st.text(alphabet=string.digits, min_size=6, max_size=6),
)
def test_any_container_code_with_its_check_digit_verifies(
    owner: str, cat: str, serial: str
) -> None:
    first10 = owner + cat + serial
    code = interpret_container(first10 + iso6346_check(first10))
    assert code is not None and code.check_digit_ok
    wrong = str((int(iso6346_check(first10)) + 1) % 10)
    tampered = interpret_container(first10 + wrong)
    assert tampered is not None and not tampered.check_digit_ok


# --- barcode.read bodies -------------------------------------------------------------


def body(
    symbology: str,
    identifier: str | None,
    content: str,
    frames: int = 1,
    bbox: tuple[int, int, int, int] | None = None,
    content_type: str | None = None,
) -> dict[str, Any]:
    raw = content.encode()
    result = barcode_body(
        symbology, identifier, raw, content, "zxing-cpp", frames, bbox, content_type
    )
    wire.validate_body(wire.EventType.BARCODE_READ, result)
    return result


@pytest.mark.parametrize(
    ("symbology", "identifier", "content_type"),
    [
        ("Code128", "]C1", None),
        ("DataMatrix", "]d2", None),
        ("QRCode", "]Q3", None),
        ("DataBar", "]e0", None),
        ("DataMatrix", None, "GS1"),
    ],
)
def test_gs1_symbols(symbology: str, identifier: str | None, content_type: str | None) -> None:
    b = body(symbology, identifier, "00" + GS1_EXAMPLE_SSCC, content_type=content_type)
    assert b["text"] == "(00)" + GS1_EXAMPLE_SSCC
    assert b["gs1"]["sscc"] == GS1_EXAMPLE_SSCC
    assert b["invalid_check_digit"] is False
    assert base64.b64decode(b["raw_b64"]) == ("00" + GS1_EXAMPLE_SSCC).encode()


def test_unmarked_code128_sscc_is_gs1_and_a_bad_one_is_flagged() -> None:
    good = body("Code128", "]C0", "00" + GS1_EXAMPLE_SSCC)
    assert good["gs1"] is not None and good["invalid_check_digit"] is False
    bad = body("Code128", None, "00" + GS1_EXAMPLE_SSCC[:-1] + "0")
    assert bad["gs1"] is not None and bad["invalid_check_digit"] is True


def test_bare_18_digit_sscc_only_when_its_check_digit_holds() -> None:
    good = body("Code128", "]C0", GS1_EXAMPLE_SSCC)
    assert good["text"] == "(00)" + GS1_EXAMPLE_SSCC
    other = body("Code128", "]C0", GS1_EXAMPLE_SSCC[:-1] + "0")
    assert other["gs1"] is None and other["invalid_check_digit"] is False
    assert other["text"] == GS1_EXAMPLE_SSCC[:-1] + "0"


def test_a_marked_gs1_symbol_is_never_given_an_sscc_ai() -> None:
    b = body("Code128", "]C1", GS1_EXAMPLE_SSCC)  # AI 10 (batch) + 16 characters
    assert b["gs1"]["batch"] == GS1_EXAMPLE_SSCC[2:] and b["gs1"]["sscc"] is None


def test_unmarked_multi_element_code128_from_pyzbar() -> None:
    b = body("Code128", None, f"01{GS1_EXAMPLE_GTIN}10LOT7\x1d17270101")
    assert b["gs1"]["batch"] == "LOT7"
    assert b["text"] == f"(01){GS1_EXAMPLE_GTIN}(10)LOT7(17)270101"


def test_digits_in_a_plain_qr_are_not_gs1() -> None:
    b = body("QRCode", "]Q1", "00" + GS1_EXAMPLE_SSCC[:-1] + "0")
    assert b["gs1"] is None and b["invalid_check_digit"] is False


@pytest.mark.parametrize(("content", "ok"), [("CSQU3054383", True), ("CSQU 305438 4", False)])
def test_container_bodies(content: str, ok: bool) -> None:
    b = body("QRCode", "]Q1", content)
    assert b["iso6346"]["code"] == "CSQU305438" + content[-1]
    assert b["invalid_check_digit"] is (not ok)
    assert b["text"] == content


def test_unparseable_gs1_keeps_the_read() -> None:
    b = body("Code128", "]C1", "17261399", frames=4, bbox=(1, 2, 3, 4))
    assert b["gs1"] is None and b["text"] == "17261399"
    assert (b["frames"], b["bbox"]) == (4, [1, 2, 3, 4])


# --- properties ---------------------------------------------------------------------

digits17 = st.text(alphabet=string.digits, min_size=17, max_size=17)


@given(digits17)
def test_any_sscc_with_its_check_digit_parses_ok(base: str) -> None:
    sscc = base + mod10(base)
    data = interpret_gs1("00" + sscc)
    assert data is not None and data.sscc == sscc and data.check_digits_ok


@settings(deadline=None)  # a busy 2-core box can exceed the 200 ms default here
@given(digits17, st.integers(0, 17), st.integers(1, 9))
def test_any_single_digit_change_is_flagged(base: str, position: int, shift: int) -> None:
    sscc = base + mod10(base)
    tampered = change_digit(sscc, position, (int(sscc[position]) + shift) % 10)
    data = interpret_gs1(b"00" + tampered.encode())
    assert data is not None and data.check_digits_ok is False
    assert body("Code128", "]C1", "00" + tampered)["invalid_check_digit"] is True


@settings(deadline=None)  # a busy 2-core box can exceed the 200 ms default here
@given(st.one_of(st.text(), st.binary()))
def test_interpreters_never_raise(content: str | bytes) -> None:
    result = interpret_gs1(content)
    assert result is None or isinstance(result, wire.GS1Data)
    text = content if isinstance(content, str) else content.decode("latin-1")
    code = interpret_container(text)
    assert code is None or code.code in re.sub(r"[\s-]", "", text.upper(), flags=re.ASCII)
    raw = text.encode("utf-8", "surrogatepass")
    for symbology, identifier in [("Code128", "]C1"), ("Code128", None), ("QRCode", "]Q1")]:
        b = barcode_body(symbology, identifier, raw, text, "pyzbar")
        wire.validate_body(wire.EventType.BARCODE_READ, b)


@given(st.from_regex(r"\A(\(\d{2,4}\)[0-9A-Za-z\x1d]{0,20}){1,4}\Z"))
def test_hri_like_text_never_raises(text: str) -> None:
    result = interpret_gs1(text)
    assert result is None or all(e.ai.isdigit() for e in result.elements)
