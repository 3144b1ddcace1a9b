"""Every source kind goes through FrameSource; losses are retried and reported, never raised."""

from __future__ import annotations

import logging
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.capture import FrameSource
from edge.image_guard import MAX_FILE_BYTES


class FakeClock:
    """A clock the test moves by hand, so pacing and backoff are exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _frames(n: int) -> list[np.ndarray]:
    return [np.full((48, 64, 3), 20 * i, dtype=np.uint8) for i in range(n)]


def _drain(source: FrameSource, clock: FakeClock, steps: int = 100) -> list[np.ndarray]:
    out = []
    for _ in range(steps):
        frame = source.read()
        if frame is not None:
            out.append(frame)
        clock.now += 1.0
    return out


def test_folder_of_images_in_name_order_skipping_broken_files(tmp_path: Path) -> None:
    for i, frame in enumerate(_frames(3)):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), frame)
    (tmp_path / "001b.png").write_bytes(b"not a png")
    clock = FakeClock()
    source = FrameSource(str(tmp_path), fps=1, clock=clock)
    got = _drain(source, clock)
    assert [int(f[0, 0, 0]) for f in got] == [0, 20, 40]
    assert source.stats.state == "ended"
    assert source.stats.frames == 3


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(100))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _hostile_files(folder: Path) -> list[str]:
    """Bad files in ``folder``, and the reason each must be skipped for."""
    (folder / "001-empty.jpg").write_bytes(b"")
    jpeg = cv2.imencode(".jpg", np.full((240, 320, 3), 90, np.uint8))[1].tobytes()
    (folder / "002-truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (folder / "003-huge.png").write_bytes(_png_declaring(20000, 20000))
    with (folder / "004-too-big.png").open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse
    (folder / "005-text.png").write_text("not a picture")
    return [
        "001-empty.jpg: empty file (0 bytes)",
        "002-truncated.jpg: truncated JPEG: no end-of-image marker",
        "003-huge.png: image is 20000x20000 (400.0 megapixels), over the limit of 50 megapixels",
        "004-too-big.png: file too large: 67,108,865 bytes, over the limit of 64 MiB",
        "005-text.png: not an image OpenCV can decode",
    ]


def test_hostile_files_in_a_folder_are_skipped_logged_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = _frames(2)
    cv2.imwrite(str(tmp_path / "000.png"), good[0])
    reasons = _hostile_files(tmp_path)
    cv2.imwrite(str(tmp_path / "009.png"), good[1])
    clock = FakeClock()
    source = FrameSource(str(tmp_path), fps=1, clock=clock)
    with caplog.at_level(logging.WARNING, logger="edge.capture"):
        got = _drain(source, clock, steps=10)
    assert [int(f[0, 0, 0]) for f in got] == [0, 20], "the good file after the bad ones is read"
    assert (source.stats.frames, source.stats.rejected, source.stats.state) == (2, 5, "ended")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == len(reasons)
    for message, reason in zip(warnings, reasons, strict=True):
        assert message.startswith(f"skipping image {tmp_path}/{reason}")


def test_a_looped_folder_of_only_bad_files_is_retried_not_reread_in_a_busy_loop(
    tmp_path: Path,
) -> None:
    reasons = _hostile_files(tmp_path)
    clock = FakeClock()
    source = FrameSource(str(tmp_path), fps=1, loop=True, reconnect_s=5, clock=clock)
    for _ in range(10):
        assert source.read() is None
    assert source.stats.rejected == len(reasons), "read once, then wait like a lost camera"
    assert source.stats.state == "lost"
    clock.now += 5
    source.read()
    assert source.stats.rejected == 2 * len(reasons)


def test_video_file_replays_and_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 5, (64, 48))
    for frame in _frames(4):
        writer.write(frame)
    writer.release()
    clock = FakeClock()
    once = FrameSource(str(path), fps=1, clock=clock)
    assert len(_drain(once, clock)) == 4
    assert once.stats.state == "ended"
    looping = FrameSource(str(path), fps=1, loop=True, clock=clock)
    assert len(_drain(looping, clock, steps=30)) > 8
    assert looping.stats.state == "ok"


def test_files_are_paced_at_the_configured_rate(tmp_path: Path) -> None:
    for i, frame in enumerate(_frames(5)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), frame)
    clock = FakeClock()
    source = FrameSource(str(tmp_path), fps=2, clock=clock)
    assert source.read() is not None
    assert source.read() is None, "a second frame at the same instant would exceed 2 fps"
    clock.now += 0.5
    assert source.read() is not None


def test_missing_source_is_lost_and_retried_with_backoff(tmp_path: Path) -> None:
    clock = FakeClock()
    folder = tmp_path / "later"
    source = FrameSource(str(folder), fps=1, reconnect_s=2, reconnect_max_s=8, clock=clock)
    assert source.read() is None
    assert source.stats.state == "lost"
    retries = []
    for _ in range(20):
        before = source._retry_at
        source.read()
        if source._retry_at != before:
            retries.append(source._retry_at - clock.now)
        clock.now += 1
    assert retries[:3] == [4, 8, 8], "backoff doubles up to reconnect_max_s"
    folder.mkdir()
    cv2.imwrite(str(folder / "0.png"), _frames(1)[0])
    got = _drain(source, clock, steps=20)
    assert len(got) == 1
    assert source.stats.reconnects == 1


def test_camera_index_that_does_not_exist_is_reported_not_raised() -> None:
    clock = FakeClock()
    source = FrameSource("99", clock=clock)
    assert source.read() is None
    assert source.stats.state == "lost"


def test_http_url_source_goes_through_the_same_interface(tmp_path: Path) -> None:
    # A network camera is a URL; serve a recorded clip over HTTP on loopback and read
    # it with the same FrameSource the agent uses (OpenCV's FFmpeg backend).
    import functools
    import http.server
    import threading

    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), 5, (64, 48))
    for frame in _frames(6):
        writer.write(frame)
    writer.release()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/clip.avi"
        clock = FakeClock()
        source = FrameSource(url, clock=clock)
        assert not source.is_file
        got = _drain(source, clock, steps=7)
        assert [round(int(f[24, 32, 0]) / 20) for f in got] == [0, 1, 2, 3, 4, 5]  # JPEG-lossy
        # A stream that ends is a lost camera, retried (here it plays again), not the
        # end of a file.
        assert source.stats.state == "lost"
        assert len(_drain(source, clock, steps=5)) > 0
        assert source.stats.reconnects == 1
    finally:
        server.shutdown()


def _clip(path: Path, n: int) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 5, (64, 48))
    for frame in _frames(n):
        writer.write(frame)
    writer.release()
    return path


@pytest.mark.parametrize("loop", [False, True])
def test_a_file_that_vanishes_while_playing_is_a_lost_camera_until_it_is_back(
    tmp_path: Path, loop: bool
) -> None:
    # An open file stays readable after it is deleted; the loss must still show at once,
    # as a camera's would, and not as the end of the footage.
    clip = _clip(tmp_path / "clip.avi", 10)
    clock = FakeClock()
    source = FrameSource(str(clip), fps=1, loop=loop, reconnect_s=2, clock=clock)
    assert len(_drain(source, clock, steps=3)) == 3
    clip.rename(tmp_path / "away.avi")
    assert _drain(source, clock, steps=5) == []
    assert (source.stats.state, source.stats.frames) == ("lost", 3)
    (tmp_path / "away.avi").rename(clip)
    back = _drain(source, clock, steps=20)
    assert back, "frames again once the file is back"
    assert source.stats.reconnects == 1
    assert source.stats.state == ("ok" if loop else "ended")


def test_a_device_path_is_a_camera_not_a_file(tmp_path: Path) -> None:
    clock = FakeClock()
    source = FrameSource("/dev/video-shekara-absent", fps=10, reconnect_s=1, clock=clock)
    assert source.is_device and not source.is_file
    for _ in range(5):
        assert source.read() is None
        clock.now += 1
    # Unplugged: lost and retried for ever, never "ended" as a file would be.
    assert source.stats.state == "lost"
    assert source.interval == pytest.approx(0.1)


def test_a_looped_clip_has_no_gap_at_its_seam(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.avi", 3)
    clock = FakeClock()
    source = FrameSource(str(clip), fps=1, loop=True, clock=clock)
    got = _drain(source, clock, steps=9)
    assert len(got) == 9, "one frame per second, through two rewinds"
    assert [round(int(f[24, 32, 0]) / 20) for f in got] == [0, 1, 2] * 3


def test_from_config_uses_every_camera_setting(tmp_path: Path) -> None:
    from edge.config import CameraConfig

    camera = CameraConfig(source=str(tmp_path), width=640, height=480, fps=4, loop=True,
                          reconnect_s=3, reconnect_max_s=9)  # fmt: skip
    source = FrameSource.from_config(camera)
    assert (source.source, source.width, source.height, source.interval, source.loop) == (
        str(tmp_path), 640, 480, 0.25, True,
    )  # fmt: skip
    assert (source.reconnect_s, source.reconnect_max_s) == (3, 9)
