"""The queue config: defaults, a checkpoint's own file, loud failure on a typo."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.queue.policy import DEFAULT_CONFIG, Category, load_queue_config
from shekara.errors import ConfigError

FILE = """\
checkpoint = "bolashak"
name = "Bolashak"
timezone = "Asia/Aqtau"
hold_minutes = 5
[[directions]]
id = "north"
name = "Turkmenistan → Kazakhstan"
waiting_lanes = ["yard"]
entry_lanes = ["track-1"]
exit_lanes = ["gate"]
default_capacity = {general = 3}
"""


def test_defaults_are_temirbabas() -> None:
    assert load_queue_config(None) is DEFAULT_CONFIG
    assert DEFAULT_CONFIG.hold_minutes == 10 and DEFAULT_CONFIG.no_show_limit == 2
    assert DEFAULT_CONFIG.lane_role("entry-2") == (DEFAULT_CONFIG.directions[0], "entry")
    assert DEFAULT_CONFIG.lane_role("somewhere") is None


def test_a_checkpoint_file(tmp_path: Path) -> None:
    path = tmp_path / "queue.toml"
    path.write_text(FILE)
    config = load_queue_config(path)
    assert config.checkpoint == "bolashak" and config.hold_minutes == 5
    assert config.directions[0].default_capacity == {Category.GENERAL: 3}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("hold_minutes = 5", "hold_minuts = 5"), "hold_minuts: Extra inputs are not permitted"),
        (('timezone = "Asia/Aqtau"', 'timezone = "Mars/Olympus"'), "unknown time zone"),
        (("{general = 3}", "{cement = 3}"), "default_capacity.cement"),
    ],
)
def test_a_typo_fails_loudly_naming_the_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "queue.toml"
    path.write_text(FILE.replace(*change))
    with pytest.raises(ConfigError, match=message):
        load_queue_config(path)
