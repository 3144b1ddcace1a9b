"""A virtual camera for CI: a generated video file, played through the agent's own capture.

The clip is written with cv2.VideoWriter at the resolution and frame rate a device config
asks for, and shows a scene (the printed HIL label held in front of the lens, moving a
little as a hand does).  The agent reads it with ``loop = true`` through
:class:`edge.capture.FrameSource`, exactly as it reads any source.  :meth:`unplug` makes
the file vanish, as a USB camera's device node does, and :meth:`replug` brings it back:
FrameSource notices the loss at its next frame, reports ``lost``, retries with backoff,
and counts a reconnect when the file is there again.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def scene_frames(
    scene: np.ndarray, width: int, height: int, count: int, fill: float = 0.6
) -> list[np.ndarray]:
    """``count`` BGR frames of ``scene`` on a grey backdrop, drifting a few pixels."""
    backdrop = np.tile(np.linspace(70, 130, width, dtype=np.uint8), (height, 1))
    backdrop = cv2.cvtColor(backdrop, cv2.COLOR_GRAY2BGR)
    picture = scene if scene.ndim == 3 else cv2.cvtColor(scene, cv2.COLOR_GRAY2BGR)
    scale = min(width * fill / picture.shape[1], height * fill / picture.shape[0])
    picture = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = picture.shape[:2]
    frames = []
    for i in range(count):
        dx, dy = int(6 * np.sin(i / 3)), int(4 * np.cos(i / 4))
        x, y = (width - w) // 2 + dx, (height - h) // 2 + dy
        frame = backdrop.copy()
        frame[y : y + h, x : x + w] = picture
        frames.append(frame)
    return frames


class VirtualCamera:
    """A looping clip that can be unplugged and plugged back in."""

    def __init__(
        self,
        folder: Path,
        scene: np.ndarray,
        width: int,
        height: int,
        fps: float,
        seconds: float = 2.0,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "virtual-camera.avi"
        self._away = folder / "virtual-camera.unplugged"
        self.width, self.height, self.fps = width, height, fps
        count = max(2, round(seconds * fps))
        writer = cv2.VideoWriter(
            str(self.path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height)
        )
        if not writer.isOpened():
            raise OSError(f"cannot write {self.path}")
        for frame in scene_frames(scene, width, height, count):
            writer.write(frame)
        writer.release()
        self.frames = count

    @property
    def source(self) -> str:
        """The ``[camera] source`` of a device config that films this camera."""
        return str(self.path)

    def unplug(self) -> None:
        """The camera goes away."""
        self.path.rename(self._away)

    def replug(self) -> None:
        """The camera comes back."""
        self._away.rename(self.path)
