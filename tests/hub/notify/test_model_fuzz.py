"""Fuzzing the notification validator (hypothesis; fuzz/fuzz_notification.py is the atheris
twin).

Fuzzed: every identifier check of :mod:`hub.notify.checks` with any text, and
:class:`hub.notify.model.NotificationIn` with arbitrary JSON, with the valid sample
notification one value (or key) changed at any depth, and with raw bytes as JSON.

Contract: a check returns the identifier canonical (ASCII, upper case, no spaces; checking
it again gives it back) or raises :class:`ValueError` from one of its own ``raise``
statements, whose message names the rule.  The model raises nothing but
:class:`pydantic.ValidationError`, which the API turns into a 422 naming the field.
"""

from __future__ import annotations

import contextlib
import copy
import json
import string
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from notify_helpers import notification
from pydantic import ValidationError

from hub.notify import checks
from hub.notify.model import NotificationIn

CHECKS: list[Callable[[str], str]] = [
    checks.container_number,
    checks.sscc,
    checks.hs_code,
    checks.un_number,
    checks.transit_reference,
    checks.tir_carnet,
    checks.vin,
    checks.seal_number,
]
SAMPLE = notification()
# Identifier-shaped text: the characters the rules use, look-alikes, and anything at all.
idish = st.text(
    st.sampled_from([*string.ascii_uppercase, *string.digits, "/", " ", "-", ".", "(", ")",
                     "\n", "u", "n", "٣", "²", "１", "О"])
    | st.characters(exclude_categories=()),
    max_size=24,
)  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | idish,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=10,
)


def _raised_on_purpose(exc: ValueError) -> bool:
    """Whether ``exc`` comes from a ``raise`` in checks.py (not from int(), stdnum...)."""
    last = traceback.extract_tb(exc.__traceback__)[-1]
    return (
        type(exc) is ValueError
        and Path(last.filename) == Path(checks.__file__)
        and (last.line or "").lstrip().startswith("raise ")
    )


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CHECKS), idish)
@example(checks.container_number, "CSQU٣054383")  # stdnum's "substring not found"
@example(checks.sscc, "²" * 18)  # was "invalid literal for int()"
@example(checks.hs_code, "٣" * 6)  # was accepted as canonical
@example(checks.un_number, "١٢٠٣")
@example(checks.transit_reference, "12345678/211126/1234567\n")  # "$" before "\n"
@example(checks.transit_reference, "١٢345678/211126/1234567")
def test_a_check_returns_canonical_or_raises_its_value_error(
    check: Callable[[str], str], text: str
) -> None:
    try:
        code = check(text)
    except ValueError as exc:
        assert _raised_on_purpose(exc), repr(exc)
        return
    assert code.isascii() and code == code.upper() and not any(c.isspace() for c in code)
    assert check(code) == code


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20) | st.text(alphabet=string.ascii_uppercase + string.digits, max_size=17))
@example("ab")  # a lower-case letter was a KeyError
@example("-")
def test_mrn_check_character_is_a_digit_or_a_value_error(first17: str) -> None:
    try:
        check = checks.mrn_check_character(first17)
    except ValueError as exc:
        assert _raised_on_purpose(exc), repr(exc)
        return
    assert check in string.digits


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


PATHS = [p for p in _paths(SAMPLE) if p]


def _validate(doc: Any) -> NotificationIn | None:
    try:
        return NotificationIn.model_validate(doc)
    except ValidationError:
        return None


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_validates_or_raises_validation_error(doc: Any) -> None:
    _validate(doc)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(PATHS), st.sampled_from(["replace", "remove", "add"]), st.data())
def test_the_sample_with_one_value_changed(
    path: tuple[Any, ...], action: str, data: st.DataObject
) -> None:
    doc = copy.deepcopy(SAMPLE)
    *parent_path, last = path
    parent = doc
    for part in parent_path:
        parent = parent[part]
    value = data.draw(idish | json_values)
    if action == "replace":
        parent[last] = value
    elif action == "remove":
        del parent[last]
    elif isinstance(parent, dict):
        parent[data.draw(st.text(max_size=12))] = value
    else:
        parent.append(value)
    result = _validate(doc)
    if result is not None:
        # Whatever is accepted is stored canonical: validating it again changes nothing.
        assert NotificationIn.model_validate(result.model_dump(mode="json")) == result


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["conveyance.tractor", "conveyance.trailers.0"]),
    idish | st.text(max_size=16),
    st.sampled_from(["KZ", "TM", "RU", "UZ", "IR", "GB", "DE", "kz", " KZ"]) | st.text(max_size=4),
)
@example("conveyance.tractor", "A12²ABC", "KZ")
def test_any_plate_and_country(where: str, plate: str, country: str) -> None:
    _validate(notification(**{f"{where}.plate": plate, f"{where}.country": country}))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.just(json.dumps(SAMPLE).encode()).map(lambda b: b[:-1]))
@example(b"[" * 50_000)
@example(b'{"amendment":' + b"9" * 5000 + b"}")
def test_any_bytes_as_json_raise_only_validation_error(payload: bytes) -> None:
    with contextlib.suppress(ValidationError):
        NotificationIn.model_validate_json(payload)
