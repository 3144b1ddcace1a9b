"""Fuzzing the GS1 and ISO 6346 interpreters (hypothesis; fuzz/fuzz_codes.py is the atheris
twin).

Fuzzed: :func:`shekara.codes.interpret_gs1`, :func:`~shekara.codes.interpret_container`,
:func:`~shekara.codes.barcode_body` and the GS1 check-digit helpers, with any text or
bytes and with element strings and container codes built to be valid, then damaged.

Contract: decoded content is whatever a camera saw, so the interpreters return data or
None and never raise; :func:`~shekara.codes.barcode_body` always returns a valid
``barcode.read`` body.  Valid keys are recognised, and a wrong check digit is flagged.
"""

from __future__ import annotations

import string
from datetime import date

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from stdnum import iso6346

from shekara import wire
from shekara.codes import (
    GS,
    barcode_body,
    gs1_check_digit,
    gs1_check_digit_ok,
    interpret_container,
    interpret_gs1,
)

digits = st.text(alphabet=string.digits, min_size=1, max_size=30)
# Text a scanner could hand over: GS1-ish characters mixed with anything at all.
gs1ish = st.text(
    alphabet=st.sampled_from([*string.digits, "(", ")", GS, "]", "C", "Q", "d", "e", "A", " "])
    | st.characters(),
    max_size=60,
)
prefixes = st.sampled_from(["", "]C1", "]e0", "]d2", "]Q3", "]Q1", GS, "]C1" + GS, "]"])
# Some Application Identifiers of each kind: fixed length, variable, dates, measures.
ais = st.sampled_from(["00", "01", "02", "10", "11", "17", "21", "30", "37", "3103", "3922",
                       "400", "410", "7003", "8004", "99", "23", "7030"])  # fmt: skip


def keyed(length: int) -> st.SearchStrategy[str]:
    """A GS1 key of ``length`` digits whose last is its check digit."""
    return st.text(alphabet=string.digits, min_size=length - 1, max_size=length - 1).map(
        lambda d: d + gs1_check_digit(d)
    )


def _one_digit_changed(key: str, position: int, shift: int) -> str:
    return key[:position] + str((int(key[position]) + shift) % 10) + key[position + 1 :]


# --- never raise ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
@example("²1")  # str.isdigit() holds for superscripts, int() refuses them: was ValueError
@example("1²")
@example("٣٤")  # Arabic-Indic digits: isdigit() and int() agree, but a GS1 key is ASCII
def test_check_digit_ok_is_a_bool_for_any_text(key: str) -> None:
    ok = gs1_check_digit_ok(key)
    assert isinstance(ok, bool)
    if ok:
        assert key.isascii() and key.isdigit()


@settings(max_examples=200, deadline=None)
@given(digits)
def test_exactly_one_check_digit_completes_any_digits(data: str) -> None:
    check = gs1_check_digit(data)
    assert [d for d in string.digits if gs1_check_digit_ok(data + d)] == [check]


@settings(max_examples=400, deadline=None)
@given(
    prefixes,
    st.one_of(
        gs1ish,
        st.lists(st.tuples(ais, gs1ish), max_size=4).map(
            lambda parts: "".join(f"({ai}){value}" for ai, value in parts)
        ),
        st.lists(st.tuples(ais, st.sampled_from(["", GS]), gs1ish), max_size=4).map(
            lambda parts: "".join(ai + value + sep for ai, sep, value in parts)
        ),
    ),
    st.booleans(),
)
@example("", "(17)000000", False)
@example("", "(17)991340", False)
@example("]C1", "00" + "٣" * 18, False)
@example("", "0012345678901234567\n", False)
def test_interpret_gs1_never_raises(prefix: str, text: str, as_bytes: bool) -> None:
    content = prefix + text
    result = interpret_gs1(content.encode("utf-8", "surrogatepass") if as_bytes else content)
    if result is not None:
        assert isinstance(result, wire.GS1Data) and result.elements
        assert all(e.ai.isascii() and e.ai.isdigit() for e in result.elements)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_interpret_gs1_never_raises_on_bytes(content: bytes) -> None:
    result = interpret_gs1(content)
    assert result is None or isinstance(result, wire.GS1Data)


