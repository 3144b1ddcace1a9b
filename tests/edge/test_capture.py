"""Every source kind goes through FrameSource; losses are retried and reported, never raised."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.capture import FrameSource


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
