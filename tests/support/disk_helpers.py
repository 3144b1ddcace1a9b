"""A small real file system to fill up: a tmpfs mount, and a ballast file that eats its space."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from edge.disk import free_bytes


@contextmanager
def small_disk(folder: Path, size: str = "16m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder``; skips the test where mounting is not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill up needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield folder
    finally:
        # Lazy: a test that failed may still hold a file open there.
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


class Ballast:
    """A file that takes the free space of its file system, and gives it back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fill(self, leave: int = 0) -> None:
        """Grow until at most ``leave`` bytes are free (0: until the disk refuses a byte)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            chunk = 256 * 1024
            while chunk >= 1:
                room = free_bytes(self.path.parent) - leave
                if room <= 0:
                    return
                try:
                    os.write(fd, b"\xa5" * min(chunk, room))
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    chunk //= 4
        finally:
            os.close(fd)

    def release(self) -> None:
        """Give all the space back."""
        self.path.unlink(missing_ok=True)
