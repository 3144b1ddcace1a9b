"""The ``camera`` of the hardware-in-the-loop tests: a real one, or the virtual one of CI.

Every HIL test runs twice.  ``[virtual]`` films the HIL label in a generated clip and
always runs.  ``[real]`` is marked ``hil`` and uses a camera at ``/dev/video*``; it is
skipped when there is none, and also when nobody asked for it (``-m hil`` or
``SHEKARA_HIL_CAMERA``): two of the tests need a person at the camera, and a laptop's
webcam must not make ``make test`` wait for one.  See tests/hil/README.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_helpers import AgentThreads
from hil_camera import HilCamera, card_name, real_camera, settings
from hil_label import sheet
from virtual_camera import VirtualCamera


def _opted_in(config: pytest.Config) -> bool:
    return "hil" in (config.getoption("markexpr") or "") or bool(
        os.environ.get("SHEKARA_HIL_CAMERA")
    )


@pytest.fixture(params=["virtual", pytest.param("real", marks=pytest.mark.hil)])
def camera(
    request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> HilCamera:
    """The camera of this run: the virtual clip, or the real camera (see module docstring)."""
    wanted = settings()
    label = sheet()
    if request.param == "virtual":
        clip = VirtualCamera(tmp_path / "camera", label.image, wanted.width, wanted.height,
                             wanted.fps)  # fmt: skip
        return HilCamera("virtual", clip.source, wanted, label, lambda _message: None, clip)
    device = real_camera()
    if device is None:
        pytest.skip("no camera: no /dev/video* capture device (set SHEKARA_HIL_CAMERA)")
    if not _opted_in(request.config):
        pytest.skip(f"a camera is at {device}, but the real-camera tests need a person: "
                    f"run them with -m hil (or set SHEKARA_HIL_CAMERA)")  # fmt: skip

    def say(message: str) -> None:
        with capsys.disabled():
            print(f"\n[HIL {request.node.name}] {message}", flush=True)

    what = ""
    if device.startswith("/dev/"):
        if not Path(device).exists():
            pytest.fail(f"SHEKARA_HIL_CAMERA={device}: no such device (is it plugged in?)")
        what = f" ({card_name(Path(device)) or 'not a V4L2 capture device?'})"
    say(f"camera {device}{what}; expecting {wanted.width}x{wanted.height} at "
        f"{wanted.fps:g} fps from {wanted.config}")  # fmt: skip
    return HilCamera("real", device, wanted, label, say)


@pytest.fixture
def agents() -> Iterator[AgentThreads]:
    """Agents started in threads, stopped after the test."""
    runner = AgentThreads()
    yield runner
    runner.close()
