"""deploy/systemd: the units verify, their exposure stays under a ceiling, and the edge
agent and the hub really run inside the sandbox the units describe.

``systemd-analyze verify`` and ``security --offline`` read the units from a throwaway
root holding a copy of this machine's system units and a stub for each ExecStart
binary.  No systemd runs here (nor in most CI containers), so the sandbox is rebuilt
from the unit's own lines: the ``SystemCallFilter`` sets expanded by systemd-analyze,
``MemoryDenyWriteExecute`` as the seccomp rule systemd 252 installs for it, and
``ProtectSystem=strict`` as a read-only mount namespace with only the state folder
writable.  That is how the MemoryDenyWriteExecute decision was checked: OpenCV,
onnxruntime, zxing-cpp and pyzbar read real frames under it.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice
from mqtt_helpers import TestClientMQTT, wait_until

from edge.cli import build_parser as edge_parser
from edge.synth import write_footage
from hub.cli import build_parser as hub_parser
from shekara import wire
from shekara.keys import public_key_b64
from shekara.localbroker import LocalBroker
from shekara.localstack import EdgeProcess, HubProcess

REPO = Path(__file__).resolve().parents[2]
UNITS_DIR = REPO / "deploy" / "systemd"
UNITS = sorted(p.name for p in UNITS_DIR.iterdir() if p.suffix in {".service", ".path", ".timer"})
ANALYZE = shutil.which("systemd-analyze")
SYSTEM_UNITS = next((p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
                     if (p / "sysinit.target").exists()), None)  # fmt: skip
# Measured with systemd 252 (Debian bookworm); deploy/README.md records the breakdown.
CEILINGS = {"shekara-edge.service": 1.5, "shekara-hub.service": 1.1}
SYSTEM_PYTHON = Path("/usr/bin/python3")  # Debian's, where python3-seccomp installs

needs_analyze = pytest.mark.skipif(
    ANALYZE is None or SYSTEM_UNITS is None, reason="systemd-analyze or system units missing"
)


def unit_settings(name: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit, values in file order (keys may repeat)."""
    found: dict[str, list[str]] = {}
    for line in (UNITS_DIR / name).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _exec_path(command: str) -> str:
    return shlex.split(command)[0].lstrip("-@+!:")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with the system's units, ours, and an executable at every ExecStart path."""
    if ANALYZE is None or SYSTEM_UNITS is None:
        pytest.skip("systemd-analyze or system units missing")
    top = tmp_path_factory.mktemp("root")
    shutil.copytree(SYSTEM_UNITS, top / "usr/lib/systemd/system", symlinks=True)
    target = top / "etc/systemd/system"
    target.mkdir(parents=True)
    for name in UNITS:
        shutil.copy(UNITS_DIR / name, target / name)
        for command in unit_settings(name).get("ExecStart", []):
            stub = top / _exec_path(command).lstrip("/")
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text("#!/bin/sh\n")
            stub.chmod(0o755)
    return top


def _analyze(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run([ANALYZE, *args, f"--root={root}"], capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@needs_analyze
@pytest.mark.parametrize("unit", UNITS)
def test_unit_verifies_without_a_warning(root: Path, unit: str) -> None:
    done = _analyze(root, "verify", "--man=no", unit)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout + done.stderr == ""


@needs_analyze
def test_verify_reports_the_mistakes_it_is_trusted_to_catch(root: Path) -> None:
    text = (UNITS_DIR / "shekara-edge.service").read_text()
    broken = text.replace("Restart=on-failure", "Restart=on-failure\nRestartSteps=5").replace(
        "/opt/shekara/bin/shekara-edge", "/opt/shekara/bin/shekara-egde"
    )
    (root / "etc/systemd/system/broken.service").write_text(broken)
    done = _analyze(root, "verify", "--man=no", "broken.service")
    out = done.stdout + done.stderr
    # systemd 252 (bookworm) has no RestartSteps: which is why the units do not use it.
    assert "Unknown key" in out and "RestartSteps" in out
    assert "shekara-egde is not executable" in out
    assert done.returncode != 0


@needs_analyze
@pytest.mark.parametrize("unit", sorted(CEILINGS))
def test_exposure_score_stays_under_its_ceiling(root: Path, unit: str) -> None:
    done = _analyze(root, "security", "--offline=true", "--no-pager", unit)
    found = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d)", done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found[1]) <= CEILINGS[unit], done.stdout


@pytest.mark.parametrize(
    ("unit", "parser", "config"),
    [("shekara-edge.service", edge_parser, "/etc/shekara/device.toml"),
     ("shekara-hub.service", hub_parser, "/etc/shekara/hub.toml")],
)  # fmt: skip
def test_service_runs_as_shekara_restarts_and_logs_json(
    unit: str, parser: object, config: str
) -> None:
    s = unit_settings(unit)
    assert s["User"] == ["shekara"] and s["Group"] == ["shekara"]
    assert s["Restart"] == ["on-failure"] and s["RestartSec"] == ["5s"]
    assert s["StartLimitIntervalSec"] == ["600"] and s["StartLimitBurst"] == ["10"]
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "MemoryDenyWriteExecute"):
        assert s[key] == ["yes"], key
    assert s["ProtectSystem"] == ["strict"] and s["CapabilityBoundingSet"] == [""]
    assert s["StateDirectory"] == s["ConfigurationDirectory"] == s["LogsDirectory"] == ["shekara"]
    # The command line is one the shipped CLI accepts.
    argv = shlex.split(s["ExecStart"][0])
    args = parser().parse_args(argv[1:])  # type: ignore[operator]
    assert str(args.config) == config and args.log_format == "json"