@settings(max_examples=400, deadline=None)
@given(
    st.text(max_size=40)
    | st.text(alphabet=string.ascii_letters + string.digits + " -\n\t", max_size=30)
)
@example("MSCU 123456 6\n")
@example("ſſſu1234567")  # "ſ".upper() is "S": ASCII only after upper-casing
def test_interpret_container_never_raises(text: str) -> None:
    code = interpret_container(text)
    if code is not None:
        wire.ContainerCode.model_validate(code.model_dump())
        assert code.check_digit_ok == iso6346.is_valid(code.code)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["Code128", "QRCode", "DataMatrix", "EAN13", "ITF"]) | st.text(max_size=12),
    st.sampled_from([None, "]C1", "]C0", "]e0", "]d2", "]Q3", "]Q1"]) | st.text(max_size=4),
    st.binary(max_size=60),
    st.one_of(st.text(max_size=60), gs1ish, keyed(18), keyed(18).map(lambda k: "00" + k)),
    st.sampled_from([None, "GS1", "Text", "Binary"]),
)
def test_barcode_body_is_always_a_valid_body(
    symbology: str, identifier: str | None, raw: bytes, text: str, content_type: str | None
) -> None:
    for content in (raw, text.encode("utf-8", "surrogatepass"), b""):
        body = barcode_body(symbology, identifier, content, text, "zxing-cpp",
                            content_type=content_type)  # fmt: skip
        wire.validate_body(wire.EventType.BARCODE_READ, body)


# --- valid keys are recognised, damaged ones flagged ------------------------------


@settings(max_examples=200, deadline=None)
@given(keyed(18), st.sampled_from(["raw", "hri", "]C1", "bytes"]))
def test_any_valid_sscc_is_read_in_any_form(key: str, form: str) -> None:
    forms: dict[str, str | bytes] = {
        "raw": "00" + key, "hri": f"(00){key}", "]C1": f"]C100{key}", "bytes": f"00{key}".encode()
    }  # fmt: skip
    data = interpret_gs1(forms[form])
    assert data is not None and data.sscc == key and data.check_digits_ok


@settings(max_examples=200, deadline=None)
@given(
    keyed(14),
    st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=20),
    st.dates(),
    st.booleans(),
)
def test_gtin_batch_and_expiry_are_split(gtin: str, batch: str, day: date, hri: bool) -> None:
    yymmdd = day.strftime("%y%m%d")
    content = f"(01){gtin}(17){yymmdd}(10){batch}" if hri else f"01{gtin}17{yymmdd}10{batch}"
    data = interpret_gs1(content)
    assert data is not None and data.check_digits_ok
    assert (data.gtin, data.batch) == (gtin, batch)
    assert data.expiry is not None and data.expiry[2:] == day.strftime("%y-%m-%d")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([("00", 18), ("01", 14)]), st.data())
def test_a_single_changed_digit_of_a_key_is_flagged(
    ai_length: tuple[str, int], data: st.DataObject
) -> None:
    ai, length = ai_length
    key = data.draw(keyed(length))
    position = data.draw(st.integers(0, length - 1))
    tampered = _one_digit_changed(key, position, data.draw(st.integers(1, 9)))
    result = interpret_gs1(ai + tampered)
    assert result is not None and not result.check_digits_ok
    assert not gs1_check_digit_ok(tampered)


containers = st.tuples(
    st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3),
    st.sampled_from("UJZ"),
    st.text(alphabet=string.digits, min_size=6, max_size=6),
).map(lambda t: "".join(t) + iso6346.calc_check_digit("".join(t)))


def _remainder(code: str) -> int:
    """The ISO 6346 weighted sum mod 11 of the first ten characters (10 prints as 0)."""
    values = dict(zip("0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ", range(39), strict=True))
    return sum(values[c] << i for i, c in enumerate(code[:10])) % 11


@settings(max_examples=200, deadline=None)
@given(
    containers,
    st.sampled_from(["{}", "{} ", " {}", "{:.4} {:.6} {}", "{:.4}-{:.6}-{}", "ref {}; ok"]),
    st.booleans(),
)
def test_any_valid_container_code_is_recognised_as_printed(
    code: str, layout: str, lower: bool
) -> None:
    if "{:.4}" in layout:
        printed = layout.format(code[:4], code[4:10], code[10])
    else:
        printed = layout.format(code)
    found = interpret_container(printed.lower() if lower else printed)
    assert found is not None and found.code == code and found.check_digit_ok
    assert (found.owner, found.category, found.serial) == (code[:3], code[3], code[4:10])


@settings(max_examples=300, deadline=None)
@given(containers, st.integers(4, 10), st.integers(1, 9))
def test_a_single_changed_digit_of_a_container_is_flagged(
    code: str, position: int, shift: int
) -> None:
    tampered = _one_digit_changed(code, position, shift)
    # ISO 6346's blind spot: remainder 10 prints as check digit 0, like remainder 0, so a
    # change between those two is invisible (the standard advises against such serials).
    assume({_remainder(code), _remainder(tampered)} != {0, 10} or position == 10)
    found = interpret_container(tampered)
    assert found is not None and found.code == tampered and not found.check_digit_ok
