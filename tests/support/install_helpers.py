"""Helpers for the installer tests: a container-like root folder and its snapshot."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def make_root(top: Path) -> Path:
    """A folder that looks like a fresh Debian's /etc to useradd and systemctl."""
    etc = top / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\nvideo:x:44:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\nvideo:!::\n")
    for name in ("shadow", "gshadow"):
        (etc / name).chmod(0o640)
    nologin = top / "usr/sbin/nologin"
    nologin.parent.mkdir(parents=True)
    nologin.write_text("#!/bin/sh\nexit 1\n")
    nologin.chmod(0o755)
    return top


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every path under ``root`` with its mode, owner and content (or link target)."""
    found: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if path.is_symlink():
            content = os.readlink(path)
        else:
            content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        found[str(path.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, content)
    return found


def user_ids(root: Path, name: str) -> tuple[int, int]:
    """(uid, gid) of ``name`` in the root's /etc/passwd and /etc/group."""
    uid = next(
        int(line.split(":")[2])
        for line in (root / "etc/passwd").read_text().splitlines()
        if line.startswith(f"{name}:")
    )
    gid = next(
        int(line.split(":")[2])
        for line in (root / "etc/group").read_text().splitlines()
        if line.startswith(f"{name}:")
    )
    return uid, gid