def test_edge_may_use_the_camera_and_nothing_else() -> None:
    s = unit_settings("shekara-edge.service")
    assert s["PrivateDevices"] == ["no"] and s["DevicePolicy"] == ["closed"]
    assert s["DeviceAllow"] == ["char-video4linux rw"]
    assert s["SupplementaryGroups"] == ["video"]
    assert unit_settings("shekara-hub.service")["PrivateDevices"] == ["yes"]


# --- the sandbox, rebuilt from the units' lines ------------------------------------------

SECCOMP = """\
import errno, json, mmap, os, sys
import seccomp
allowed, mdwe = json.loads(sys.argv[1]), sys.argv[2] == "yes"
if mdwe:  # systemd 252's MemoryDenyWriteExecute (src/shared/seccomp-util.c)
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    wx, x = mmap.PROT_WRITE | mmap.PROT_EXEC, mmap.PROT_EXEC
    f.add_rule(seccomp.ERRNO(errno.EPERM), "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
    for name in ("mprotect", "pkey_mprotect"):
        f.add_rule(seccomp.ERRNO(errno.EPERM), name, seccomp.Arg(2, seccomp.MASKED_EQ, x, x))
    shm_exec = 0o100000
    f.add_rule(seccomp.ERRNO(errno.EPERM), "shmat",
               seccomp.Arg(2, seccomp.MASKED_EQ, shm_exec, shm_exec))
    f.load()
allow = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.EPERM))
for name in allowed:
    try:
        allow.add_rule(seccomp.ALLOW, name)
    except (RuntimeError, ValueError, OSError):
        pass  # not a system call of this architecture
allow.load()
os.execv(sys.argv[3], sys.argv[3:])
"""
# ProtectSystem=strict: everything read-only but the folders named in SANDBOX_RW.
MOUNTS = (
    'set -e; mount --make-rprivate /; IFS=:; for d in $SANDBOX_RW; do mount --bind "$d" "$d"; '
    'done; unset IFS; mount -o remount,bind,ro /; exec "$@"'
)


@functools.cache
def _expand(group: str) -> frozenset[str]:
    assert ANALYZE is not None
    out = subprocess.run([ANALYZE, "syscall-filter", group], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    names: set[str] = set()
    for line in out.splitlines()[1:]:
        item = line.strip()
        if item and not item.startswith("#"):
            names |= _expand(item) if item.startswith("@") else {item}
    return frozenset(names)


def allowed_syscalls(unit: str) -> list[str]:
    """The system calls the unit's SystemCallFilter lines leave allowed."""
    allowed: set[str] = set()
    for line in unit_settings(unit)["SystemCallFilter"]:
        deny = line.startswith("~")
        names = set().union(*(_expand(w) if w.startswith("@") else {w}
                              for w in line.lstrip("~").split()))  # fmt: skip
        allowed = allowed - names if deny else allowed | names
    return sorted(allowed)


def _sandbox_available() -> str | None:
    if ANALYZE is None:
        return "systemd-analyze is missing"
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "rebuilding the sandbox needs root and unshare (a mount namespace)"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import seccomp"], capture_output=True)
    if probe.returncode != 0:
        return "python3-seccomp is not installed (apt-get install python3-seccomp)"
    return None


needs_sandbox = pytest.mark.skipif(bool(_sandbox_available()), reason=str(_sandbox_available()))


def sandboxed(unit: str, argv: list[str], writable: list[Path], tmp: Path) -> list[str]:
    """``argv`` wrapped in the unit's seccomp rules, its ``Environment=`` and a read-only
    file system but for ``writable``."""
    script = tmp / "seccomp_exec.py"
    script.write_text(SECCOMP)
    mdwe = unit_settings(unit)["MemoryDenyWriteExecute"][0]
    environment = [v for line in unit_settings(unit).get("Environment", []) for v in line.split()]
    rw = "SANDBOX_RW=" + ":".join(str(p) for p in writable)
    return ["env", rw, *environment, "unshare", "--mount", "sh", "-c", MOUNTS, "sh",
            str(SYSTEM_PYTHON), str(script), json.dumps(allowed_syscalls(unit)), mdwe,
            *argv]  # fmt: skip


@needs_sandbox
def test_the_rebuilt_sandbox_really_refuses(tmp_path: Path) -> None:
    probe = (
        "import mmap, os\n"
        "def attempt(f):\n"
        "    try: f(); return 'allowed'\n"
        "    except OSError as e: return e.errno\n"
        "print(attempt(lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_WRITE | mmap.PROT_EXEC)))\n"
        "print(attempt(lambda: os.sched_setaffinity(0, {0})))\n"
        "print(attempt(lambda: open('/etc/shekara-sandbox-probe', 'w')))\n"
        f"print(attempt(lambda: open({str(tmp_path / 'ok')!r}, 'w').close()))\n"
    )
    argv = sandboxed("shekara-edge.service", [sys.executable, "-c", probe], [tmp_path], tmp_path)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        str(errno.EPERM),
        str(errno.EPERM),
        str(errno.EROFS),
        "allowed",
    ], out.stdout


