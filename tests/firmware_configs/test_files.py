"""The shipped device configs: each loads strictly, every role is covered, lanes fit the hub.

CI runs this on every change, so a config that drifts from the model (a renamed key, a
value out of range) or from the hub's lane layout fails here, not on a pole at Temirbaba.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import get_args

import pytest

from edge.config import DeviceConfig, load_config
from hub.queue.policy import DEFAULT_CONFIG

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "firmware_configs"
FILES = sorted(FOLDER.glob("*.toml"))
ROLES = set(get_args(DeviceConfig.model_fields["role"].annotation))
# The hub's queue moves a truck on plate reads from these lanes (hub/queue/policy.py).
QUEUE_ROLE = {"waiting_zone": "waiting", "entry_lane": "entry", "exit_lane": "exit"}
TLS = Path("/etc/shekara/tls")
SHEKARA_EDGE = Path(sys.executable).with_name("shekara-edge")


@cache
def load(path: Path) -> DeviceConfig:
    """The file as the agent loads it (a broken file fails each test with its message)."""
    return load_config(path)


def test_there_are_files_to_check() -> None:
    assert len(FILES) >= len(ROLES) == 4


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_config_check_accepts_the_file(path: Path) -> None:
    # The installed command, as an installer or CI runs it, not just the function.
    result = subprocess.run(
        [str(SHEKARA_EDGE), "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config = load(path)
    assert result.stdout.strip() == (
        f"{path}: ok ({config.device_id} at {config.checkpoint}/{config.lane}, {config.role})"
    )


def test_every_role_has_a_config() -> None:
    roles = [load(p).role for p in FILES]
    assert set(roles) == ROLES, f"no example for {ROLES - set(roles)}"


def test_device_ids_and_lanes_are_unique() -> None:
    ids = [load(p).device_id for p in FILES]
    lanes = [(load(p).checkpoint, load(p).lane) for p in FILES]
    assert len(set(ids)) == len(ids), ids
    assert len(set(lanes)) == len(lanes), lanes


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_lane_plays_its_role_in_the_hub_queue(path: Path) -> None:
    config, name = load(path), path.name
    assert config.checkpoint == DEFAULT_CONFIG.checkpoint
    found = DEFAULT_CONFIG.lane_role(config.lane)
    if config.role in QUEUE_ROLE:
        assert found is not None, f"{name}: lane {config.lane!r} is in no queue direction"
        assert found[1] == QUEUE_ROLE[config.role], f"{name}: hub treats it as {found[1]}"
        # The queue moves on vehicle.passage events: without plates the lane is blind.
        assert config.plates.enabled, f"{name}: a {config.role} must read plates"
    else:
        # A barcode station's reads must not check trucks in or out by accident.
        assert found is None, f"{name}: {config.lane!r} is a queue lane ({found})"
        assert not config.plates.enabled and config.barcode.enabled


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_production_paths_and_mutual_tls(path: Path) -> None:
    config = load(path)
    mqtt = config.mqtt
    assert mqtt.port == 8883, "the broker's only listener is TLS on 8883"
    assert (mqtt.tls_ca_file, mqtt.tls_cert_file, mqtt.tls_key_file) == (
        TLS / "ca.crt",
        TLS / "device.crt",
        TLS / "device.key",
    )
    assert config.key_file == Path("/etc/shekara/keys/device.key")
    assert config.outbox.path.parent == Path("/var/lib/shekara")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_is_named_for_its_checkpoint_and_explains_itself(path: Path) -> None:
    config = load(path)
    assert path.name.startswith(f"{config.checkpoint}-")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# "), "open with what the device is and where it stands"
    camera = text.split("[camera]", 1)[1].split("\n[", 1)[0]
    assert re.search(r"^# ", camera, re.M), "say why this camera, resolution and rate"


def test_readme_describes_every_file() -> None:
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    for path in FILES:
        assert f"`{path.name}`" in readme, f"firmware_configs/README.md: add {path.name}"
