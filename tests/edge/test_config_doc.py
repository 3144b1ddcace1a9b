"""The device config reference: generated from the model, committed up to date, units stated."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Literal, get_args

import pytest
from pydantic import BaseModel, ConfigDict, Field

from edge.cli import main
from edge.config import DeviceConfig
from edge.config_doc import DOC_PATH, REGENERATE, FieldDoc, render, walk

REPO = Path(__file__).resolve().parents[2]

# A numeric description names its unit with one of these words or symbols.
UNIT = re.compile(
    r"(?<![\w'’])(seconds?|s|ms|milliseconds?|minutes?|hours?|days?|pixels?|px|"
    r"MB|MiB|GB|GiB|kB|bytes|frames?|fps|degrees?|percent|mm|metres?)(?!\w)|%|°"
)
# Numbers with no unit: counts of things and identifiers.  Add a key here only when no
# unit applies; otherwise say the unit in its description.
UNITLESS = {
    "mqtt.max_inflight",  # messages
    "plates.proposals",  # image regions
    "outbox.keep_sent",  # events
    "outbox.hold_max_events",  # events
}
UNITLESS_NAMES = {"port"}  # a TCP port number, in whichever table
# What a key's name promises about its unit, and the words that keep the promise.
SUFFIX_UNITS = {
    "_s": re.compile(r"\bseconds?\b|(?<![\w'’])s\b"),
    "_ms": re.compile(r"\bms\b|\bmilliseconds?\b"),
    "_mb": re.compile(r"\bMB\b|\bMiB\b"),
    "_days": re.compile(r"\bdays?\b"),
    "_minutes": re.compile(r"\bminutes?\b"),
}
FIELDS = walk()


def missing_units(fields: list[FieldDoc], unitless: set[str]) -> list[str]:
    """Numeric keys whose description states no unit and which are not allowed to."""
    return [
        f.dotted
        for f in fields
        if f.numeric
        and f.dotted not in unitless
        and f.key not in UNITLESS_NAMES
        and not UNIT.search(f.description)
    ]


def test_committed_page_is_what_the_generator_makes() -> None:
    committed = (REPO / DOC_PATH).read_text(encoding="utf-8")
    generated = render()
    if committed != generated:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                str(DOC_PATH),
                "generated",
                n=1,
            )
        )
        pytest.fail(f"{DOC_PATH} is out of date with edge/config.py; run: {REGENERATE}\n{diff}")


def test_cli_prints_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "docs"]) == 0
    assert capsys.readouterr().out == render()


def test_walk_reaches_every_field_of_every_section() -> None:
    def count(model: type[BaseModel]) -> int:
        total = 0
        for info in model.model_fields.values():
            total += 1
            for sub in (info.annotation, *get_args(info.annotation)):
                if isinstance(sub, type) and issubclass(sub, BaseModel):
                    total += count(sub)
        return total

    assert len(FIELDS) == count(DeviceConfig)
    by_key = {f.dotted: f for f in FIELDS}
    fps = by_key["camera.fps"]
    assert (fps.type, fps.required, fps.default, fps.constraints) == (
        "number",
        False,
        "unset",
        "> 0, ≤ 120",
    )
    assert by_key["camera.source"].required
    assert by_key["camera"].table and by_key["camera"].required
    assert by_key["mqtt"].table and not by_key["mqtt"].required
    assert by_key["device_id"].constraints == "pattern `^[A-Za-z0-9_-]{1,64}$`"
    assert by_key["role"].type.startswith('one of `"entry_lane"`')
    assert by_key["barcode.rescue"].default == "true"
    assert by_key["mqtt.host"].default == '"127.0.0.1"'


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.dotted)
def test_every_field_has_a_description(field: FieldDoc) -> None:
    words = field.description.strip().lower()
    assert words, f"{field.dotted}: describe it in edge/config.py"
    assert words != field.key.replace("_", " "), f"{field.dotted}: say more than its name"


def test_every_numeric_field_states_its_unit() -> None:
    missing = missing_units(FIELDS, UNITLESS)
    assert not missing, (
        f"state the unit (seconds, px, MB, frames, ...) in the description of {missing} in "
        "edge/config.py; a count or an identifier goes in UNITLESS in this test"
    )


def test_unitless_allow_list_names_only_real_numeric_keys() -> None:
    numeric = {f.dotted for f in FIELDS if f.numeric}
    assert numeric >= UNITLESS, f"stale entries: {UNITLESS - numeric}"


@pytest.mark.parametrize("field", [f for f in FIELDS if f.numeric], ids=lambda f: f.dotted)
def test_key_suffix_and_described_unit_agree(field: FieldDoc) -> None:
    for suffix, words in SUFFIX_UNITS.items():
        if field.key.endswith(suffix):
            assert words.search(field.description), f"{field.dotted} ends in {suffix}"


class _Probe(BaseModel):
    """A probe section."""

    model_config = ConfigDict(extra="forbid")

    delay_s: float = Field(1.0, ge=0, description="How long to wait")
    tries: int = Field(3, ge=1, le=9, description="Attempts | retries")
    mode: Literal["a", "b"] = Field("a", description="Which way")
    tags: list[str] = Field(default_factory=list, description="Free labels")


class _Root(BaseModel):
    """A probe device."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^x|y$", description="Its name")
    probe: _Probe | None = Field(None, description="Optional probe")


def test_generator_handles_optional_sections_literals_and_lists() -> None:
    fields = walk(_Root)
    assert [f.dotted for f in fields] == [
        "name", "probe", "probe.delay_s", "probe.tries", "probe.mode", "probe.tags"
    ]  # fmt: skip
    page = render(_Root)
    assert "## `[probe]`\n\nA probe section. *Optional table" in page
    # A pipe in a pattern or a description would otherwise split the table cell.
    assert "| `name` | string | **yes** | — | pattern `^x\\|y$` | Its name |" in page
    assert "| `tries` | integer | no | `3` | ≥ 1, ≤ 9 | Attempts \\| retries |" in page
    assert '| `mode` | one of `"a"`, `"b"` | no | `"a"` |' in page
    assert "| `tags` | array of string | no | `[]` |" in page


def test_the_unit_check_catches_a_number_without_a_unit() -> None:
    fields = walk(_Root)
    assert missing_units(fields, set()) == ["probe.delay_s", "probe.tries"]
    assert missing_units(fields, {"probe.tries"}) == ["probe.delay_s"]