def _unit_argv(unit: str, script: str, config: Path) -> list[str]:
    argv = shlex.split(unit_settings(unit)["ExecStart"][0])
    argv[0] = str(Path(sys.executable).parent / script)
    argv[argv.index("--config") + 1] = str(config)
    return argv


@needs_sandbox
def test_edge_agent_reads_frames_and_publishes_inside_the_sandbox(
    broker: LocalBroker, tmp_path: Path
) -> None:
    footage = write_footage(tmp_path / "footage", seed=7, n_frames=24)
    edge = EdgeProcess(
        tmp_path / "state", device_id="tmb-entry-1", checkpoint="temirbaba", lane="entry-1",
        source=str(footage.frames[0].parent), mqtt_port=broker.port, plates=True,
    )  # fmt: skip
    watcher = TestClientMQTT(broker.host, broker.port, subscribe="shekara/v1/#")
    home = tmp_path / "home"  # the shekara user's home is writable state on a lane box
    home.mkdir()
    argv = [*_unit_argv("shekara-edge.service", "shekara-edge", edge.config), "--until-drained"]
    done = subprocess.run(
        sandboxed("shekara-edge.service", ["/usr/bin/env", f"HOME={home}", *argv],
                  [tmp_path / "state", home], tmp_path),
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # --log-format json: every line the agent logged is one JSON object.
    assert all(json.loads(line) for line in done.stderr.splitlines() if line.strip())
    wait_until(lambda: "barcode.read" in {json.loads(p)["type"] for p in watcher.on("/events")},
               what="a barcode read (zxing-cpp) from the sandbox")  # fmt: skip
    types = {json.loads(p)["type"] for p in watcher.on("/events")}
    watcher.close()
    # The plate models (onnxruntime) ran: the footage's labels are read as plate text too.
    assert "plate.read" in types, types
    assert (tmp_path / "state" / "tmb-entry-1-outbox.db").exists()
    # ORT_DISABLE_TELEMETRY: onnxruntime left no device id (or anything) in the home.
    assert list(home.rglob("*")) == []


@needs_sandbox
def test_hub_serves_and_ingests_inside_the_sandbox(broker: LocalBroker, tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub", broker.port)
    key = Ed25519PrivateKey.generate()
    device = SimDevice(key, wire.Address("temirbaba", "entry-1", "tmb-entry-1"))
    pub = tmp_path / "device.pub"
    pub.write_text(public_key_b64(key.public_key()))
    hub.add_device("tmb-entry-1", pub, "temirbaba", "entry-1")
    hub.args = sandboxed("shekara-hub.service",
                         _unit_argv("shekara-hub.service", "shekara-hub", hub.config),
                         [tmp_path / "hub"], tmp_path)  # fmt: skip
    hub.start()  # a login (argon2 through cffi) and /healthz, from inside
    try:
        lane = TestClientMQTT(broker.host, broker.port)
        for _ in range(5):
            lane.publish(device.topic(), wire.encode(device.next()))
        wait_until(lambda: hub.get("/api/devices/tmb-entry-1")["stored"] == 5,
                   timeout=30, what="five events stored by the sandboxed hub")  # fmt: skip
        lane.close()
        assert hub.get("/healthz")["totals"]["dead_letters"] == 0
    finally:
        assert hub.stop() == 0
    log = (tmp_path / "hub" / "hub.log").read_text().splitlines()
    assert log and all(json.loads(line) for line in log if line.startswith("{"))
