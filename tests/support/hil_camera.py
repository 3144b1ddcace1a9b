"""What the hardware-in-the-loop tests run against: which camera, at which settings.

Environment (all optional):

* ``SHEKARA_HIL_CAMERA``   the real camera, e.g. ``/dev/video0``, a stable
  ``/dev/v4l/by-id/...-video-index0`` path, or an IP camera's RTSP URL; default: the
  first ``/dev/video*`` that is a capture device (a Raspberry Pi's codec and ISP nodes,
  ``/dev/video10`` and up, are not).
  Setting it also opts in to the real-camera tests (as ``-m hil`` does).
* ``SHEKARA_HIL_CONFIG``   a device config whose ``[camera]`` section gives the expected
  resolution, frame rate and reconnect delays; default the Temirbaba entry-lane config.
* ``SHEKARA_HIL_WIDTH``, ``SHEKARA_HIL_HEIGHT``, ``SHEKARA_HIL_FPS`` override those.
* ``SHEKARA_HIL_TIMEOUT_S`` how long the engineer has for each step (default 60).
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent_helpers import FakeClock
from hil_label import Sheet
from virtual_camera import VirtualCamera

from edge.config import load_config

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "firmware_configs" / "temirbaba-entry-1.toml"

# struct v4l2_capability: driver[16] card[32] bus_info[32] version capabilities device_caps
# reserved[3], 104 bytes; VIDIOC_QUERYCAP = _IOR('V', 0, struct v4l2_capability).
_QUERYCAP = 0x80685600
_CAP_LAYOUT = "16s32s32sIII12x"
_VIDEO_CAPTURE = 0x00000001
_DEVICE_CAPS = 0x80000000


@dataclass(frozen=True, slots=True)
class HilSettings:
    """Expected capture settings and the engineer's time per step."""

    width: int
    height: int
    fps: float
    reconnect_s: float
    reconnect_max_s: float
    timeout_s: float
    config: Path


def settings() -> HilSettings:
    """The settings the environment asks for (see the module docstring)."""
    path = Path(os.environ.get("SHEKARA_HIL_CONFIG") or DEFAULT_CONFIG)
    if not path.is_absolute():
        path = REPO / path
    camera = load_config(path).camera
    env = os.environ.get
    return HilSettings(
        width=int(env("SHEKARA_HIL_WIDTH") or camera.width or 1280),
        height=int(env("SHEKARA_HIL_HEIGHT") or camera.height or 720),
        fps=float(env("SHEKARA_HIL_FPS") or camera.fps or 10),
        reconnect_s=camera.reconnect_s,
        reconnect_max_s=camera.reconnect_max_s,
        timeout_s=float(env("SHEKARA_HIL_TIMEOUT_S") or 60),
        config=path,
    )


def card_name(device: Path) -> str | None:
    """The V4L2 card name of a capture device, or None when it is not one."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        raw = fcntl.ioctl(fd, _QUERYCAP, bytes(struct.calcsize(_CAP_LAYOUT)))
    except OSError:
        return None
    finally:
        os.close(fd)
    _driver, card, _bus, _version, caps, device_caps = struct.unpack(_CAP_LAYOUT, raw)
    if caps & _DEVICE_CAPS:
        caps = device_caps
    if not caps & _VIDEO_CAPTURE:
        return None
    return str(card.split(b"\0", 1)[0].decode(errors="replace"))


def capture_devices() -> list[Path]:
    """``/dev/video*`` nodes that capture video, in number order."""
    nodes = sorted(Path("/dev").glob("video*"), key=lambda p: int(re.sub(r"\D", "", p.name) or 0))
    return [node for node in nodes if card_name(node) is not None]


def real_camera() -> str | None:
    """The camera the engineer chose (a device path, an index, an RTSP URL), or the first
    capture device, or None."""
    chosen = os.environ.get("SHEKARA_HIL_CAMERA")
    if chosen:
        return chosen
    found = capture_devices()
    return str(found[0]) if found else None


VIRTUAL_WAIT_S = 30.0  # generous for a loaded CI machine; nobody waits on the virtual camera


@dataclass
class HilCamera:
    """One camera under test and how to talk to whoever stands at it."""

    kind: Literal["virtual", "real"]
    source: str
    settings: HilSettings
    sheet: Sheet
    say: Callable[[str], None]
    virtual: VirtualCamera | None = None

    @property
    def wait_s(self) -> float:
        """How long a step may take: the engineer's time limit, or CI's patience."""
        return self.settings.timeout_s if self.kind == "real" else VIRTUAL_WAIT_S

    def clock(self) -> Callable[[], float]:
        """The agent's monotonic clock: the test's own for the virtual camera, so that its
        frame rate is checked exactly; the real one for a real camera."""
        return FakeClock() if self.kind == "virtual" else time.monotonic

    def idle(self, clock: Callable[[], float]) -> None:
        """Let time pass while no frame is due."""
        if isinstance(clock, FakeClock):
            # A quarter frame, plus a nanosecond so that four float steps never fall
            # short of the frame interval (0.025 * 4 < 0.1 in binary floating point).
            clock.advance(0.25 / self.settings.fps + 1e-9)
        else:
            time.sleep(0.002)

    def show_label(self) -> None:
        """Get the printed label in front of the lens."""
        self.say(f"Hold the printed HIL label (python -m tests.hil.label OUT.png) flat, 30 to "
                 f"60 cm in front of the camera, until this test passes (within "
                 f"{self.wait_s:.0f} s).")  # fmt: skip

    def unplug(self) -> None:
        """The camera goes away."""
        if self.virtual is not None:
            self.virtual.unplug()
        self.say(f"UNPLUG the camera ({self.source}) now, within {self.wait_s:.0f} s.")

    def replug(self) -> None:
        """The camera comes back."""
        if self.virtual is not None:
            self.virtual.replug()
        self.say(f"PLUG the camera back in now, within {self.wait_s:.0f} s.")
