"""Checkpoints every second, and the neighbour's cosignatures gathered on them.

A thread signs a checkpoint whenever the log has grown (at most once per ``interval_s``,
or at once when woken by an issuance), then asks every configured witness to cosign the
latest checkpoint with ``add-checkpoint`` (c2sp.org/tlog-witness).  A witness that cannot
be reached is asked again with a growing pause (up to a minute); once it answers, it
cosigns the newest checkpoint, and bundles fetched from then on carry its cosignature:
that is how a certificate issued while the neighbour was down gets it re-attached.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hub.cert import note
from hub.cert.errors import LogError
from hub.cert.log import TransparencyLog
from hub.cert.witness import SIZE_TYPE, submission_text
from hub.loop import BackgroundLoop
from hub.store.log_sql import StoredCheckpoint
from shekara.wire import utc_timestamp

log = logging.getLogger(__name__)

MAX_PAUSE_S = 60.0


@dataclass(frozen=True, slots=True)
class WitnessPeer:
    """A witness to ask: its cosignature key and its submission URL prefix."""

    verifier: note.Verifier
    url: str

    @classmethod
    def parse(cls, text: str) -> WitnessPeer:
        """``<verifier key> <URL prefix>``, as in the ``witnesses`` setting."""
        key, _, url = text.strip().partition(" ")
        verifier = note.parse_verifier_key(key)
        if verifier.type != note.COSIGNATURE_V1 or not url.startswith(("http://", "https://")):
            raise LogError(f"{text!r}: expected a cosignature/v1 verifier key, a space, a URL")
        return cls(verifier, url.strip().rstrip("/"))


Post = Callable[[str, bytes], tuple[int, str, str]]


def http_post(url: str, body: bytes, timeout: float = 3.0) -> tuple[int, str, str]:
    """POST ``body``; (status, text, content type).  Network failures raise OSError."""
    # WitnessPeer.parse admits http(s) URLs only.
    request = urllib.request.Request(url, body, method="POST",  # noqa: S310
                                     headers={"Content-Type": "text/plain"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            return reply.status, reply.read(65536).decode(), reply.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536).decode(errors="replace"), exc.headers.get_content_type()


class Cosigner(BackgroundLoop):
    """Keeps the log's checkpoints current and cosigned."""

    name = "cosigner"

    def __init__(
        self,
        log_: TransparencyLog,
        peers: Sequence[WitnessPeer],
        interval_s: float = 1.0,
        post: Post = http_post,
    ) -> None:
        super().__init__(interval_s)
        self.log = log_
        self.peers = tuple(peers)
        self._post = post
        self._known: dict[str, int] = {}  # witness -> size it last cosigned
        self._next_try: dict[str, float] = {}
        self._pause: dict[str, float] = {}
        self.status: dict[str, str] = {p.verifier.name: "not asked yet" for p in self.peers}

    def wake(self) -> None:
        """A certificate was issued: checkpoint and ask every witness now."""
        self._next_try.clear()
        super().wake()

    def tick(self) -> bool:
        """One round each ``interval_s``: nothing makes the next one come sooner."""
        self.step()
        return False

    def step(self) -> StoredCheckpoint | None:
        """Sign a checkpoint if the log grew; ask the witnesses that lack it."""
        if self.log.size == 0:
            return None
        checkpoint = self.log.checkpoint()
        for peer in self.peers:
            name = peer.verifier.name
            if name in checkpoint.cosignatures or time.monotonic() < self._next_try.get(name, 0):
                continue
            if self.cosign(peer, checkpoint):
                self._pause.pop(name, None)
            else:
                pause = min(self._pause.get(name, 0.5) * 2, MAX_PAUSE_S)
                self._pause[name] = pause
                self._next_try[name] = time.monotonic() + pause
        return self.log.tables.checkpoint(checkpoint.size)

    def cosign(self, peer: WitnessPeer, checkpoint: StoredCheckpoint) -> bool:
        """Ask one witness for its cosignature on ``checkpoint``; True once it is stored."""
        name = peer.verifier.name
        for _ in range(2):  # a 409 tells the witness's size: the second try uses it
            old = self._known.get(name, 0)
            if old > checkpoint.size:
                self.status[name] = f"has cosigned size {old}, newer than {checkpoint.size}"
                return False
            proof = self.log.consistency(old, checkpoint.size) if old else []
            body = submission_text(old, proof, checkpoint.note).encode()
            try:
                status, text, kind = self._post(peer.url + "/add-checkpoint", body)
            except OSError as exc:
                self.status[name] = f"unreachable: {exc}"
                log.info("witness %s unreachable: %s", name, exc)
                return False
            if status == 409 and kind == SIZE_TYPE and text.strip().isdigit():
                self._known[name] = int(text.strip())
                continue
            if status != 200:
                self.status[name] = f"refused ({status}): {text.strip()[:200]}"
                log.warning("witness %s refused size %d: %s %s", name, checkpoint.size,
                            status, text.strip()[:200])  # fmt: skip
                return False
            return self._keep(peer, checkpoint, text)
        return False

    def _keep(self, peer: WitnessPeer, checkpoint: StoredCheckpoint, reply: str) -> bool:
        name = peer.verifier.name
        wanted = (peer.verifier.name, peer.verifier.id)
        for line in reply.splitlines(keepends=True):
            try:
                note.open_note(checkpoint.note + line, {wanted: peer.verifier})
            except LogError:
                continue  # another key's line, or not ours to trust
            self.log.tables.add_cosignature(checkpoint.size, name, line, utc_timestamp())
            self._known[name] = checkpoint.size
            self.status[name] = f"cosigned size {checkpoint.size}"
            return True
        self.status[name] = "answered without a valid cosignature"
        log.warning("witness %s answered without a valid cosignature", name)
        return False
