"""deploy/edge/install.sh, run for real into a container-like folder (``--root``), against
a real hub: the code it prints is the hub's pending request, the operator's approval
completes the install, and a second run changes nothing.

``--python`` points the script at this test environment (no venv, no download) and
``--no-apt`` leaves the packages alone; everything else is what a lane box gets:
useradd, install, systemctl enable, shekara-edge config check and enrol.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from install_helpers import make_root, snapshot, user_ids
from live_hub import live_hub

from hub.config import load_settings
from hub.store import Store
from shekara import pki
from shekara.keys import key_id, load_private_key
from shekara.localbroker import free_port
from shekara.localstack import _script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "edge" / "install.sh"
LANE = ["--role", "entry_lane", "--device-id", "tmb-entry-9", "--lane", "entry-1",
        "--broker", "broker.temirbaba.test:8883", "--camera", "0"]  # fmt: skip

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("useradd", "usermod", "systemctl")),
    reason="the installer creates a user (useradd --root) and needs root and systemctl",
)


def install_args(root: Path, *extra: str) -> list[str]:
    return ["bash", str(SCRIPT), *LANE, "--root", str(root), "--no-apt",
            "--python", sys.executable, *extra]  # fmt: skip


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, config file) of a real hub holding a CA, so approval issues a certificate."""
    pki.create_authority(tmp_path / "pki", "Temirbaba test CA")
    config = tmp_path / "hub.toml"
    config.write_text(f'db_path = "{tmp_path / "hub.db"}"\npki_dir = "{tmp_path / "pki"}"\n')
    with live_hub(load_settings(config), clock=lambda: datetime.now(UTC)) as (url, _app):
        yield url, config


def hub_cli(config: Path, *args: str) -> str:
    done = subprocess.run([_script("shekara-hub"), *args, "--config", str(config)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout


@needs_root
def test_install_enrols_with_the_operators_approval_and_runs_twice_unchanged(
    tmp_path: Path, hub: tuple[str, Path]
) -> None:
    url, hub_config = hub
    root = make_root(tmp_path / "lane")
    installer = subprocess.Popen(
        install_args(root, "--hub", url, "--enrol-wait", "120"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert installer.stdout is not None
    printed = []
    for line in installer.stdout:
        printed.append(line)
        if code := re.fullmatch(r"enrolment code: (\S+)\n", line):
            break
    else:
        raise AssertionError("".join(printed))
    pending = hub_cli(hub_config, "device", "enrolments", "--state", "pending")
    assert code[1] in pending and "tmb-entry-9" in pending
    hub_cli(hub_config, "device", "approve", code[1])
    out, _ = installer.communicate(timeout=120)
    printed.append(out)
    assert installer.returncode == 0, "".join(printed)
    assert "enrolment: approved" in out

    uid, gid = user_ids(root, "shekara")
    assert "shekara" in next(g for g in (root / "etc/group").read_text().splitlines()
                             if g.startswith("video:"))  # fmt: skip
    conf = root / "etc/shekara/device.toml"
    check = subprocess.run([_script("shekara-edge"), "config", "check", str(conf)],
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stderr
    values = tomllib.loads(conf.read_text())
    assert (values["device_id"], values["lane"], values["checkpoint"]) == (
        "tmb-entry-9",
        "entry-1",
        "temirbaba",
    )
    assert (values["mqtt"]["host"], values["mqtt"]["port"]) == ("broker.temirbaba.test", 8883)
    assert values["camera"]["source"] == "0"
    assert values["key_file"] == "/etc/shekara/keys/device.key"
    st = conf.stat()
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o640, 0, gid)

    key = root / "etc/shekara/keys/device.key"
    for secret in (key, root / "etc/shekara/tls/device.key"):
        st = secret.stat()
        assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o600, uid, gid), secret
    cert = pki.load_cert(root / "etc/shekara/tls/device.crt")
    assert pki.common_name(cert) == "tmb-entry-9"
    with Store(load_settings(hub_config).db_path) as store:
        device = store.get_device("tmb-entry-9")
    assert device is not None and device.lane == "entry-1"
    assert device.key_id == key_id(load_private_key(key).public_key())

    unit = root / "etc/systemd/system/shekara-edge.service"
    exec_start = next(line for line in unit.read_text().splitlines()
                      if line.startswith("ExecStart="))  # fmt: skip
    assert exec_start.startswith(f"ExecStart={Path(sys.executable).parent}/shekara-edge run ")
    link = root / "etc/systemd/system/multi-user.target.wants/shekara-edge.service"
    assert os.readlink(link) == "/etc/systemd/system/shekara-edge.service"
    for folder, mode in (("var/lib/shekara", 0o750), ("etc/shekara/keys", 0o700)):
        st = (root / folder).stat()
        assert (st.st_mode & 0o777, st.st_uid) == (mode, uid), folder

    before = snapshot(root)
    again = subprocess.run(install_args(root, "--hub", url), capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert snapshot(root) == before
    for said in ("user shekara: exists", "unchanged", "already enrolled"):
        assert said in again.stdout, again.stdout


@needs_root
def test_an_unreachable_hub_is_explained_and_the_install_completes(tmp_path: Path) -> None:
    root = make_root(tmp_path / "lane")
    nowhere = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(install_args(root, "--hub", nowhere), capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^enrolment code: \S+$", done.stdout, re.M), done.stdout
    assert f"the hub at {nowhere} cannot be reached" in done.stdout
    assert "run this installer again" in done.stdout
    uid, _ = user_ids(root, "shekara")
    assert (root / "etc/shekara/keys/device.key").stat().st_uid == uid
    assert (root / "etc/systemd/system/multi-user.target.wants/shekara-edge.service").is_symlink()
    # The code is the device's: asking again (the hub still away) prints the same one.
    again = subprocess.run(install_args(root, "--hub", nowhere), capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    first = re.search(r"^enrolment code: (\S+)$", done.stdout, re.M)
    second = re.search(r"^enrolment code: (\S+)$", again.stdout, re.M)
    assert first and second and first[1] == second[1]


ID = ["--device-id", "tmb-entry-9", "--lane", "entry-1"]
TEMPLATES = (REPO / "firmware_configs").glob("*.toml")
ROLES = sorted({tomllib.loads(p.read_text())["role"] for p in TEMPLATES})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "gate_keeper", *ID], "no template in firmware_configs/ has role "
                                         f"'gate_keeper'; roles there: {' '.join(ROLES)}\n"),
        (["--role", "entry_lane", "--config", "x.toml", *ID], "give --role or --config, not both"),
        (ID, "give --role ROLE or --config FILE"),
        (["--role", "entry_lane", "--device-id", "tmb/1", "--lane", "l1"],
         "device id 'tmb/1' may hold only"),
        (["--role", "entry_lane", "--lane", "l1"], "--device-id is required"),
        (["--role", "entry_lane", *ID, "--broker", "hub.local:99999"],
         "port '99999' is not a port"),
        (["--role", "entry_lane", *ID, "--hub", "ftp://hub"], "--hub must be a URL"),
        (["--role", "entry_lane", *ID, "--colour", "red"], "unknown argument '--colour'"),
        (["--role", "entry_lane", "--device-id", "d1", "--lane"], "--lane needs a value"),
        (["--role", "entry_lane", *ID, "--root", "/tmp"], "--root needs --no-apt and --python"),
        (["--config", "/nonexistent.toml", *ID],
         "--config /nonexistent.toml: no such readable file"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_clear_line_and_change_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("install.sh: error: ")
    assert message in done.stderr, done.stderr
    assert done.stdout == ""  # refused before doing anything
