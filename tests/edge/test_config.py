"""Device configs: paths resolve, typos fail with key and file named.

The shipped files in firmware_configs/ are checked in tests/firmware_configs/test_files.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import load_config
from shekara.errors import ConfigError

MINIMAL = """
device_id = "d1"
checkpoint = "temirbaba"
lane = "entry-1"
role = "entry_lane"
key_file = "keys/d1.key"
[camera]
source = "footage"
[outbox]
path = "data/outbox.db"
"""


def test_relative_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "d1.toml").write_text(MINIMAL)
    config = load_config(tmp_path / "d1.toml")
    assert config.key_file == tmp_path / "keys/d1.key"
    assert config.outbox.path == tmp_path / "data/outbox.db"
    assert config.camera.source == str(tmp_path / "footage")


def test_camera_index_and_urls_are_left_alone(tmp_path: Path) -> None:
    for source in ("0", "rtsp://192.0.2.1/stream"):
        (tmp_path / "d.toml").write_text(MINIMAL.replace('"footage"', f'"{source}"'))
        assert load_config(tmp_path / "d.toml").camera.source == source


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(MINIMAL.replace("[camera]", "[camera]\nfsp = 10"))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: camera.fsp: unknown key"


def test_bad_value_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(MINIMAL.replace('lane = "entry-1"', 'lane = "entry 1/a"'))
    with pytest.raises(ConfigError, match=r"bad.toml: lane: String should match pattern"):
        load_config(path)


def test_missing_file_and_broken_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")
    (tmp_path / "broken.toml").write_text("device_id = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "broken.toml")
