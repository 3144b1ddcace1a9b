"""Each identifier rule: a good value made canonical, and a bad one with its exact message."""

from __future__ import annotations

import pytest
from notify_helpers import sscc
from stdnum import iso6346

from hub.notify import checks


def test_container_numbers_are_canonical_and_check_digits_verified() -> None:
    assert checks.container_number("csqu 305438-3") == "CSQU3054383"
    with pytest.raises(ValueError, match=r"^wrong check digit in container CSQU3054384: "
                       r"expected 3, got 4$"):  # fmt: skip
        checks.container_number("CSQU3054384")
    with pytest.raises(ValueError, match="is not a container number: 3 letters, U/J/Z"):
        checks.container_number("CSQX3054383")


def test_ssccs_take_their_ai_and_refuse_a_wrong_check_digit() -> None:
    good = sscc(1)
    assert checks.sscc(f"(00){good}") == good and checks.sscc(f"00{good}") == good
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(ValueError, match=rf"^wrong check digit in SSCC {bad}: expected "
                       rf"{good[-1]}, got {bad[-1]}$"):  # fmt: skip
        checks.sscc(bad)
    with pytest.raises(ValueError, match=r"is not an SSCC: 18 digits \(AI 00\)"):
        checks.sscc("1234567")


def test_hs_codes_need_six_digits() -> None:
    assert checks.hs_code("0702.00") == "070200"
    with pytest.raises(ValueError, match=r"^HS code 0702 has 4 digits; at least 6 are needed$"):
        checks.hs_code("0702")
    with pytest.raises(ValueError, match="must be digits only"):
        checks.hs_code("07A200")


def test_un_numbers() -> None:
    assert checks.un_number("UN 1203") == "1203"
    with pytest.raises(ValueError, match="is not a UN number: 4 digits"):
        checks.un_number("UN12")


def test_mrn_check_character_is_iso6346_weighting() -> None:
    # The MRN rule reuses ISO 6346's algorithm: on container-shaped input the two agree.
    for code in ("CSQU305438", "MSCU123456", "TGHU123456", "ABCU000001"):
        assert checks.mrn_check_character(code) == iso6346.calc_check_digit(code)
    first17 = "26KZ1234567890ABC"
    good = first17 + checks.mrn_check_character(first17)
    assert checks.transit_reference(good.lower()) == good
    wrong = first17 + str((int(good[-1]) + 1) % 10)
    with pytest.raises(ValueError, match=f"^wrong check character in MRN {wrong}: expected"):
        checks.transit_reference(wrong)


def test_eaeu_transit_numbers_need_a_real_date() -> None:
    assert checks.transit_reference("10228010/211126/0001234") == "10228010/211126/0001234"
    with pytest.raises(ValueError, match="321126 is not a date DDMMYY"):
        checks.transit_reference("10228010/321126/0001234")
    with pytest.raises(ValueError, match="is neither an MRN"):
        checks.transit_reference("hello")


def test_tir_vin_and_seals() -> None:
    assert checks.tir_carnet("xc 12345678") == "XC12345678"
    with pytest.raises(ValueError, match="2 letters and 8 digits"):
        checks.tir_carnet("X1234567")
    assert checks.vin("xtc65115x91234567") == "XTC65115X91234567"
    with pytest.raises(ValueError, match=r"^a VIN has 17 characters, 'XTC' has 3$"):
        checks.vin("XTC")
    with pytest.raises(ValueError, match="letters I, O and Q"):
        checks.vin("XTC65115O91234567")
    with pytest.raises(ValueError, match="3 to 20 Latin letters and digits"):
        checks.seal_number("№1")
