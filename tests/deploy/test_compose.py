"""deploy/compose, checked statically: no container engine runs on the machines this
suite was written on, so the compose file is read, not run (deploy/README.md says so).

What can be known without Docker is checked: the YAML and its services, every file it
or the Dockerfile names exists, the hub's command is one ``shekara-hub`` accepts and its
config validates as production, ports and volumes agree with that config, and the
broker's start script produces the repository's Mosquitto config with only the lines
it means to change.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.app import create_app
from hub.cli import build_parser
from hub.config import load_settings
from shekara.localbroker import PRODUCTION_CONF

REPO = Path(__file__).resolve().parents[2]
COMPOSE_DIR = REPO / "deploy" / "compose"
SECRETS = {"SHEKARA_HUB_JOURNAL_KEY": "j" * 40, "SHEKARA_HUB_FORM_SECRET": "f" * 40}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text())
    return loaded


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (COMPOSE_DIR / "Dockerfile").read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def test_the_stack_is_the_hub_and_its_broker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"hub", "mosquitto"} <= set(services)
    assert services["init"]["profiles"] == ["init"]  # run by hand, once
    assert services["mosquitto"]["image"].startswith("eclipse-mosquitto:2")
    for name in ("hub", "init"):
        build = services[name]["build"]
        context = (COMPOSE_DIR / build["context"]).resolve()
        assert context == REPO and (context / build["dockerfile"]).is_file()


def test_every_file_mounted_or_copied_exists(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE_DIR / source).is_file(), f"{name}: {source}"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
        for env in service.get("env_file", []):
            assert (COMPOSE_DIR / f"{env}.example").is_file(), f"{name}: no {env}.example"
    for instruction, args in dockerfile():
        if instruction == "COPY":
            *sources, _target = args.split()
            for source in sources:
                assert (REPO / source).exists(), source


def test_the_image_is_slim_bookworm_non_root_with_a_health_check() -> None:
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim-bookworm")
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users == ["shekara"]
    health = next(args for instruction, args in steps if instruction == "HEALTHCHECK")
    assert "http://127.0.0.1:8080/healthz" in health
    # The path it asks is one the hub serves.
    app = create_app(load_settings(COMPOSE_DIR / "hub.toml", **_secrets()), start_worker=False)
    assert "/healthz" in app.openapi()["paths"]


def _secrets() -> dict[str, str]:
    return {"journal_key": SECRETS["SHEKARA_HUB_JOURNAL_KEY"],
            "form_secret": SECRETS["SHEKARA_HUB_FORM_SECRET"]}  # fmt: skip


def test_the_hub_command_and_config_are_real(compose: dict[str, Any]) -> None:
    hub = compose["services"]["hub"]
    entrypoint = next(a for i, a in dockerfile() if i == "ENTRYPOINT")
    assert entrypoint == '["shekara-hub"]'
    args = build_parser().parse_args(hub["command"])
    assert args.command == "serve" and args.log_format == "json"
    assert str(args.config) == "/etc/shekara/hub.toml"
    mounted = {v.split(":")[1]: v.split(":")[0] for v in hub["volumes"]}
    assert mounted[str(args.config)] == "./hub.toml"
    settings = load_settings(COMPOSE_DIR / "hub.toml", **_secrets())
    assert settings.env == "production" and settings.production_problems() == []
    assert settings.mqtt_host == "mosquitto"  # the service name, in the broker's certificate
    assert "--host mosquitto" in (COMPOSE_DIR / "init.sh").read_text()
    # Every file the hub reads or writes lies in a volume mounted into it.
    paths = [settings.db_path, settings.mqtt_tls_ca_file, settings.mqtt_tls_cert_file,
             settings.mqtt_tls_key_file, settings.broker_acl_file, settings.log_key_file,
             settings.witness_key_file, settings.pki_dir]  # fmt: skip
    for path in paths:
        assert path is not None
        assert any(str(path).startswith(target) for target in mounted), path


def test_ports_and_volumes_agree_with_the_configs(compose: dict[str, Any]) -> None:
    settings = load_settings(COMPOSE_DIR / "hub.toml", **_secrets())
    hub, broker = compose["services"]["hub"], compose["services"]["mosquitto"]
    # Plain HTTP only on the host's loopback, for an HTTPS proxy (Secure cookies).
    assert hub["ports"] == [f"127.0.0.1:{settings.http_port}:{settings.http_port}"]
    assert settings.http_host == "0.0.0.0"  # inside the container
    listener = re.search(r"^listener (\d+)", PRODUCTION_CONF.read_text(), re.M)
    assert listener and broker["ports"] == [f"{listener[1]}:{listener[1]}"]
    assert settings.mqtt_port == int(listener[1])
    # The broker only reads the PKI and the ACL; its queues survive a restart.
    read_only = {v.split(":")[1] for v in broker["volumes"] if v.endswith(":ro")}
    assert {"/etc/shekara/pki", "/etc/shekara/broker"} <= read_only
    persistence = re.search(r"^persistence_location (\S+)", PRODUCTION_CONF.read_text(), re.M)
    assert persistence
    volumes = {v.split(":")[1]: v.split(":")[0] for v in broker["volumes"]}
    assert volumes[persistence[1].rstrip("/")] == "mosquitto-data"
    assert hub["read_only"] is True and hub["cap_drop"] == ["ALL"]


def test_the_broker_script_changes_only_the_acl_and_log_lines(tmp_path: Path) -> None:
    """mosquitto-run.sh, with a stand-in for mosquitto that prints the config it got."""
    script = (COMPOSE_DIR / "mosquitto-run.sh").read_text()
    script = script.replace("/etc/shekara/mosquitto/shekara.conf", str(PRODUCTION_CONF))
    runner = tmp_path / "run.sh"
    runner.write_text(script)
    stub = tmp_path / "mosquitto"
    stub.write_text('#!/bin/sh\ncat "$2"\n')
    stub.chmod(0o755)
    out = tmp_path / "mosquitto.conf"
    env = {**os.environ, "MOSQUITTO": str(stub), "SHEKARA_CONF_OUT": str(out)}
    done = subprocess.run(["sh", str(runner)], env=env, capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    original = PRODUCTION_CONF.read_text().splitlines()
    changed = [
        (a, b) for a, b in zip(original, out.read_text().splitlines(), strict=True) if a != b
    ]
    assert changed == [
        ("acl_file /etc/shekara/broker.acl", "acl_file /etc/shekara/broker/broker.acl"),
        ("log_dest file /var/log/shekara/mosquitto.log", "log_dest stdout"),
    ]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_the_scripts_pass_shellcheck() -> None:
    scripts = [COMPOSE_DIR / "init.sh", COMPOSE_DIR / "mosquitto-run.sh"]
    done = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
